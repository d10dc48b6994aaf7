use crate::validate::rule::{Context, Finding, Findings, Location, declare_rule};

declare_rule! {
    /// ## What it does
    /// Checks that `cog.yaml` is valid YAML, is a mapping, and that the keys the runtime
    /// reads have the right types (`build` a mapping, `build.gpu` a boolean, `predict` and
    /// `build.python_requirements` strings).
    ///
    /// ## Why is this bad?
    /// cog refuses a configuration it cannot parse, so the model cannot be built or pushed.
    ///
    /// ## Example
    /// ```yaml
    /// build:
    ///   gpu: maybe
    /// predict: "main.py:run
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// predict: "main.py:run"
    /// ```
    pub(crate) static COG002 = {
        code: "COG002",
        name: "invalid-cog-yaml",
        severity: Error,
        cites: ["cog"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(Err(e)) = ctx.project.cog.as_ref().map(|c| &c.config) else {
        return;
    };
    out.push(Finding::new(
        Location::new("cog.yaml", e.line, e.column),
        format!("cog.yaml is not a valid configuration: {}", e.message),
        "Fix the YAML at this position; the file must be a mapping such as \
         `predict: \"main.py:run\"` with an optional `build:` mapping",
    ));
}
