//! Which names of one function the flow layer may follow: bound exactly once, not a
//! parameter, not `global`/`nonlocal`, and never handed to code it cannot see (an unknown
//! call, a container, a closure, `yield`, a mutating method, an item or attribute store).

use std::collections::{HashMap, HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{ExceptHandler, Expr, Pattern, Stmt, StmtAugAssign, StmtFunctionDef};

use super::super::names::Names;

/// Calls that may receive a followed value without changing or keeping it.
const SAFE_CALLS: &[&str] = &[
    "print",
    "str",
    "repr",
    "len",
    "isinstance",
    "type",
    "open",
    "enumerate",
    "zip",
    "sorted",
    "list",
    "tuple",
    "bool",
    "int",
    "float",
    "min",
    "max",
    "sum",
    "any",
    "all",
    "reversed",
    "iter",
    "next",
    "format",
    "Path",
    "cog.Path",
    "pathlib.Path",
    "os.fspath",
    "os.path.basename",
    "os.path.exists",
    "json.dumps",
    "replicate.get_path_url",
    "get_path_url",
];

/// Methods that change their receiver.
const MUTATING: &[&str] = &[
    "append",
    "extend",
    "insert",
    "remove",
    "pop",
    "clear",
    "sort",
    "reverse",
    "update",
    "setdefault",
    "popitem",
    "__setitem__",
    "__delitem__",
];

/// The names of one function the flow layer may follow.
#[derive(Debug, Default)]
pub(super) struct Scope {
    binds: HashMap<String, u32>,
    blocked: HashSet<String>,
    /// Names declared `global` (they may rebind module-level models).
    pub globals: HashSet<String>,
}

impl Scope {
    /// Scans a function: `models` are the names holding `use()`d models (calls of them
    /// may receive followed values).
    /// `accumulators` are the function's list accumulators (see `lists`): what goes into
    /// them, and the items of a list literal given to a model, stay followed.
    pub fn of(
        f: &StmtFunctionDef,
        names: &Names,
        models: &HashSet<String>,
        accumulators: &HashSet<String>,
    ) -> Scope {
        let mut scan = Scan {
            names,
            models,
            accumulators,
            local_models: HashSet::new(),
            scope: Scope::default(),
        };
        for p in f.parameters.iter() {
            scan.scope.blocked.insert(p.name().id.as_str().to_owned());
        }
        scan.visit_body(&f.body);
        scan.scope
    }

    /// Whether the function binds `name` at all (then module-level models are shadowed).
    pub fn is_local(&self, name: &str) -> bool {
        self.binds.contains_key(name) || self.blocked.contains(name)
    }

    /// Whether `name` can be followed.
    pub fn trackable(&self, name: &str) -> bool {
        self.binds.get(name) == Some(&1) && !self.blocked.contains(name)
    }
}

struct Scan<'a> {
    names: &'a Names,
    models: &'a HashSet<String>,
    accumulators: &'a HashSet<String>,
    local_models: HashSet<String>,
    scope: Scope,
}

impl Scan<'_> {
    fn bind(&mut self, name: &str) {
        *self.scope.binds.entry(name.to_string()).or_default() += 1;
    }

    fn block(&mut self, name: &str) {
        self.scope.blocked.insert(name.to_string());
    }

    fn is_model(&self, name: &str) -> bool {
        self.models.contains(name) || self.local_models.contains(name)
    }

    fn bind_target(&mut self, target: &Expr) {
        match target {
            Expr::Name(n) => self.bind(n.id.as_str()),
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.bind_target(e)),
            Expr::List(l) => l.elts.iter().for_each(|e| self.bind_target(e)),
            Expr::Starred(s) => self.bind_target(&s.value),
            Expr::Subscript(s) => {
                self.store_into(&s.value);
                self.visit_expr(&s.slice);
            }
            Expr::Attribute(a) => self.store_into(&a.value),
            other => self.visit_expr(other),
        }
    }

    /// `x[...] = …`, `x.a = …`, `del x[...]`: `x` changes.
    fn store_into(&mut self, base: &Expr) {
        match base {
            Expr::Name(n) => self.block(n.id.as_str()),
            other => self.visit_expr(other),
        }
    }

    /// A value handed on: a bare name escapes unless `keeps` says the receiver is known.
    fn hand_on(&mut self, expr: &Expr, known: bool) {
        match expr {
            Expr::Name(n) if !known => self.block(n.id.as_str()),
            Expr::Name(_) => {}
            Expr::Starred(s) => self.hand_on(&s.value, false),
            other => self.visit_expr(other),
        }
    }

    /// The items of a list literal kept where the flow layer sees them (an accumulator, a
    /// model's input): `*name` and bare names stay followed.
    fn known_items(&mut self, elts: &[Expr]) {
        for e in elts {
            match e {
                Expr::Starred(s) => self.hand_on(&s.value, true),
                other => self.hand_on(other, true),
            }
        }
    }

    /// Every name read inside a nested scope escapes (a closure may change it).
    fn block_all_in(&mut self, stmt: Option<&Stmt>, expr: Option<&Expr>) {
        let mut all = AllNames::default();
        if let Some(s) = stmt {
            all.visit_stmt(s);
        }
        if let Some(e) = expr {
            all.visit_expr(e);
        }
        self.scope.blocked.extend(all.names);
    }
}

