use crate::validate::rule::{Context, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Checks a `cog` pin in the requirements against the version the spec requires
    /// (read from the cached spec). A pin no allowed version of which satisfies the spec is
    /// an error; a pin that also allows versions outside it is a warning.
    ///
    /// ## Why is this bad?
    /// Pipeline models need a recent cog; an older one lacks the pipelines support and the
    /// model fails to build or run.
    ///
    /// ## Example
    /// ```text
    /// cog==0.9.4
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// cog>=0.15.3
    /// ```
    pub(crate) static REQ001 = {
        code: "REQ001",
        name: "cog-version",
        severity: Error,
        cites: ["requirements"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    super::pins::check_pin(ctx, "cog", &ctx.rulebook.cog_requirement.value, out);
}
