//! Shared by REQ001/REQ002: a pin in requirements.txt against the spec's specifier.

use std::str::FromStr;

use pep440_rs::VersionSpecifiers;

use crate::validate::Severity;
use crate::validate::rule::{Context, Finding, Findings, Location};
use crate::validate::versions::relation;

/// Checks the requirement on `package` against `required` (a PEP 440 specifier).
pub(crate) fn check_pin(ctx: &Context<'_>, package: &str, required: &str, out: &mut Findings) {
    let Some(reqs) = &ctx.project.requirements else {
        return;
    };
    let Some(line) = reqs.get(package) else {
        return;
    };
    let Ok(spec) = VersionSpecifiers::from_str(required) else {
        return;
    };
    let at = Location::new(reqs.path.clone(), line.line, line.column);
    let wanted = format!("{package}{required}");
    if line.is_url {
        out.push(
            Finding::new(
                at,
                format!("`{package}` is installed from a URL; the spec requires `{wanted}`"),
                format!("Replace the line with `{wanted}`"),
            )
            .with_severity(Severity::Warning),
        );
        return;
    }
    let relation = relation(&line.specifiers, &spec);
    if !relation.overlaps {
        out.push(Finding::new(
            at,
            format!(
                "`{}` allows no version the spec accepts (`{wanted}`)",
                line.text
            ),
            format!("Replace the line with `{wanted}`"),
        ));
    } else if relation.allows_outside {
        let shown = if line.specifiers.is_empty() {
            format!("`{package}` is unpinned")
        } else {
            format!("`{}` also allows versions", line.text)
        };
        out.push(
            Finding::new(
                at,
                format!("{shown} outside the spec's `{wanted}`"),
                format!("Pin within the spec: `{wanted}`"),
            )
            .with_severity(Severity::Warning),
        );
    }
}