impl Scan<'_> {
    /// `import a.b as c`, `from m import x as y`: the local names are bound.
    fn bind_imported(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Import(i) => {
                for a in &i.names {
                    let local = a.asname.as_ref().unwrap_or(&a.name);
                    let top = local.id.split('.').next().unwrap_or_default().to_string();
                    self.bind(&top);
                }
            }
            Stmt::ImportFrom(i) => {
                for a in &i.names {
                    self.bind(a.asname.as_ref().unwrap_or(&a.name).id.as_str());
                }
            }
            _ => {}
        }
    }

    /// `x += [a, b]` on an accumulator adds known items; any other `x += …` rebinds (and
    /// may change) `x`.
    fn aug_assign(&mut self, a: &StmtAugAssign) {
        if let (Expr::Name(n), Expr::List(l)) = (&*a.target, &*a.value)
            && self.accumulators.contains(n.id.as_str())
        {
            self.block(n.id.as_str());
            self.known_items(&l.elts);
            return;
        }
        self.rebind(&a.target);
        self.visit_expr(&a.value);
    }

    /// A name rebound or deleted in place is not followed; another target is bound.
    fn rebind(&mut self, target: &Expr) {
        match target {
            Expr::Name(n) => self.block(n.id.as_str()),
            other => self.bind_target(other),
        }
    }
}

