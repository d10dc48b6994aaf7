//! Facts about how a module uses APIs (one extra, linear walk): the pre-`use()` pipeline
//! APIs, `replicate.run`-style calls, and how each function uses each name.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall};
use ruff_python_ast::{ExprContext, ModModule, Stmt};
use ruff_text_size::Ranged;

use super::Span;
use super::names::Names;

/// Qualified names of the APIs that came before `replicate.use()`.
pub const LEGACY_APIS: &[&str] = &["cog.include", "cog.ext.pipelines.include", "cog.use"];

/// One use of a legacy pipeline API: an import of it, or a call.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyUse {
    /// The qualified API, e.g. `cog.include`.
    pub api: String,
    /// Where it is written.
    pub span: Span,
    /// The model reference passed, when it is a string literal.
    pub reference: Option<String>,
}

/// A call that runs a model around `use()`: `replicate.run(...)` and friends.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectRun {
    /// What is called, e.g. `replicate.run`.
    pub api: String,
    /// Where the called expression is written.
    pub span: Span,
    /// The model reference passed, when it is a string literal.
    pub reference: Option<String>,
}

/// A call of the scaffold's placeholder `TODO("…")`: a decision left to the author.
#[derive(Debug, Clone, PartialEq)]
pub struct TodoCall {
    /// The text passed (what to decide), when it is a string literal.
    pub text: Option<String>,
    /// Where the call is written.
    pub span: Span,
}

/// The usage facts.
#[derive(Debug, Default)]
pub struct Usage {
    /// Calls of a module-level function named exactly `TODO` (the scaffold's placeholder;
    /// whether the module defines it is checked by the rule).
    pub todos: Vec<TodoCall>,
    /// Uses of `cog.include`, `cog.use`, …
    pub legacy: Vec<LegacyUse>,
    /// `replicate.run(...)`, `replicate.Client(...).run(...)`, `replicate.predictions.create`.
    pub direct_runs: Vec<DirectRun>,
    /// How often each name is read and bound in each module-level function and method
    /// (`Class.method`), nested functions and lambdas included. Every function walked has
    /// an entry, even when it uses no name.
    pub uses: HashMap<String, HashMap<String, NameUses>>,
    /// Functions that read their locals dynamically (`locals()`, `vars()`, `eval`, `exec`):
    /// which parameters they use cannot be known.
    pub dynamic: HashSet<String>,
    /// Programs run by a literal name (`subprocess.run(["ffprobe", …])`), in source order.
    pub tools: Vec<super::system_tools::ToolUse>,
}

/// Reads and bindings (assignments, `del`, loop targets, `global`/`nonlocal`) of one name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NameUses {
    /// Times the name is read.
    pub loads: u32,
    /// Times the name is bound or deleted.
    pub stores: u32,
}

pub(crate) fn extract(module: &ModModule, names: &Names) -> Usage {
    let mut walker = UsageWalker {
        names,
        usage: Usage::default(),
        clients: HashSet::new(),
        current: None,
    };
    // `c = replicate.Client(...)` anywhere binds a client.
    let mut clients = ClientFinder {
        names,
        clients: HashSet::new(),
    };
    clients.visit_body(&module.body);
    walker.clients = clients.clients;
    for stmt in &module.body {
        match stmt {
            Stmt::FunctionDef(f) => walker.in_function(f.name.id.as_str().to_owned(), stmt),
            Stmt::ClassDef(c) => {
                for inner in &c.body {
                    match inner {
                        Stmt::FunctionDef(f) => {
                            walker.in_function(format!("{}.{}", c.name.id, f.name.id), inner);
                        }
                        other => walker.visit_stmt(other),
                    }
                }
            }
            other => walker.visit_stmt(other),
        }
    }
    walker.usage
}

fn literal_ref(call: &ExprCall) -> Option<String> {
    match call.arguments.args.first() {
        Some(Expr::StringLiteral(s)) => Some(s.value.to_str().to_string()),
        _ => None,
    }
}

struct ClientFinder<'n> {
    names: &'n Names,
    clients: HashSet<String>,
}

impl<'a> Visitor<'a> for ClientFinder<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if let Stmt::Assign(a) = stmt
            && let ([Expr::Name(n)], Expr::Call(call)) = (a.targets.as_slice(), &*a.value)
            && self.names.qualify(&call.func).as_deref() == Some("replicate.Client")
        {
            self.clients.insert(n.id.as_str().to_owned());
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, _expr: &'a Expr) {}
}

