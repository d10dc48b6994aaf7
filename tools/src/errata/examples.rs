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

/// Markers of a deliberate counter-example.
const WRONG_MARKERS: &[&str] = &["❌", "wrong", "not supported", "don't", "do not", "bad:"];

pub(super) fn check(doc: &Sectioned) -> Vec<Erratum> {
    let rules = Rulebook::defaults();
    let schemas: Schemas = std::iter::empty().collect();
    let mut out = Vec::new();
    for block in doc.code_blocks() {
        if !block.is_python() {
            continue;
        }
        let lower = block.code.to_lowercase();
        if WRONG_MARKERS.iter().any(|m| lower.contains(m)) {
            continue;
        }
        let files = BTreeMap::from([("main.py".to_owned(), block.code.clone())]);
        let Ok(project) = Project::from_files(&files) else {
            continue;
        };
        let found = validate(&project, &rules, &schemas);
        if found.iter().any(|d| d.code == "PY000") {
            continue;
        }
        for d in found
            .into_iter()
            .filter(|d| SNIPPET_RULES.contains(&d.code.as_str()))
        {
            let rule = if d.doc_section == block.section {
                "an explicit rule stated in this section".to_owned()
            } else {
                format!("an explicit rule of `{}`", d.doc_section)
            };
            out.push(Erratum {
                section: block.section.clone(),
                kind: ErratumKind::Example,
                line: block.line + d.line,
                note: format!(
                    "Note: the example at line {} breaks {rule} ({}: {}); explicit rules win over examples, so follow `{}`, not the example.",
                    block.line + d.line,
                    d.code,
                    d.message.trim_end_matches('.'),
                    d.doc_section
                ),
                code: Some(d.code),
            });
        }
    }
    out
}
