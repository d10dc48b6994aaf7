use super::helpers::returned_models;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a `BaseModel` subclass returned by the predict function under a name other
    /// than `Output`.
    ///
    /// ## Why is this bad?
    /// cog looks the output object up by the name `Output`; the spec requires exactly that
    /// name even though cog accepts others locally.
    ///
    /// ## Example
    /// ```python
    /// class CreativeAnalysis(BaseModel):
    ///     text: str
    ///
    /// def run() -> CreativeAnalysis: ...
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class Output(BaseModel):
    ///     text: str
    ///
    /// def run() -> Output: ...
    /// ```
    pub(crate) static PY004 = {
        code: "PY004",
        name: "output-class-name",
        severity: Error,
        cites: ["cog/outputs"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    for (class, span) in returned_models(ctx) {
        if class.name == "Output" {
            continue;
        }
        out.push(Finding::new(
            ctx.py_at(span),
            format!(
                "the output class is named `{}`; custom output classes must be named `Output`",
                class.name
            ),
            format!(
                "Rename `class {}` to `class Output` (and its uses)",
                class.name
            ),
        ));
    }
}
