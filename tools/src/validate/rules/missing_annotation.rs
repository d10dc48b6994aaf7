use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags predict-function parameters without a type annotation, and a missing return
    /// annotation.
    ///
    /// ## Why is this bad?
    /// cog builds the model's input and output schema from the annotations; without them
    /// it cannot tell callers what to pass or what comes back.
    ///
    /// ## Example
    /// ```python
    /// def run(prompt, steps=4):
    ///     ...
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def run(prompt: str, steps: int = 4) -> str:
    ///     ...
    /// ```
    pub(crate) static PY012 = {
        code: "PY012",
        name: "missing-annotation",
        severity: Error,
        cites: ["cog", "cog/types"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(f) = ctx.run_function() else {
        return;
    };
    for param in ctx.run_params() {
        if param.annotation.is_none() {
            out.push(Finding::new(
                ctx.py_at(param.span),
                format!(
                    "parameter `{}` of `{}` has no type annotation",
                    param.name, f.name
                ),
                format!(
                    "Annotate it, e.g. `{}: str` (supported: str, int, float, bool, Path, \
                     Secret, list[...] of those)",
                    param.name
                ),
            ));
        }
    }
    if f.returns.is_none() {
        out.push(Finding::new(
            ctx.py_at(f.name_span),
            format!("`{}` has no return annotation", f.name),
            "Annotate the return type, e.g. `-> str`, `-> Path`, `-> list[Path]` or `-> Output`",
        ));
    }
}
