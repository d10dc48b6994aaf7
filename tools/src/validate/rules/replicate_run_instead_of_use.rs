use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `replicate.run`, `replicate.stream` and `replicate.predictions.create` in a
    /// pipeline. The same calls on a `replicate.Client(...)` are flagged too.
    ///
    /// ## Why is this bad?
    /// They bypass `replicate.use()`: its output handling (files as `Path`, streaming as
    /// iterators, typed results) and this validator's checks of every call against the
    /// model's fetched schema.
    ///
    /// ## Example
    /// ```python
    /// def run(prompt: str) -> str:
    ///     return replicate.run("openai/gpt-4.1-nano", input={"prompt": prompt})
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// gpt = replicate.use("openai/gpt-4.1-nano")
    ///
    /// def run(prompt: str) -> str:
    ///     return gpt(prompt=prompt)
    /// ```
    pub(crate) static PY027 = {
        code: "PY027",
        name: "replicate-run-instead-of-use",
        severity: Warning,
        cites: ["replicate-python-library"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    for call in &py.usage.direct_runs {
        let model = call.reference.as_deref().unwrap_or("owner/model");
        out.push(Finding::new(
            ctx.py_at(call.span),
            format!(
                "`{}(...)` bypasses `replicate.use()`: its output handling and the schema \
                 checks of the model's inputs",
                call.api
            ),
            format!(
                "Bind the model once at module scope with `model = replicate.use(\"{model}\")` \
                 and call it with keyword inputs: `model(prompt=...)`"
            ),
        ));
    }
}
