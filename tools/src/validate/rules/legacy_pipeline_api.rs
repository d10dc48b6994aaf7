use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags the pipeline APIs that came before `replicate.use()`: `cog.include`, `cog.use`
    /// and `cog.ext.pipelines.include`. That covers calls (`cog.include(...)`) and imports
    /// (`from cog import include` / `from cog import use` / `from cog.ext.pipelines import
    /// include`, under any alias).
    ///
    /// ## Why is this bad?
    /// The current spec calls other models only through `replicate.use()`; the older APIs are
    /// not part of the runtime's documented interface and skip the output handling and the
    /// schema checks `use()` gets.
    ///
    /// ## Example
    /// ```python
    /// import cog
    ///
    /// flux = cog.include("black-forest-labs/flux-schnell")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// import replicate
    ///
    /// flux = replicate.use("black-forest-labs/flux-schnell")
    /// ```
    pub(crate) static PY026 = {
        code: "PY026",
        name: "legacy-pipeline-api",
        severity: Error,
        cites: ["replicate-python-library"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    for used in &py.usage.legacy {
        let replacement = match &used.reference {
            Some(r) => format!("`replicate.use(\"{r}\")` (with `import replicate`)"),
            None => "`replicate.use(\"owner/model\")` (with `import replicate`)".to_string(),
        };
        out.push(Finding::new(
            ctx.py_at(used.span),
            format!(
                "`{}` is the pre-`replicate.use()` pipeline API; the current spec calls models \
                 only through `replicate.use()`",
                used.api
            ),
            format!("Replace it with {replacement} at module scope, and call the model it returns"),
        ));
    }
}
