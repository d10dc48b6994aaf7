use crate::validate::edit;
use crate::validate::rule::{Context, Finding, Findings, Location, declare_rule};

declare_rule! {
    /// ## What it does
    /// Checks that `cog.yaml` has a `predict` entry.
    ///
    /// ## Why is this bad?
    /// `predict` tells the runtime which Python function is the model; without it the model
    /// has no entry point.
    ///
    /// ## Example
    /// ```yaml
    /// build:
    ///   python_requirements: requirements.txt
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// build:
    ///   python_requirements: requirements.txt
    /// predict: "main.py:run"
    /// ```
    pub(crate) static COG003 = {
        code: "COG003",
        name: "missing-predict",
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
    if config.predict.is_some() {
        return;
    }
    let new = edit::append_line(&cog.source, "predict: \"main.py:run\"");
    out.push(
        Finding::new(
            Location::start("cog.yaml"),
            "cog.yaml has no `predict` entry",
            "Add `predict: \"main.py:run\"` naming the file and function to run",
        )
        .with_edit(edit::unified("cog.yaml", &cog.source, &new)),
    );
}
