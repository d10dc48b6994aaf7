use crate::validate::edit;
use crate::validate::rule::{Context, Finding, Findings, Location, declare_rule};

declare_rule! {
    /// ## What it does
    /// Checks that the project has a `cog.yaml` at its root.
    ///
    /// ## Why is this bad?
    /// A pipeline is a cog model: without `cog.yaml` there is nothing telling the runtime
    /// which function to run, and the model cannot be pushed.
    ///
    /// ## Example
    /// ```text
    /// .
    /// └── main.py
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # cog.yaml
    /// predict: "main.py:run"
    /// ```
    pub(crate) static COG001 = {
        code: "COG001",
        name: "missing-cog-yaml",
        severity: Error,
        cites: ["cog"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    if ctx.project.cog.is_some() {
        return;
    }
    let mut new = String::new();
    if let Some(req) = &ctx.project.requirements {
        new.push_str(&format!("build:\n  python_requirements: {}\n", req.path));
    }
    new.push_str("predict: \"main.py:run\"\n");
    out.push(
        Finding::new(
            Location::start("cog.yaml"),
            "cog.yaml not found at the project root",
            "Create cog.yaml with a `predict` entry naming the entry point, e.g. \
             `predict: \"main.py:run\"` (scaffold_pipeline creates a complete project)",
        )
        .with_edit(edit::unified("cog.yaml", "", &new)),
    );
}