impl<'a> Visitor<'a> for Scan<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => {
                self.bind(f.name.id.as_str());
                self.block_all_in(Some(stmt), None);
            }
            Stmt::ClassDef(c) => {
                self.bind(c.name.id.as_str());
                self.block_all_in(Some(stmt), None);
            }
            Stmt::Global(g) => {
                for n in &g.names {
                    self.block(n.id.as_str());
                    self.scope.globals.insert(n.id.as_str().to_owned());
                }
            }
            Stmt::Nonlocal(g) => g.names.iter().for_each(|n| self.block(n.id.as_str())),
            Stmt::Import(_) | Stmt::ImportFrom(_) => self.bind_imported(stmt),
            Stmt::Assign(a) => {
                for t in &a.targets {
                    self.bind_target(t);
                }
                if let ([Expr::Name(n)], Expr::Call(c)) = (a.targets.as_slice(), &*a.value)
                    && self.names.qualify(&c.func).as_deref() == Some("replicate.use")
                {
                    self.local_models.insert(n.id.as_str().to_owned());
                }
                let pairwise = matches!(&*a.value, Expr::Tuple(_) | Expr::List(_))
                    && a.targets
                        .iter()
                        .all(|t| matches!(t, Expr::Tuple(_) | Expr::List(_)));
                let accumulator = matches!(a.targets.as_slice(), [Expr::Name(n)] if self.accumulators.contains(n.id.as_str()));
                match (&*a.value, pairwise) {
                    (Expr::Tuple(t), true) => t.elts.iter().for_each(|e| self.hand_on(e, true)),
                    (Expr::List(l), true) => l.elts.iter().for_each(|e| self.hand_on(e, true)),
                    (Expr::List(l), false) if accumulator => self.known_items(&l.elts),
                    (value, _) => self.visit_expr(value),
                }
            }
            Stmt::AnnAssign(a) => {
                self.bind_target(&a.target);
                if let Some(v) = &a.value {
                    self.visit_expr(v);
                }
            }
            Stmt::AugAssign(a) => self.aug_assign(a),
            Stmt::For(f) => {
                self.bind_target(&f.target);
                self.visit_expr(&f.iter);
                self.visit_body(&f.body);
                self.visit_body(&f.orelse);
            }
            Stmt::With(w) => {
                for item in &w.items {
                    self.visit_expr(&item.context_expr);
                    if let Some(v) = &item.optional_vars {
                        self.bind_target(v);
                    }
                }
                self.visit_body(&w.body);
            }
            Stmt::Delete(d) => {
                for t in &d.targets {
                    self.rebind(t);
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Named(n) => {
                self.bind_target(&n.target);
                self.visit_expr(&n.value);
            }
            Expr::Lambda(_) => self.block_all_in(None, Some(expr)),
            Expr::Call(c) => {
                let model_call = match &*c.func {
                    Expr::Name(n) => self.is_model(n.id.as_str()),
                    Expr::Attribute(a) => {
                        a.attr.as_str() == "create"
                            && matches!(&*a.value, Expr::Name(n) if self.is_model(n.id.as_str()))
                    }
                    _ => false,
                };
                let known = model_call
                    || self
                        .names
                        .qualify(&c.func)
                        .is_some_and(|q| SAFE_CALLS.contains(&q.as_str()));
                if let Expr::Attribute(a) = &*c.func
                    && MUTATING.contains(&a.attr.as_str())
                    && let Expr::Name(n) = &*a.value
                {
                    self.block(n.id.as_str());
                    if self.accumulators.contains(n.id.as_str())
                        && super::lists::GROW.contains(&a.attr.as_str())
                    {
                        for arg in &c.arguments.args {
                            match arg {
                                Expr::List(l) => self.known_items(&l.elts),
                                Expr::Tuple(t) => self.known_items(&t.elts),
                                other => self.hand_on(other, true),
                            }
                        }
                        return;
                    }
                }
                self.visit_expr(&c.func);
                for arg in &c.arguments.args {
                    self.hand_on(arg, known);
                }
                for kw in &c.arguments.keywords {
                    match &kw.value {
                        Expr::List(l) if model_call && kw.arg.is_some() => {
                            self.known_items(&l.elts)
                        }
                        Expr::Tuple(t) if model_call && kw.arg.is_some() => {
                            self.known_items(&t.elts)
                        }
                        value => self.hand_on(value, known && kw.arg.is_some()),
                    }
                }
            }
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.hand_on(e, false)),
            Expr::List(l) => l.elts.iter().for_each(|e| self.hand_on(e, false)),
            Expr::Set(s) => s.elts.iter().for_each(|e| self.hand_on(e, false)),
            Expr::Dict(d) => {
                for item in &d.items {
                    if let Some(k) = &item.key {
                        self.hand_on(k, false);
                    }
                    self.hand_on(&item.value, false);
                }
            }
            Expr::Yield(y) => {
                if let Some(v) = &y.value {
                    self.hand_on(v, false);
                }
            }
            Expr::YieldFrom(y) => self.hand_on(&y.value, false),
            Expr::Starred(s) => self.hand_on(&s.value, false),
            _ => visitor::walk_expr(self, expr),
        }
    }

    fn visit_except_handler(&mut self, handler: &'a ExceptHandler) {
        let ExceptHandler::ExceptHandler(h) = handler;
        if let Some(n) = &h.name {
            self.bind(n.id.as_str());
        }
        visitor::walk_except_handler(self, handler);
    }

    fn visit_pattern(&mut self, pattern: &'a Pattern) {
        match pattern {
            Pattern::MatchAs(p) => {
                if let Some(n) = &p.name {
                    self.block(n.id.as_str());
                }
            }
            Pattern::MatchStar(p) => {
                if let Some(n) = &p.name {
                    self.block(n.id.as_str());
                }
            }
            Pattern::MatchMapping(p) => {
                if let Some(n) = &p.rest {
                    self.block(n.id.as_str());
                }
            }
            _ => {}
        }
        visitor::walk_pattern(self, pattern);
    }
}

/// Every name read or written in a subtree.
#[derive(Default)]
pub(super) struct AllNames {
    pub(super) names: HashSet<String>,
}

impl<'a> Visitor<'a> for AllNames {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Name(n) = expr {
            self.names.insert(n.id.as_str().to_owned());
        }
        visitor::walk_expr(self, expr);
    }
}
