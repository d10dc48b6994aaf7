//! One walk over the module that extracts the facts rules read.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ModModule, Stmt};
use ruff_text_size::Ranged;

use super::Span;
use super::classes::{ClassInfo, class_info, function_info, resolve_base_models};
use super::literal::Literal;
use super::model::{CallResult, KeywordArg, Model, ModelCallSite, MovableUse, OutputCall, UseCall};
use super::names::Names;
use super::uses::{is_use_call, use_ref};

/// Qualified names that read the process environment.
const ENV_NAMES: &[&str] = &[
    "os.environ",
    "os.environb",
    "os.getenv",
    "os.getenvb",
    "os.putenv",
    "os.unsetenv",
];

/// Extracts the facts rules read, and how the module uses APIs, in one pass per concern.
pub(crate) fn extract(module: &ModModule) -> (Model, super::usage::Usage) {
    let (names, imports) = super::imports::collect(&module.body);

    let mut model = Model {
        imports,
        ..Model::default()
    };
    let mut bindings: HashMap<u32, String> = HashMap::new();
    for stmt in &module.body {
        match stmt {
            Stmt::FunctionDef(f) => model.functions.push(function_info(f, &names)),
            Stmt::ClassDef(c) => model.classes.push(class_info(c, &names)),
            Stmt::Assign(a) => {
                if let ([Expr::Name(n)], Expr::Call(call)) = (a.targets.as_slice(), &*a.value)
                    && is_use_call(call, &names)
                {
                    bindings.insert(call.range().start().to_u32(), n.id.as_str().to_owned());
                }
            }
            Stmt::AnnAssign(a) => {
                if let (Expr::Name(n), Some(value)) = (&*a.target, &a.value)
                    && let Expr::Call(call) = &**value
                    && is_use_call(call, &names)
                {
                    bindings.insert(call.range().start().to_u32(), n.id.as_str().to_owned());
                }
            }
            _ => {}
        }
    }
    resolve_base_models(&mut model.classes);

    let binding_names: HashSet<String> = bindings.values().cloned().collect();
    let mut walker = Walker {
        names: &names,
        classes: &model.classes,
        bindings: &bindings,
        binding_names: &binding_names,
        functions: Vec::new(),
        class: None,
        guarded: 0,
        movable: HashMap::new(),
        current_top: Span::default(),
        use_calls: Vec::new(),
        model_calls: Vec::new(),
        output_calls: Vec::new(),
        results: HashMap::new(),
        env_accesses: Vec::new(),
        file_type_uses: Vec::new(),
    };
    for stmt in &module.body {
        walker.current_top = Span::from_range(stmt.range());
        walker.visit_stmt(stmt);
    }
    model.use_calls = walker.use_calls;
    model.model_calls = walker.model_calls;
    model.output_calls = walker.output_calls;
    model.env_accesses = walker.env_accesses;
    model.file_type_uses = walker.file_type_uses;
    model.flow = super::flow::extract(module, &names, &model.classes);
    let mut usage = super::usage::extract(module, &names);
    usage.tools = super::system_tools::tool_uses_in(module, &names);
    (model, usage)
}

/// Whether `expr` evaluates to a `str` (or raises) whatever its parts hold.
fn always_str(expr: &Expr) -> bool {
    match expr {
        Expr::StringLiteral(_) | Expr::FString(_) => true,
        Expr::BinOp(b) if b.op == ruff_python_ast::Operator::Add => {
            matches!(&*b.left, Expr::StringLiteral(_) | Expr::FString(_))
                || matches!(&*b.right, Expr::StringLiteral(_) | Expr::FString(_))
        }
        Expr::Call(call) => match &*call.func {
            Expr::Attribute(a) => {
                matches!(a.attr.id.as_str(), "format" | "join")
                    && matches!(&*a.value, Expr::StringLiteral(_) | Expr::FString(_))
            }
            _ => false,
        },
        _ => false,
    }
}

struct Walker<'m> {
    names: &'m Names,
    classes: &'m [ClassInfo],
    bindings: &'m HashMap<u32, String>,
    binding_names: &'m HashSet<String>,
    functions: Vec<String>,
    /// The module-level class being walked.
    class: Option<String>,
    /// How many conditional or repeating constructs enclose the current point within the
    /// current module-level function.
    guarded: usize,
    movable: HashMap<u32, Span>,
    current_top: Span,
    use_calls: Vec<UseCall>,
    model_calls: Vec<ModelCallSite>,
    output_calls: Vec<OutputCall>,
    /// What the statement holding a call does with its result, by the call's range.
    results: HashMap<(u32, u32), CallResult>,
    env_accesses: Vec<(String, Span)>,
    file_type_uses: Vec<Span>,
}

