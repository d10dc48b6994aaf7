//! List accumulators: a local list bound once from a list literal (`frames = []`) and then
//! only grown (`frames.append(x)`, `.extend(…)`, `.insert(i, x)`, `frames += […]`), read
//! (`len(frames)`, `for f in frames`, `frames[0]`) or passed to a model call. What was put
//! in it is followed, so a list of model files passed whole to a model is seen. Any other
//! use — an unknown call, a store into it, a rebinding, a closure — drops the name.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall, Operator, Stmt, StmtFunctionDef};
use ruff_text_size::Ranged;

use super::super::Span;
use super::super::names::Names;
use super::scope::AllNames;
use super::{FollowedValue, State, Step, Use};

/// Methods that grow an accumulator.
pub(super) const GROW: &[&str] = &["append", "extend", "insert"];

/// Calls that may read an accumulator without changing or keeping it.
const READERS: &[&str] = &[
    "len",
    "print",
    "str",
    "repr",
    "bool",
    "enumerate",
    "zip",
    "sorted",
    "reversed",
    "any",
    "all",
    "iter",
];

/// The names of `f` that are list accumulators.
pub(super) fn accumulators(
    f: &StmtFunctionDef,
    names: &Names,
    models: &HashSet<String>,
) -> HashSet<String> {
    let mut scan = Scan {
        names,
        models: models.clone(),
        binds: HashMap::new(),
        dropped: HashSet::new(),
    };
    for p in f.parameters.iter() {
        scan.dropped.insert(p.name().id.as_str().to_owned());
    }
    scan.visit_body(&f.body);
    scan.binds
        .into_iter()
        .filter(|(name, (count, literal))| *count == 1 && *literal && !scan.dropped.contains(name))
        .map(|(name, _)| name)
        .collect()
}

struct Scan<'a> {
    names: &'a Names,
    /// Names holding `use()`d models (module level and this function's own).
    models: HashSet<String>,
    /// Name → (bindings, whether the first was a list literal).
    binds: HashMap<String, (u32, bool)>,
    dropped: HashSet<String>,
}

impl Scan<'_> {
    fn bind(&mut self, name: &str, literal: bool) {
        let entry = self.binds.entry(name.to_owned()).or_insert((0, literal));
        entry.0 += 1;
    }

    /// A bare name read where it is known not to change (or an expression walked as usual).
    fn read(&mut self, expr: &Expr) {
        if !matches!(expr, Expr::Name(_)) {
            self.visit_expr(expr);
        }
    }

    fn is_model(&self, func: &Expr) -> bool {
        match func {
            Expr::Name(n) => self.models.contains(n.id.as_str()),
            Expr::Attribute(a) => {
                a.attr.as_str() == "create"
                    && matches!(&*a.value, Expr::Name(n) if self.models.contains(n.id.as_str()))
            }
            _ => false,
        }
    }

    fn bind_targets(&mut self, target: &Expr, literal: bool) {
        match target {
            Expr::Name(n) => self.bind(n.id.as_str(), literal),
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.bind_targets(e, false)),
            Expr::List(l) => l.elts.iter().for_each(|e| self.bind_targets(e, false)),
            Expr::Starred(s) => self.bind_targets(&s.value, false),
            other => self.visit_expr(other),
        }
    }
}