struct UsageWalker<'n> {
    names: &'n Names,
    usage: Usage,
    clients: HashSet<String>,
    current: Option<String>,
}

impl UsageWalker<'_> {
    fn in_function(&mut self, name: String, stmt: &Stmt) {
        self.usage.uses.entry(name.clone()).or_default();
        self.current = Some(name);
        visitor::walk_stmt(self, stmt);
        self.current = None;
    }

    /// What a call runs, when it bypasses `use()`.
    fn direct_run(&self, call: &ExprCall) -> Option<String> {
        if let Some(q) = self.names.qualify(&call.func) {
            if matches!(
                q.as_str(),
                "replicate.run"
                    | "replicate.async_run"
                    | "replicate.stream"
                    | "replicate.predictions.create"
            ) {
                return Some(q);
            }
            let (base, method) = q.split_once('.')?;
            if self.clients.contains(base)
                && matches!(
                    method,
                    "run" | "async_run" | "stream" | "predictions.create"
                )
            {
                return Some(format!("replicate.Client(...).{method}"));
            }
            return None;
        }
        // `replicate.Client(...).run(...)`
        let Expr::Attribute(a) = &*call.func else {
            return None;
        };
        let Expr::Call(inner) = &*a.value else {
            return None;
        };
        let method = a.attr.id.as_str();
        (self.names.qualify(&inner.func).as_deref() == Some("replicate.Client")
            && matches!(method, "run" | "async_run" | "stream"))
        .then(|| format!("replicate.Client(...).{method}"))
    }
}

impl<'a> Visitor<'a> for UsageWalker<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        // `global x` / `nonlocal x` let other code rebind the name.
        if let (Some(f), Stmt::Global(ruff_python_ast::StmtGlobal { names, .. }))
        | (Some(f), Stmt::Nonlocal(ruff_python_ast::StmtNonlocal { names, .. })) =
            (&self.current, stmt)
        {
            let uses = self.usage.uses.entry(f.clone()).or_default();
            for name in names {
                uses.entry(name.id.as_str().to_owned()).or_default().stores += 1;
            }
        }
        if let Stmt::ImportFrom(i) = stmt
            && i.level == 0
            && let Some(module) = &i.module
        {
            for alias in &i.names {
                let api = format!("{}.{}", module.id, alias.name.id);
                if LEGACY_APIS.contains(&api.as_str()) {
                    self.usage.legacy.push(LegacyUse {
                        api,
                        span: Span::from_range(alias.range),
                        reference: None,
                    });
                }
            }
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(n) => {
                if let Some(f) = &self.current {
                    let uses = self
                        .usage
                        .uses
                        .entry(f.clone())
                        .or_default()
                        .entry(n.id.as_str().to_owned())
                        .or_default();
                    if n.ctx == ExprContext::Load {
                        uses.loads += 1;
                    } else {
                        uses.stores += 1;
                    }
                }
                if let Some(f) = &self.current
                    && n.ctx == ExprContext::Load
                    && matches!(n.id.as_str(), "locals" | "vars" | "eval" | "exec")
                {
                    self.usage.dynamic.insert(f.clone());
                }
            }
            Expr::Call(call) => {
                match self.names.qualify(&call.func) {
                    Some(q) if LEGACY_APIS.contains(&q.as_str()) => {
                        self.usage.legacy.push(LegacyUse {
                            api: q,
                            span: Span::from_range(call.func.range()),
                            reference: literal_ref(call),
                        });
                    }
                    Some(q) if q == "TODO" => {
                        self.usage.todos.push(TodoCall {
                            text: literal_ref(call),
                            span: Span::from_range(call.range()),
                        });
                    }
                    _ => {
                        if let Some(api) = self.direct_run(call) {
                            self.usage.direct_runs.push(DirectRun {
                                api,
                                span: Span::from_range(call.func.range()),
                                reference: literal_ref(call),
                            });
                        }
                    }
                }
                visitor::walk_expr(self, expr);
            }
            Expr::Attribute(_) => {
                // Only the base of a chain can read a name: visit it once (linear).
                let mut cur = expr;
                while let Expr::Attribute(a) = cur {
                    cur = &a.value;
                }
                self.visit_expr(cur);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}
