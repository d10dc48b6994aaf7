//! Statements of the spec that the client library contradicts. One is known: the spec says
//! files from models (`URLPath`) may be passed to other models as they are. One may — the
//! client sends a single `URLPath` as its URL — but a list of them reaches the JSON encoder
//! unchanged and the call fails (`TypeError: Object of type URLPath is not JSON
//! serializable`; replicate 1.1.0b2 and 1.1.0b3, checked with a real run). PY034 flags it in
//! code; this notes it where the spec says it. A passage that already speaks of lists and
//! `get_path_url` is left alone.

use pipelines_docs_cache::sections::Sectioned;

use super::{Erratum, ErratumKind};

pub(super) fn check(doc: &Sectioned) -> Vec<Erratum> {
    doc.prose()
        .into_iter()
        .filter(|p| says_files_pass_as_is(&p.text))
        .map(|p| Erratum {
            section: p.section,
            kind: ErratumKind::Library,
            code: Some("PY034".to_owned()),
            line: p.line,
            note: "Note: this holds for one file, not for a list of them: replicate-python sends a single model file (`URLPath`) as its URL, but a list of them fails before the call starts (`TypeError: Object of type URLPath is not JSON serializable`); pass `[get_path_url(f) for f in files]` (PY034).".to_owned(),
        })
        .collect()
}

/// "Files returned from models (`URLPath`) … may be used directly as inputs", in any wording
/// that names `URLPath`, says "directly" or "as is", and speaks of model inputs.
fn says_files_pass_as_is(text: &str) -> bool {
    let lower = text.to_lowercase();
    let as_is = ["directly", "as is", "as-is", "unchanged"]
        .iter()
        .any(|w| lower.contains(w));
    let to_models = lower.contains("input") || lower.contains("to models");
    let lists_said = lower.contains("list") && lower.contains("get_path_url");
    lower.contains("urlpath") && as_is && to_models && !lists_said
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(bullet: &str) -> Sectioned {
        Sectioned::parse(&format!(
            "# Things to keep in mind\n\n* {bullet}\n* Another.\n"
        ))
    }

    #[test]
    fn the_claim_is_noted_in_any_wording_and_a_caveated_one_is_not() {
        for claim in [
            "Files returned from models (of type `URLPath`), as well as inputs of type `Path`, may be used directly as inputs to models that expect URLs.",
            "Files from one model (`URLPath`) and `Path` inputs can be passed to models that take URLs as is.",
        ] {
            let found = check(&doc(claim));
            assert_eq!(found.len(), 1, "{claim}");
            assert_eq!(found[0].kind, ErratumKind::Library);
            assert_eq!(found[0].code.as_deref(), Some("PY034"));
            assert_eq!(found[0].line, 3);
            assert!(found[0].note.contains("get_path_url(f) for f in files"));
        }
        for fine in [
            "One file from a model (`URLPath`) can be passed as is; pass a list of them as `[get_path_url(f) for f in files]`.",
            "File outputs are `URLPath` objects; they download on first use.",
            "Inputs may be used directly.",
        ] {
            assert!(check(&doc(fine)).is_empty(), "{fine}");
        }
    }
}
