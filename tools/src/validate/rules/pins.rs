//! Shared by REQ001/REQ002: a pin in requirements.txt against the spec's specifier.

use std::str::FromStr;

use pep440_rs::VersionSpecifiers;

use crate::validate::Severity;
use crate::validate::rule::{Context, Finding, Findings, Location};
use crate::validate::versions::{Relation, relation};

/// Checks the requirement on `package` against `required` (a PEP 440 specifier).
pub(crate) fn check_pin(ctx: &Context<'_>, package: &str, required: &str, out: &mut Findings) {
    let Some(reqs) = &ctx.project.requirements else {
        return;
    };
    let Some(line) = reqs.get(package) else {
        return;
    };
    // Also a URL's line is checked only against a valid requirement.
    let Some(relation) = relation_to_required(&line.text, &line.specifiers, required) else {
        return;
    };
    if !line.is_url && relation.overlaps && !relation.allows_outside {
        return; // within the spec: nothing to say
    }
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

/// Pairs kept per thread (see [`relation_to_required`]).
const KEPT_RELATIONS: usize = 8;

thread_local! {
    /// The last relations worked out, by pin as written and requirement: a project is
    /// validated again and again with the same pins, and the spec's requirement changes only
    /// with the spec.
    static RELATIONS: std::cell::RefCell<Vec<(String, String, Relation)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// How `specifiers` (the pin `text`) relate to `required`; `None` when `required` is not a
/// PEP 440 specifier set.
fn relation_to_required(
    text: &str,
    specifiers: &VersionSpecifiers,
    required: &str,
) -> Option<Relation> {
    let kept = RELATIONS.with(|k| {
        k.borrow()
            .iter()
            .find(|(t, r, _)| t == text && r == required)
            .map(|(_, _, relation)| *relation)
    });
    if kept.is_some() {
        return kept;
    }
    let spec = VersionSpecifiers::from_str(required).ok()?;
    let found = relation(specifiers, &spec);
    RELATIONS.with(|k| {
        let mut k = k.borrow_mut();
        if k.len() == KEPT_RELATIONS {
            k.remove(0);
        }
        k.push((text.to_string(), required.to_string(), found));
    });
    Some(found)
}
