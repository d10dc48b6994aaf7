use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `*args` and `**kwargs` in the predict function's parameters.
    ///
    /// ## Why is this bad?
    /// Every input must be a named, typed parameter for cog to build the input schema;
    /// variadic parameters cannot be described.
    ///
    /// ## Example
    /// ```python
    /// def run(prompt: str, **kwargs) -> str: ...
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def run(prompt: str, seed: int | None = None) -> str: ...
    /// ```
    pub(crate) static PY014 = {
        code: "PY014",
        name: "varargs-in-run",
        severity: Error,
        cites: ["cog/inputs"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(f) = ctx.run_function() else {
        return;
    };
    for (name, span) in &f.varargs {
        out.push(Finding::new(
            ctx.py_at(*span),
            format!(
                "`{}` takes `{name}`; inputs must be named, typed parameters",
                f.name
            ),
            "Replace it with one named, annotated parameter per input",
        ));
    }
}
