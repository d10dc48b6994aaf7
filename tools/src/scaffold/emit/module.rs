//! The sections of `main.py` the template is filled with, written from the planned
//! pipeline and its return: imports (collected from what the other sections use), the
//! module-level bindings, `Output`'s fields, `run()`'s parameters and its body.

use super::{Expr, Imports, Stmt, Sym, calls, comment, param, python, stmt};
use crate::scaffold::output::Return;
use crate::scaffold::plan::Pipeline;
use crate::schema::ModelRef;

/// The Python sections of `main.py`.
#[derive(Debug, Default)]
pub(crate) struct Sections {
    pub(crate) imports: String,
    pub(crate) bindings: String,
    /// `name: T` lines of `class Output`, when `run()` returns one.
    pub(crate) output_fields: Vec<String>,
    /// The parameters, one per line with a trailing comma (empty: none).
    pub(crate) params: String,
    pub(crate) return_type: String,
    /// The body of `run()`, indented.
    pub(crate) body: String,
    /// Whether the module uses the `given` helper and the `TODO` placeholder.
    pub(crate) uses_given: bool,
    pub(crate) uses_todo: bool,
}

/// Writes the sections.
pub(crate) fn sections(p: &Pipeline<'_>, ret: &Return) -> Sections {
    let mut imports = Imports::default();
    let mut body = Vec::new();
    for s in body_stmts(p, ret) {
        body.extend(stmt(&s, 4, &mut imports));
    }
    let mut params = Vec::new();
    for q in &p.params {
        imports.annotation(&q.ty.ty);
        params.extend(param(
            &q.name,
            &q.ty.render(),
            &q.input_call(),
            &mut imports,
        ));
    }
    let mut output_fields = Vec::new();
    for (name, ty) in &ret.output_fields {
        imports.annotation(ty);
        output_fields.push(format!("{name}: {}", ty.render()));
    }
    imports.annotation(&ret.annotation);
    let bindings = bindings(p, &mut imports);
    Sections {
        imports: imports.lines().join("\n"),
        bindings: bindings.join("\n"),
        output_fields,
        params: if params.is_empty() {
            String::new()
        } else {
            format!("\n{}\n", params.join("\n"))
        },
        return_type: ret.annotation.render(),
        body: body.join("\n"),
        uses_given: p.calls.iter().any(|c| !c.when_given.is_empty()),
        uses_todo: !p.placeholders.is_empty(),
    }
}

/// The statements of `run()`: the calls, independent ones started together, the
/// placeholders for outputs nothing reads, then the return.
fn body_stmts(p: &Pipeline<'_>, ret: &Return) -> Vec<Stmt> {
    let mut out = Vec::new();
    for wave in calls::waves(p) {
        out.extend(calls::wave(p, &wave, &p.predictions));
    }
    out.extend(p.unread.iter().cloned().map(Stmt::Expr));
    out.push(Stmt::Return(ret.expr.clone()));
    out
}

/// `name = replicate.use("owner/name")` for each model, under a comment on its output.
fn bindings(p: &Pipeline<'_>, imports: &mut Imports) -> Vec<String> {
    let mut out = Vec::new();
    for b in &p.bindings {
        let model = ModelRef::model_of(&b.reference);
        let usage = python::one_line(&b.schema.output.usage);
        let text = if usage.is_empty() {
            format!("{model} returns {}.", b.schema.output.python_type)
        } else {
            format!("{model}: {usage}")
        };
        out.extend(comment(&text, 0));
        let bind = Expr::call(
            Expr::Attr(Box::new(Expr::Sym(Sym::Replicate)), "use".to_string()),
            vec![super::Arg::Pos(Expr::str(&b.reference))],
        );
        out.extend(stmt(&Stmt::Assign(b.ident.clone(), bind), 0, imports));
    }
    out
}
