use crate::validate::rule::{Context, Finding, Findings, Location, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags keys under `build` in `cog.yaml` other than `python_requirements` and `gpu`
    /// (and `python_version` when the cached spec names the runtime's Python).
    ///
    /// ## Why is this bad?
    /// The pipelines runtime ignores every other build key: `python_version`,
    /// `system_packages`, `run`, `cuda`… do nothing, so the model may depend on something
    /// that will not be there.
    ///
    /// ## Example
    /// ```yaml
    /// build:
    ///   python_version: "3.11"
    ///   system_packages: [libgl1]
    /// predict: "main.py:run"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// predict: "main.py:run"
    /// ```
    pub(crate) static COG006 = {
        code: "COG006",
        name: "ignored-build-key",
        severity: Warning,
        cites: ["cog"],
        check: check,
    };
}

const READ_KEYS: &[&str] = &["python_requirements", "gpu"];

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(Ok(config)) = ctx.project.cog.as_ref().map(|c| &c.config) else {
        return;
    };
    for key in &config.build_keys {
        if READ_KEYS.contains(&key.value.as_str()) {
            continue;
        }
        // When the spec names the runtime's Python, pinning it matches the runtime.
        if key.value == "python_version" && ctx.rulebook.python_version.is_some() {
            continue;
        }
        out.push(Finding::new(
            Location::new("cog.yaml", key.line, key.column),
            format!("`build.{}` is ignored by the pipelines runtime", key.value),
            "Remove it; only `build.python_requirements` is read (and `gpu`, which must be \
             false). Python packages must come from the runtime's list",
        ));
    }
}
