use crate::validate::rule::{Context, Finding, Findings, Location, declare_rule};

declare_rule! {
    /// ## What it does
    /// Checks that the file named by `build.python_requirements` exists.
    ///
    /// ## Why is this bad?
    /// cog fails to build a model whose requirements file is missing.
    ///
    /// ## Example
    /// ```yaml
    /// build:
    ///   python_requirements: requirements.txt   # no such file
    /// predict: "main.py:run"
    /// ```
    ///
    /// ## Use instead
    /// Create `requirements.txt` (it may list only `replicate`), or remove the key.
    pub(crate) static COG007 = {
        code: "COG007",
        name: "requirements-file-missing",
        severity: Error,
        cites: ["cog"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(missing) = &ctx.project.missing_requirements else {
        return;
    };
    let at = ctx
        .project
        .cog
        .as_ref()
        .and_then(|c| c.config.as_ref().ok())
        .and_then(|c| c.python_requirements.as_ref())
        .map_or(Location::start("cog.yaml"), |r| {
            Location::new("cog.yaml", r.line, r.column)
        });
    out.push(Finding::new(
        at,
        format!("`build.python_requirements` names {missing}, which does not exist"),
        format!("Create {missing} next to cog.yaml, or remove `python_requirements`"),
    ));
}
