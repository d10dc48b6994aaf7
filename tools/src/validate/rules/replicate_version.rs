use crate::validate::Severity;
use crate::validate::edit;
use crate::validate::rule::{Context, Finding, Findings, Location, declare_rule};

declare_rule! {
    /// ## What it does
    /// Checks a `replicate` pin in the requirements against the version the spec requires
    /// (read from the cached spec). No satisfying version is an error, versions outside the
    /// spec a warning. Also warns when the Python file imports `replicate` but the
    /// requirements do not list it.
    ///
    /// ## Why is this bad?
    /// `replicate.use()` exists only in the 1.1 pre-releases; the stable 0.x and the future
    /// 2.x clients do not provide it, and local runs install whatever the pin allows.
    ///
    /// ## Example
    /// ```text
    /// replicate==0.34.1
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// replicate>=1.1.0b1,<2.0.0a1
    /// ```
    pub(crate) static REQ002 = {
        code: "REQ002",
        name: "replicate-version",
        severity: Error,
        cites: ["requirements"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let required = &ctx.rulebook.replicate_requirement.value;
    let listed = ctx
        .project
        .requirements
        .as_ref()
        .is_some_and(|r| r.get("replicate").is_some());
    if listed {
        super::pins::check_pin(ctx, "replicate", required, out);
        return;
    }
    let Some(py) = ctx.python() else {
        return;
    };
    let Some(import) = py
        .model
        .imports
        .iter()
        .find(|i| i.level == 0 && i.top() == "replicate")
    else {
        return;
    };
    let (file, old, at) = match &ctx.project.requirements {
        Some(r) => {
            let last = r.source.lines().count().max(1);
            (
                r.path.clone(),
                r.source.as_str(),
                Location::new(r.path.clone(), last, 1),
            )
        }
        None => {
            let at = ctx.py_at(import.span);
            ("requirements.txt".to_string(), "", at)
        }
    };
    let wanted = format!("replicate{required}");
    let new = edit::append_line(old, &wanted);
    out.push(
        Finding::new(
            at,
            format!(
                "{} imports `replicate`, but {file} does not list it",
                py.path
            ),
            format!(
                "Add `{wanted}` to {file} so local runs use a client with `replicate.use()`{}",
                if ctx.project.requirements.is_none() {
                    " (and `build: python_requirements: requirements.txt` to cog.yaml)"
                } else {
                    ""
                }
            ),
        )
        .with_severity(Severity::Warning)
        .with_edit(edit::unified(&file, old, &new)),
    );
}
