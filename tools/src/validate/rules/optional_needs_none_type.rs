use crate::validate::edit;
use crate::validate::python::{DefaultKind, Literal};
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a predict parameter whose default is `None` (`= None` or
    /// `Input(default=None)`) while its type does not allow `None`.
    ///
    /// ## Why is this bad?
    /// cog builds the input schema from the annotation: an optional input must say so in
    /// its type, or the schema and the default disagree.
    ///
    /// ## Example
    /// ```python
    /// def run(seed: int = Input(default=None)) -> str: ...
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def run(seed: int | None = Input(default=None)) -> str: ...
    /// ```
    pub(crate) static PY008 = {
        code: "PY008",
        name: "optional-needs-none-type",
        severity: Error,
        cites: ["cog/inputs"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    for param in ctx.run_params() {
        let none_default = matches!(
            param.default,
            DefaultKind::None
                | DefaultKind::Input {
                    default: Some(Literal::None)
                }
        );
        let Some(annotation) = &param.annotation else {
            continue;
        };
        if !none_default || annotation.allows_none() {
            continue;
        }
        let span = annotation.span();
        let new = edit::insert_at(&py.source, span.end as usize, " | None");
        out.push(
            Finding::new(
                ctx.py_at(span),
                format!(
                    "`{}` defaults to None but its type `{}` does not allow None",
                    param.name,
                    py.text(span)
                ),
                format!("Make the type optional: `{} | None`", py.text(span)),
            )
            .with_edit(edit::unified(&py.path, &py.source, &new)),
        );
    }
}