impl<'a> Visitor<'a> for Scan<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {
                let mut all = AllNames::default();
                all.visit_stmt(stmt);
                self.dropped.extend(all.names);
            }
            Stmt::Assign(a) => {
                if let ([Expr::Name(n)], Expr::Call(c)) = (a.targets.as_slice(), &*a.value)
                    && self.names.qualify(&c.func).as_deref() == Some("replicate.use")
                {
                    self.models.insert(n.id.as_str().to_owned());
                }
                let literal = matches!(&*a.value, Expr::List(_)) && a.targets.len() == 1;
                for t in &a.targets {
                    self.bind_targets(t, literal);
                }
                self.visit_expr(&a.value);
            }
            Stmt::AugAssign(a) => match (&*a.target, &*a.value) {
                (Expr::Name(_), Expr::List(l)) if a.op == Operator::Add => {
                    l.elts.iter().for_each(|e| self.visit_expr(e));
                }
                (Expr::Name(n), value) => {
                    self.dropped.insert(n.id.as_str().to_owned());
                    self.visit_expr(value);
                }
                (target, value) => {
                    self.visit_expr(target);
                    self.visit_expr(value);
                }
            },
            Stmt::For(f) => {
                self.bind_targets(&f.target, false);
                self.read(&f.iter);
                self.visit_body(&f.body);
                self.visit_body(&f.orelse);
            }
            Stmt::Global(g) => g.names.iter().for_each(|n| {
                self.dropped.insert(n.id.as_str().to_owned());
            }),
            Stmt::Nonlocal(g) => g.names.iter().for_each(|n| {
                self.dropped.insert(n.id.as_str().to_owned());
            }),
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(n) => {
                // A use in a context not listed above: the list may change or escape.
                self.dropped.insert(n.id.as_str().to_owned());
            }
            Expr::Lambda(_) => {
                let mut all = AllNames::default();
                all.visit_expr(expr);
                self.dropped.extend(all.names);
            }
            Expr::Named(n) => {
                self.bind_targets(&n.target, false);
                self.visit_expr(&n.value);
            }
            Expr::Subscript(s) if s.ctx.is_load() => {
                self.read(&s.value);
                self.visit_expr(&s.slice);
            }
            Expr::Call(c) => {
                if let Expr::Attribute(a) = &*c.func
                    && GROW.contains(&a.attr.as_str())
                    && matches!(&*a.value, Expr::Name(_))
                {
                    c.arguments.args.iter().for_each(|e| self.visit_expr(e));
                    c.arguments
                        .keywords
                        .iter()
                        .for_each(|k| self.visit_expr(&k.value));
                    return;
                }
                let reader = self.is_model(&c.func)
                    || self
                        .names
                        .qualify(&c.func)
                        .is_some_and(|q| READERS.contains(&q.as_str()));
                self.visit_expr(&c.func);
                for arg in &c.arguments.args {
                    if reader {
                        self.read(arg)
                    } else {
                        self.visit_expr(arg)
                    }
                }
                for kw in &c.arguments.keywords {
                    if reader && kw.arg.is_some() {
                        self.read(&kw.value);
                    } else {
                        self.visit_expr(&kw.value);
                    }
                }
            }
            Expr::ListComp(_) | Expr::SetComp(_) | Expr::Generator(_) | Expr::DictComp(_) => {
                // Iterating over a name is a read; everything else as usual.
                visitor::walk_expr(self, expr);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }

    fn visit_comprehension(&mut self, c: &'a ruff_python_ast::Comprehension) {
        self.bind_targets(&c.target, false);
        self.read(&c.iter);
        for cond in &c.ifs {
            self.visit_expr(cond);
        }
    }
}

/// The walker's side: what goes into accumulators and list literals given to a model.
impl super::walk::FnWalker<'_> {
    /// `keyword=[a, *b]` or `keyword=acc` (a list accumulator): an event for each followed
    /// item. False when the value is neither (it is then evaluated as usual).
    pub(super) fn list_input(&mut self, callee: usize, keyword: &str, value: &Expr) -> bool {
        let list = Span::from_range(value.range());
        let items = match value {
            Expr::List(l) => self.items(&l.elts),
            Expr::Tuple(t) => self.items(&t.elts),
            Expr::Name(n) if self.lists.contains_key(n.id.as_str()) => self
                .lists
                .get(n.id.as_str())
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|v| (v, list))
                .collect(),
            _ => return false,
        };
        for (v, span) in items {
            let kind = Use::ModelInputItem {
                callee,
                keyword: keyword.to_owned(),
                list,
            };
            self.event(&v, kind, span);
        }
        true
    }

    /// The followed model outputs among list items (`*xs` stands for the items of `xs`).
    pub(super) fn items(&mut self, elts: &[Expr]) -> Vec<(FollowedValue, Span)> {
        let mut out = Vec::new();
        for e in elts {
            let span = Span::from_range(e.range());
            let v = match e {
                Expr::Starred(s) => self.value(&s.value).map(|mut v| {
                    v.path.push(Step::Item);
                    v
                }),
                other => self.value(other),
            };
            if let Some(v) = v.filter(|v| v.state == State::Output && !v.pending) {
                out.push((v, span));
            }
        }
        out
    }

    /// `acc.append(x)`, `acc.extend(xs)`, `acc.insert(i, x)` on a list accumulator: what
    /// goes in is recorded. False for any other call.
    pub(super) fn grow(&mut self, c: &ExprCall) -> bool {
        let Expr::Attribute(a) = &*c.func else {
            return false;
        };
        let Expr::Name(n) = &*a.value else {
            return false;
        };
        let method = a.attr.as_str();
        if !self.lists.contains_key(n.id.as_str()) || !GROW.contains(&method) {
            return false;
        }
        let args = &c.arguments.args;
        let item = match (method, &args[..]) {
            ("append", [x]) => self.items(std::slice::from_ref(x)),
            ("insert", [i, x]) => {
                self.visit_expr(i);
                self.items(std::slice::from_ref(x))
            }
            ("extend", [Expr::List(l)]) => self.items(&l.elts),
            ("extend", [Expr::Tuple(t)]) => self.items(&t.elts),
            ("extend", [xs]) => match self.value(xs) {
                Some(mut v) if v.state == State::Output && !v.pending => {
                    v.path.push(Step::Item);
                    vec![(v, Span::from_range(xs.range()))]
                }
                _ => Vec::new(),
            },
            _ => {
                for arg in args {
                    self.visit_expr(arg);
                }
                Vec::new()
            }
        };
        for kw in &c.arguments.keywords {
            self.visit_expr(&kw.value);
        }
        if let Some(list) = self.lists.get_mut(n.id.as_str()) {
            list.extend(item.into_iter().map(|(v, _)| v));
        }
        true
    }
}
