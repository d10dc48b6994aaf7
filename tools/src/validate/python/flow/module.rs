//! Module-level facts for the flow layer: the `use()` bindings it may follow, and the
//! functions it analyses (module level and methods of module-level classes).

use std::collections::{HashMap, HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ModModule, Stmt, StmtFunctionDef};
use ruff_text_size::Ranged;

use super::super::Span;
use super::super::classes::ClassInfo;
use super::super::names::Names;
use super::super::uses::{is_use_call, keyword, use_ref};
use super::scope::Scope;
use super::walk::FnWalker;
use super::{Flow, FlowFunction, FlowModel};

pub(super) fn extract(module: &ModModule, names: &Names, classes: &[ClassInfo]) -> Flow {
    let mut flow = Flow::default();
    let mut counts: HashMap<String, u32> = HashMap::new();
    let mut module_models: HashMap<String, usize> = HashMap::new();
    for stmt in &module.body {
        for name in top_level_binds(stmt) {
            *counts.entry(name).or_default() += 1;
        }
        let (target, value) = match stmt {
            Stmt::Assign(a) => match a.targets.as_slice() {
                [Expr::Name(n)] => (n.id.as_str(), &*a.value),
                _ => continue,
            },
            Stmt::AnnAssign(a) => match (&*a.target, &a.value) {
                (Expr::Name(n), Some(v)) => (n.id.as_str(), &**v),
                _ => continue,
            },
            _ => continue,
        };
        if let Some(model) = use_call(value, target, names, classes, None) {
            module_models.insert(target.to_string(), flow.models.len());
            flow.models.push(model);
        }
    }
    module_models.retain(|name, _| counts.get(name) == Some(&1));

    let mut functions: Vec<(&StmtFunctionDef, Option<String>)> = Vec::new();
    for stmt in &module.body {
        match stmt {
            Stmt::FunctionDef(f) => functions.push((f, None)),
            Stmt::ClassDef(c) => {
                for item in &c.body {
                    if let Stmt::FunctionDef(f) = item {
                        functions.push((f, Some(c.name.id.as_str().to_owned())));
                    }
                }
            }
            _ => {}
        }
    }
    let model_names: HashSet<String> = module_models.keys().cloned().collect();
    let scopes: Vec<(Scope, HashSet<String>)> = functions
        .iter()
        .map(|(f, _)| {
            let accumulators = super::lists::accumulators(f, names, &model_names);
            (
                Scope::of(f, names, &model_names, &accumulators),
                accumulators,
            )
        })
        .collect();
    for (scope, _) in &scopes {
        module_models.retain(|name, _| !scope.globals.contains(name));
    }
    for ((f, class), (scope, accumulators)) in functions.into_iter().zip(scopes) {
        let function = flow.functions.len();
        flow.functions.push(FlowFunction {
            name: f.name.id.as_str().to_owned(),
            class,
            is_async: f.is_async,
        });
        let mut walker = FnWalker {
            names,
            classes,
            flow: &mut flow,
            function,
            is_async: f.is_async,
            module_models: &module_models,
            scope,
            env: HashMap::new(),
            lists: accumulators
                .into_iter()
                .map(|name| (name, Vec::new()))
                .collect(),
            depth: 0,
            handed_off: 0,
        };
        walker.visit_body(&f.body);
    }
    flow
}

/// Names a module-level statement binds (enough to see a model variable rebound).
fn top_level_binds(stmt: &Stmt) -> Vec<String> {
    let mut out = Vec::new();
    let mut targets: Vec<&Expr> = Vec::new();
    match stmt {
        Stmt::Assign(a) => targets.extend(a.targets.iter()),
        Stmt::AnnAssign(a) => targets.push(&a.target),
        Stmt::AugAssign(a) => targets.push(&a.target),
        Stmt::For(f) => targets.push(&f.target),
        Stmt::FunctionDef(f) => out.push(f.name.id.as_str().to_owned()),
        Stmt::ClassDef(c) => out.push(c.name.id.as_str().to_owned()),
        Stmt::Import(i) => out.extend(i.names.iter().map(|a| {
            let local = a.asname.as_ref().unwrap_or(&a.name);
            local.id.split('.').next().unwrap_or_default().to_string()
        })),
        Stmt::ImportFrom(i) => out.extend(
            i.names
                .iter()
                .map(|a| a.asname.as_ref().unwrap_or(&a.name).id.as_str().to_owned()),
        ),
        // A model bound under `if`/`try`/`with` is ambiguous: count it twice.
        Stmt::If(_) | Stmt::Try(_) | Stmt::With(_) | Stmt::While(_) | Stmt::Match(_) => {
            let mut all = Vec::new();
            collect_stored(stmt, &mut all);
            for n in all {
                out.push(n.clone());
                out.push(n);
            }
        }
        _ => {}
    }
    while let Some(t) = targets.pop() {
        match t {
            Expr::Name(n) => out.push(n.id.as_str().to_owned()),
            Expr::Tuple(t) => targets.extend(t.elts.iter()),
            Expr::List(l) => targets.extend(l.elts.iter()),
            Expr::Starred(s) => targets.push(&s.value),
            _ => {}
        }
    }
    out
}

fn collect_stored(stmt: &Stmt, out: &mut Vec<String>) {
    struct Stored<'o>(&'o mut Vec<String>);
    impl<'a> Visitor<'a> for Stored<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Name(n) = expr
                && n.ctx.is_store()
            {
                self.0.push(n.id.as_str().to_owned());
            }
            visitor::walk_expr(self, expr);
        }
    }
    Stored(out).visit_stmt(stmt);
}

/// A `replicate.use(...)` call bound to `name`.
pub(super) fn use_call(
    value: &Expr,
    name: &str,
    names: &Names,
    classes: &[ClassInfo],
    function: Option<usize>,
) -> Option<FlowModel> {
    let Expr::Call(call) = value else {
        return None;
    };
    if !is_use_call(call, names) {
        return None;
    }
    let flag = |k: &str| match keyword(call, k) {
        None => Some(false),
        Some(Expr::BooleanLiteral(b)) => Some(b.value),
        Some(_) => None,
    };
    Some(FlowModel {
        name: name.to_string(),
        reference: use_ref(call, classes).reference().map(str::to_owned),
        streaming: flag("streaming"),
        use_async: flag("use_async"),
        span: Span::from_range(call.range()),
        function,
    })
}
