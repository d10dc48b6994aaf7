//! Python examples in the spec checked with the validator rules that make sense for a
//! snippet: rules about one Python file alone, with no `cog.yaml`, requirements or schemas.
//! Examples that do not parse, and examples the spec marks as wrong (`❌`, `WRONG`, "not
//! supported"), are skipped: nothing is said when an example is ambiguous.

use std::collections::BTreeMap;

use pipelines_docs_cache::Rulebook;
use pipelines_docs_cache::sections::Sectioned;

use super::{Erratum, ErratumKind};
use crate::validate::{Project, Schemas, validate};

/// The rules that apply to a lone snippet.
const SNIPPET_RULES: &[&str] = &[
    "PY001", "PY002", "PY003", "PY004", "PY005", "PY006", "PY007", "PY008", "PY010", "PY011",
    "PY013", "PY014",
];

/// The snippet's findings of the snippet rules: as written (its `run`), and, when it has no
/// `run`, once for each module-level function that takes cog inputs (`Secret`, `Input(…)`)
/// as if it were the predict function. Nothing when the snippet does not parse.
fn findings(
    code: &str,
    rules: &Rulebook,
    schemas: &Schemas,
) -> Vec<(Option<String>, Vec<crate::validate::Diagnostic>)> {
    let mut targets: Vec<Option<String>> = vec![None];
    if !code
        .lines()
        .any(|l| l.starts_with("def run(") || l.starts_with("async def run("))
    {
        targets.extend(cog_shaped_functions(code).into_iter().map(Some));
    }
    let mut out = Vec::new();
    for target in targets {
        let mut files = BTreeMap::from([("main.py".to_owned(), code.to_owned())]);
        if let Some(name) = &target {
            files.insert(
                "cog.yaml".to_owned(),
                format!("predict: \"main.py:{name}\"\n"),
            );
        }
        let Ok(project) = Project::from_files(&files) else {
            return Vec::new();
        };
        let found = validate(&project, rules, schemas);
        if found.iter().any(|d| d.code == "PY000") {
            return Vec::new();
        }
        let kept: Vec<_> = found
            .into_iter()
            .filter(|d| SNIPPET_RULES.contains(&d.code.as_str()))
            .filter(|d| {
                // A function-level finding belongs to the function checked, not again to `run`.
                !out.iter().any(
                    |(_, prev): &(Option<String>, Vec<crate::validate::Diagnostic>)| {
                        prev.iter().any(|p| p.code == d.code && p.line == d.line)
                    },
                )
            })
            .collect();
        if !kept.is_empty() {
            out.push((target, kept));
        }
    }
    out
}

/// Module-level functions whose signature takes a `Secret` or an `Input(…)`.
fn cog_shaped_functions(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices("def ") {
        let line_start = code[..at].rfind('\n').map_or(0, |i| i + 1);
        let prefix = &code[line_start..at];
        if !(prefix.is_empty() || prefix == "async ") {
            continue;
        }
        let rest = &code[at + 4..];
        let Some(open) = rest.find('(') else { continue };
        let name = rest[..open].trim();
        let signature = rest.find(":\n").map_or(rest, |end| &rest[..end]);
        if !name.is_empty()
            && name.chars().all(|c| c.is_alphanumeric() || c == '_')
            && (signature.contains("Secret") || signature.contains("Input("))
        {
            out.push(name.to_owned());
        }
    }
    out
}

/// Markers of a deliberate counter-example.
const WRONG_MARKERS: &[&str] = &["❌", "wrong", "not supported", "don't", "do not", "bad:"];

pub(super) fn check(doc: &Sectioned) -> Vec<Erratum> {
    let rules = Rulebook::defaults();
    let schemas = Schemas::new();
    let mut out = Vec::new();
    for block in doc.code_blocks() {
        if !block.is_python() {
            continue;
        }
        let lower = block.code.to_lowercase();
        if WRONG_MARKERS.iter().any(|m| lower.contains(m)) {
            continue;
        }
        for (target, found) in findings(&block.code, &rules, &schemas) {
            let used_as = match &target {
                Some(name) => format!(" (its `{name}` used as the pipeline's `run()`)"),
                None => String::new(),
            };
            for d in found {
                let rule = if d.doc_section == block.section {
                    "an explicit rule stated in this section".to_owned()
                } else {
                    format!("an explicit rule of `{}`", d.doc_section)
                };
                let line = block.line + d.line;
                out.push(Erratum {
                    section: block.section.clone(),
                    kind: ErratumKind::Example,
                    line,
                    note: format!(
                        "Note: the example at line {line}{used_as} breaks {rule} ({}: {}); explicit rules win over examples, so follow `{}`, not the example.",
                        d.code,
                        d.message.trim_end_matches('.'),
                        d.doc_section
                    ),
                    code: Some(d.code),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(code: &str) -> Sectioned {
        Sectioned::parse(&format!(
            "# Cog\n\n## Outputs\n\nNever return `dict`.\n\n# Secrets\n\n```py\n{code}```\n"
        ))
    }

    #[test]
    fn an_example_breaking_a_rule_is_noted_and_counter_examples_are_not() {
        let found = check(&spec(
            "from cog import Secret\n\ndef call(q: str, key: Secret) -> dict:\n    return {}\n",
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code.as_deref(), Some("PY003"));
        assert_eq!(found[0].section, "secrets");
        assert!(
            found[0].note.contains("follow `cog/outputs`"),
            "{}",
            found[0].note
        );
        assert!(
            found[0]
                .note
                .contains("`call` used as the pipeline's `run()`")
        );
        // A helper without cog inputs, a marked counter-example, a fragment: nothing.
        assert!(check(&spec("def helper(x: int) -> dict:\n    return {}\n")).is_empty());
        assert!(check(&spec("# ❌ WRONG\ndef run() -> dict:\n    return {}\n")).is_empty());
        assert!(check(&spec("use(ref, *, hint=None) -> Function\n")).is_empty());
        assert!(check(&spec("def run() -> str:\n    return 'ok'\n")).is_empty());
    }
}