impl Walker<'_> {
    fn model_call(&mut self, call: &ruff_python_ast::ExprCall) {
        let binding = match &*call.func {
            Expr::Name(n) if self.binding_names.contains(n.id.as_str()) => n.id.as_str().to_owned(),
            Expr::Attribute(a) if a.attr.id.as_str() == "create" => match &*a.value {
                Expr::Name(n) if self.binding_names.contains(n.id.as_str()) => {
                    n.id.as_str().to_owned()
                }
                _ => return,
            },
            _ => return,
        };
        let mut keywords = Vec::new();
        let mut has_splat = false;
        for k in &call.arguments.keywords {
            match &k.arg {
                Some(arg) => keywords.push(KeywordArg {
                    name: arg.id.as_str().to_owned(),
                    span: Span::from_range(arg.range),
                    value: Literal::from_expr(&k.value),
                    value_span: Span::from_range(k.value.range()),
                    value_name: match &k.value {
                        Expr::Name(n) => Some(n.id.as_str().to_owned()),
                        _ => None,
                    },
                    value_is_str: always_str(&k.value),
                }),
                None => has_splat = true,
            }
        }
        let positional = call.arguments.args.len();
        has_splat |= call.arguments.args.iter().any(Expr::is_starred_expr);
        let function = self.current_function();
        self.model_calls.push(ModelCallSite {
            binding,
            span: Span::from_range(call.func.range()),
            keywords,
            has_splat,
            positional,
            function,
            conditional: self.guarded > 0 || self.functions.len() > 1,
            result: self
                .results
                .get(&range_key(call.range()))
                .cloned()
                .unwrap_or_default(),
        });
    }

    /// Records `name.output()` (no arguments) inside a function.
    fn output_call(&mut self, call: &ruff_python_ast::ExprCall) {
        let Expr::Attribute(a) = &*call.func else {
            return;
        };
        let Expr::Name(n) = &*a.value else {
            return;
        };
        if a.attr.id.as_str() != "output"
            || !call.arguments.args.is_empty()
            || !call.arguments.keywords.is_empty()
            || self.functions.is_empty()
        {
            return;
        }
        self.output_calls.push(OutputCall {
            function: self.current_function(),
            prediction: n.id.as_str().to_owned(),
            result: self
                .results
                .get(&range_key(call.range()))
                .cloned()
                .unwrap_or_default(),
            span: Span::from_range(call.func.range()),
        });
    }

    /// The module-level function (or `Class.method`) being walked.
    fn current_function(&self) -> Option<String> {
        self.functions.first().map(|f| match &self.class {
            Some(class) => format!("{class}.{f}"),
            None => f.clone(),
        })
    }

    /// Walks `stmt` counted as conditional (inside a function).
    fn guarded_stmt<'a>(&mut self, stmt: &'a Stmt)
    where
        Self: Visitor<'a>,
    {
        self.guarded += 1;
        visitor::walk_stmt(self, stmt);
        self.guarded -= 1;
    }
}

