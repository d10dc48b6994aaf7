use crate::validate::python::UseRef;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a `replicate.use()` whose model reference is not a string literal (a variable,
    /// an f-string, a concatenation, or nothing). A typing class defined in the file with a
    /// literal `name = "owner/name"` is accepted.
    ///
    /// ## Why is this bad?
    /// The runtime and this validator read the models a pipeline calls from the source
    /// without running it; a computed reference cannot be resolved ahead of time, and its
    /// schema cannot be checked.
    ///
    /// ## Example
    /// ```python
    /// MODEL = "black-forest-labs/flux-dev"
    /// flux = replicate.use(MODEL)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// flux = replicate.use("black-forest-labs/flux-dev")
    /// ```
    pub(crate) static PY002 = {
        code: "PY002",
        name: "use-ref-not-literal",
        severity: Error,
        cites: ["replicate-python-library"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    for call in &py.model.use_calls {
        let (span, message) = match &call.reference {
            UseRef::Literal { .. }
            | UseRef::Class {
                reference: Some(_), ..
            } => continue,
            UseRef::Class { class, .. } => (
                call.span,
                format!("class `{class}` passed to `replicate.use()` has no literal `name`"),
            ),
            UseRef::NotLiteral { span } => (
                *span,
                format!(
                    "the model reference `{}` is not a string literal",
                    py.text(*span)
                ),
            ),
            UseRef::Missing => (call.span, "`replicate.use()` has no model reference".into()),
        };
        out.push(Finding::new(
            ctx.py_at(span),
            message,
            "Pass the model as a string literal: `replicate.use(\"owner/name\")`",
        ));
    }
}
