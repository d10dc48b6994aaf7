use crate::validate::edit;
use crate::validate::rule::{Context, Finding, Findings, Location, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `build.gpu: true` in `cog.yaml`.
    ///
    /// ## Why is this bad?
    /// Pipeline models run on the CPU-only pipelines runtime; GPU work belongs in the models
    /// the pipeline calls with `replicate.use()`.
    ///
    /// ## Example
    /// ```yaml
    /// build:
    ///   gpu: true
    /// predict: "main.py:run"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// predict: "main.py:run"
    /// ```
    pub(crate) static COG005 = {
        code: "COG005",
        name: "gpu-enabled",
        severity: Error,
        cites: ["cog"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(cog) = &ctx.project.cog else {
        return;
    };
    let Ok(config) = &cog.config else {
        return;
    };
    let Some(gpu) = config.gpu.as_ref().filter(|g| g.value) else {
        return;
    };
    let new: String = cog
        .source
        .split_inclusive('\n')
        .enumerate()
        .filter(|(i, _)| i + 1 != gpu.line)
        .map(|(_, l)| l)
        .collect();
    out.push(
        Finding::new(
            Location::new("cog.yaml", gpu.line, gpu.column),
            "`build.gpu` is true, but pipeline models run on CPU",
            "Remove `gpu: true` (or set it to false); call GPU models with `replicate.use()`",
        )
        .with_edit(edit::unified("cog.yaml", &cog.source, &new)),
    );
}
