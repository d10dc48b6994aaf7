//! Edge cases the fixtures do not cover: import aliases, lambdas, class predictors,
//! a missing `replicate` requirement, pinned references.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use pipelines_docs_cache::Rulebook;
use pipelines_tools::validate::{Diagnostic, Project, Schemas, Severity, validate};

const COG: &str = "build:\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n";
const REQ: &str = "replicate>=1.1.0b1,<2.0.0a1\n";

fn check(files: &[(&str, &str)]) -> Vec<Diagnostic> {
    let map: BTreeMap<String, String> = files
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    let project = Project::from_files(&map).unwrap();
    validate(&project, &Rulebook::defaults(), &Schemas::new())
}

fn codes(d: &[Diagnostic]) -> Vec<(&str, usize)> {
    d.iter().map(|d| (d.code.as_str(), d.line)).collect()
}

#[test]
fn use_is_found_through_every_import_form() {
    let main = r#"import replicate as r
from replicate import use as load
from replicate import use


def run(x: int) -> int:
    a = r.use("o/a")
    b = load("o/b")
    c = (lambda: use("o/c"))()
    return x


class Helper:
    def method(self):
        return replicate_free()
"#;
    let d = check(&[
        ("cog.yaml", COG),
        ("requirements.txt", REQ),
        ("main.py", main),
    ]);
    let py001: Vec<usize> = d
        .iter()
        .filter(|d| d.code == "PY001")
        .map(|d| d.line)
        .collect();
    assert_eq!(py001, vec![7, 8, 9], "{:?}", codes(&d));
    // Hoisting is offered for simple assignments only (not for the lambda).
    let edits = d
        .iter()
        .filter(|d| d.code == "PY001" && d.edit.is_some())
        .count();
    assert_eq!(edits, 2);
}

#[test]
fn class_predictors_are_checked_without_self() {
    let main = r#"from cog import BasePredictor


class Predictor(BasePredictor):
    def predict(self, prompt, seed: int = None) -> dict:
        return {}
"#;
    let cog = "build:\n  python_requirements: requirements.txt\npredict: \"main.py:Predictor\"\n";
    let d = check(&[
        ("cog.yaml", cog),
        ("requirements.txt", REQ),
        ("main.py", main),
    ]);
    let mut found: Vec<&str> = d.iter().map(|d| d.code.as_str()).collect();
    found.sort_unstable();
    assert_eq!(found, vec!["PY003", "PY008", "PY012"], "{:?}", codes(&d));
}

#[test]
fn a_missing_replicate_requirement_is_a_warning_with_an_edit() {
    let main = "import replicate\n\nm = replicate.use(\"o/n:abc\")\n\n\ndef run(x: int) -> int:\n    return x\n";
    let d = check(&[
        ("cog.yaml", COG),
        ("requirements.txt", "requests\n"),
        ("main.py", main),
    ]);
    let req002 = d.iter().find(|d| d.code == "REQ002").unwrap();
    assert_eq!(req002.severity, Severity::Warning);
    assert_eq!(req002.file, "requirements.txt");
    let edit = req002.edit.as_deref().unwrap();
    assert!(edit.contains("+replicate>=1.1.0b1,<2.0.0a1"), "{edit}");
    // The pinned reference is looked up without its version.
    let py016 = d.iter().find(|d| d.code == "PY016").unwrap();
    assert!(py016.message.contains("`o/n`"), "{}", py016.message);
}

#[test]
fn loose_pins_warn_and_impossible_pins_error() {
    let main = "def run(x: int) -> int:\n    return x\n";
    let d = check(&[
        ("cog.yaml", COG),
        ("requirements.txt", "cog\nreplicate>=1.0\n"),
        ("main.py", main),
    ]);
    let got: Vec<(&str, Severity)> = d.iter().map(|d| (d.code.as_str(), d.severity)).collect();
    assert_eq!(
        got,
        vec![("REQ001", Severity::Warning), ("REQ002", Severity::Warning)]
    );
    let d = check(&[
        ("cog.yaml", COG),
        ("requirements.txt", "cog<0.15\nreplicate>=2\n"),
        ("main.py", main),
    ]);
    let got: Vec<(&str, Severity)> = d.iter().map(|d| (d.code.as_str(), d.severity)).collect();
    assert_eq!(
        got,
        vec![("REQ001", Severity::Error), ("REQ002", Severity::Error)]
    );
}

#[test]
fn a_project_without_cog_yaml_still_lints_main_py() {
    let d = check(&[(
        "main.py",
        "import os\n\n\ndef run(x: int) -> dict:\n    return os.environ\n",
    )]);
    let mut found: Vec<&str> = d.iter().map(|d| d.code.as_str()).collect();
    found.sort_unstable();
    assert_eq!(found, vec!["COG001", "PY003", "PY010"], "{:?}", codes(&d));
}

#[test]
fn a_missing_predict_target_never_lists_unnamed_functions() {
    let main = "def (:\n    pass\ndef (:\n    pass\ndef go():\n    pass\ndef go():\n    pass\n";
    let d = check(&[
        ("cog.yaml", COG),
        ("requirements.txt", REQ),
        ("main.py", main),
    ]);
    let cog004 = d
        .iter()
        .find(|d| d.code == "COG004")
        .unwrap_or_else(|| panic!("{:?}", codes(&d)));
    assert!(
        cog004.message.ends_with("(it defines: go)"),
        "{}",
        cog004.message
    );
}
