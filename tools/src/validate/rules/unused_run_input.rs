use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a parameter of `run()` (the `predict` function) that the function never reads.
    /// Parameters named `_…` and functions that read `locals()`/`vars()` are left alone.
    /// Reported at the parameter.
    ///
    /// ## Why is this bad?
    /// Every parameter is an input users see and fill in on Replicate; one that is never read
    /// does nothing, which is almost always a forgotten wire (e.g. a `seed` never passed on).
    ///
    /// ## Example
    /// ```python
    /// def run(prompt: str, seed: int = 0) -> Path:
    ///     return flux(prompt=prompt)[0]
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def run(prompt: str, seed: int = 0) -> Path:
    ///     return flux(prompt=prompt, seed=seed)[0]
    /// ```
    pub(crate) static PY029 = {
        code: "PY029",
        name: "unused-run-input",
        severity: Warning,
        cites: ["cog/inputs"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    let Some(key) = super::helpers::static_run_key(ctx) else {
        return;
    };
    let Some(uses) = py.usage.uses.get(&key) else {
        return;
    };
    for param in ctx.run_params() {
        let read = uses.get(&param.name).is_some_and(|u| u.loads > 0);
        if param.name.starts_with('_') || read {
            continue;
        }
        out.push(Finding::new(
            ctx.py_at(param.span),
            format!(
                "input `{}` of `{}()` is never read: users can set it and nothing changes",
                param.name,
                ctx.run_name()
            ),
            format!(
                "Use `{}` (e.g. pass it on to a model call) or remove the parameter",
                param.name
            ),
        ));
    }
}
