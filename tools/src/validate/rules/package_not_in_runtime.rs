use std::str::FromStr;

use pep440_rs::VersionSpecifiers;

use crate::validate::rule::{Context, Finding, Findings, Location, declare_rule};
use crate::validate::versions::overlaps;

declare_rule! {
    /// ## What it does
    /// Checks every requirement against the runtime's package list (read from the cached
    /// spec). A package the runtime does not provide, or a specifier that conflicts with the
    /// runtime's own (e.g. `pydantic>=2` when the runtime has `pydantic<2`), is an error.
    /// `cog` and `replicate` are part of the runtime.
    ///
    /// ## Why is this bad?
    /// The pipelines runtime does not install requirements: it has a fixed set of packages.
    /// Anything else fails when the model loads.
    ///
    /// ## Example
    /// ```text
    /// numpy
    /// pydantic>=2
    /// ```
    ///
    /// ## Use instead
    /// Use only packages from the runtime's list, with compatible specifiers; call an HTTP
    /// API (with `requests`) for anything else.
    pub(crate) static REQ003 = {
        code: "REQ003",
        name: "package-not-in-runtime",
        severity: Error,
        cites: ["runtime", "runtime/handling-unsupported-dependencies"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(reqs) = &ctx.project.requirements else {
        return;
    };
    let available: Vec<&str> = ctx
        .rulebook
        .python_packages
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    for line in &reqs.requirements {
        if line.name == "cog" || line.name == "replicate" {
            continue;
        }
        let at = Location::new(reqs.path.clone(), line.line, line.column);
        let Some(runtime) = ctx.rulebook.python_package(&line.name) else {
            out.push(Finding::new(
                at,
                format!("`{}` is not provided by the pipelines runtime", line.name),
                format!(
                    "Remove it and use the runtime's packages ({}), or call an HTTP API with \
                     `requests` instead",
                    available.join(", ")
                ),
            ));
            continue;
        };
        let Ok(theirs) = VersionSpecifiers::from_str(&runtime.specifier) else {
            continue;
        };
        if !line.specifiers.is_empty() && !overlaps(&line.specifiers, &theirs) {
            out.push(Finding::new(
                at,
                format!(
                    "`{}` conflicts with the runtime's `{}{}`",
                    line.text, runtime.name, runtime.specifier
                ),
                format!(
                    "Use `{}{}` (or no specifier) and write code for that version",
                    runtime.name, runtime.specifier
                ),
            ));
        }
    }
}