impl<'a> Visitor<'a> for Walker<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => {
                for d in &f.decorator_list {
                    self.visit_decorator(d);
                }
                self.visit_parameters(&f.parameters);
                if let Some(r) = &f.returns {
                    self.visit_annotation(r);
                }
                self.functions.push(f.name.id.as_str().to_owned());
                self.visit_body(&f.body);
                self.functions.pop();
            }
            Stmt::ClassDef(c) if self.functions.is_empty() && self.class.is_none() => {
                self.class = Some(c.name.id.as_str().to_owned());
                visitor::walk_stmt(self, stmt);
                self.class = None;
            }
            Stmt::If(_)
            | Stmt::While(_)
            | Stmt::For(_)
            | Stmt::Try(_)
            | Stmt::With(_)
            | Stmt::Match(_)
                if !self.functions.is_empty() =>
            {
                self.guarded_stmt(stmt);
            }
            Stmt::Expr(e) if !self.functions.is_empty() => {
                if let Some((call, awaited)) = call_of(&e.value) {
                    self.results
                        .insert(range_key(call), CallResult::Discarded { awaited });
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::Assign(a) if !self.functions.is_empty() => {
                if let ([Expr::Name(n)], Some((call, _))) =
                    (a.targets.as_slice(), call_of(&a.value))
                {
                    self.results
                        .insert(range_key(call), CallResult::Bound(n.id.as_str().to_owned()));
                }
                if let ([Expr::Name(_)], Expr::Call(call)) = (a.targets.as_slice(), &*a.value)
                    && matches!(call.arguments.args.first(), Some(Expr::StringLiteral(_)))
                {
                    self.movable
                        .insert(call.range().start().to_u32(), Span::from_range(a.range));
                }
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(l) => {
                if let Some(p) = &l.parameters {
                    self.visit_parameters(p);
                }
                self.functions.push("<lambda>".into());
                self.visit_expr(&l.body);
                self.functions.pop();
            }
            Expr::Call(call) => {
                if is_use_call(call, self.names) {
                    let start = call.range().start().to_u32();
                    let in_function = self.functions.last().cloned();
                    let movable = match (&in_function, self.movable.get(&start)) {
                        (Some(name), Some(stmt)) if name != "<lambda>" => Some(MovableUse {
                            stmt: *stmt,
                            before: self.current_top,
                        }),
                        _ => None,
                    };
                    self.use_calls.push(UseCall {
                        span: Span::from_range(call.range()),
                        reference: use_ref(call, self.classes),
                        binding: self.bindings.get(&start).cloned(),
                        in_function,
                        movable,
                    });
                } else {
                    self.model_call(call);
                    self.output_call(call);
                }
                visitor::walk_expr(self, expr);
            }
            Expr::Name(_) | Expr::Attribute(_) => self.name_or_attribute(expr),
            Expr::If(_)
            | Expr::BoolOp(_)
            | Expr::ListComp(_)
            | Expr::SetComp(_)
            | Expr::DictComp(_)
            | Expr::Generator(_) => {
                self.guarded += 1;
                visitor::walk_expr(self, expr);
                self.guarded -= 1;
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// A call's range as a map key (a call and the call of its result's method start at the
/// same offset, so the end is part of the key).
fn range_key(range: ruff_text_size::TextRange) -> (u32, u32) {
    (range.start().to_u32(), range.end().to_u32())
}

/// The call an expression is, directly or awaited: its range and whether it is awaited.
fn call_of(expr: &Expr) -> Option<(ruff_text_size::TextRange, bool)> {
    match expr {
        Expr::Call(c) => Some((c.range(), false)),
        Expr::Await(a) => match &*a.value {
            Expr::Call(c) => Some((c.range(), true)),
            _ => None,
        },
        _ => None,
    }
}

impl Walker<'_> {
    /// A name or attribute chain: an environment access (`os.environ…`) or a use of
    /// `cog.File`, directly or as the prefix of a longer chain.
    fn name_or_attribute(&mut self, expr: &Expr) {
        let Some(q) = self.names.qualify(expr) else {
            // Not a plain chain (`f().a.b`): no prefix qualifies either, so visit
            // the base once instead of re-qualifying every level (linear).
            let mut cur = expr;
            while let Expr::Attribute(a) = cur {
                cur = &a.value;
            }
            self.visit_expr(cur);
            return;
        };
        if ENV_NAMES.contains(&q.as_str()) {
            self.env_accesses.push((q, Span::from_range(expr.range())));
        } else if q == "cog.File" {
            self.file_type_uses.push(Span::from_range(expr.range()));
        } else {
            // Every prefix of a qualified chain is itself a qualified chain: find
            // the one that matters in `q` and walk down to it once (linear).
            let Some(hit) = ENV_NAMES
                .iter()
                .copied()
                .chain(["cog.File"])
                .find(|n| q.starts_with(n) && q.as_bytes().get(n.len()) == Some(&b'.'))
            else {
                return;
            };
            let depth = q[hit.len()..].matches('.').count();
            let mut cur = expr;
            for _ in 0..depth {
                if let Expr::Attribute(a) = cur {
                    cur = &a.value;
                }
            }
            let span = Span::from_range(cur.range());
            if hit == "cog.File" {
                self.file_type_uses.push(span);
            } else {
                self.env_accesses.push((hit.to_string(), span));
            }
        }
    }
}
