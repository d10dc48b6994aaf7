use crate::validate::rule::{Context, Finding, Findings, Location, declare_rule};

declare_rule! {
    /// ## What it does
    /// Checks that every line of the requirements file is a valid PEP 508 requirement
    /// (comments, continuations and pip options such as `-r` or `--index-url` are skipped).
    ///
    /// ## Why is this bad?
    /// pip refuses the whole file when one line is malformed, so the model does not build.
    ///
    /// ## Example
    /// ```text
    /// replicate => 1.1.0b3
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// replicate>=1.1.0b3,<2.0.0a1
    /// ```
    pub(crate) static REQ004 = {
        code: "REQ004",
        name: "invalid-requirement",
        severity: Error,
        cites: ["requirements"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(reqs) = &ctx.project.requirements else {
        return;
    };
    for e in &reqs.errors {
        out.push(Finding::new(
            Location::new(reqs.path.clone(), e.line, e.column),
            format!("`{}` is not a valid requirement: {}", e.text, e.message),
            "Write `name`, optionally followed by a PEP 440 specifier such as `>=1.2,<2`",
        ));
    }
}
