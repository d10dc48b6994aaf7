use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports every syntax error in the predict file (the parser recovers and keeps going,
    /// so all of them are listed, each with its line and column), including syntax newer
    /// than the runtime's Python 3.13.
    ///
    /// ## Why is this bad?
    /// The module cannot be imported, so the model fails to load.
    ///
    /// ## Example
    /// ```python
    /// def run(prompt: str) -> str
    ///     return prompt
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def run(prompt: str) -> str:
    ///     return prompt
    /// ```
    pub(crate) static PY000 = {
        code: "PY000",
        name: "syntax-error",
        severity: Error,
        cites: ["cog"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    for e in &py.syntax_errors {
        out.push(Finding::new(
            ctx.py_at(e.span),
            format!("syntax error: {}", e.message),
            "Fix the syntax here; later findings in this file may be caused by this error",
        ));
    }
}
