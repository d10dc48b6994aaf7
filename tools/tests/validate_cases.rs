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
    // PY028: a class predictor; PY029: `prompt` and `seed` are never read.
    assert_eq!(
        found,
        vec!["PY003", "PY008", "PY012", "PY028", "PY029", "PY029"],
        "{:?}",
        codes(&d)
    );
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
    assert_eq!(
        found,
        vec!["COG001", "PY003", "PY010", "PY029"],
        "{:?}",
        codes(&d)
    );
}

#[test]
fn noqa_follows_ruff_semantics_for_every_file() {
    let main = r#"import replicate
from PIL import Image  # noqa: REQ005


def run(prompt: str, seed: int, steps: int) -> str:  # noqa: PY029
    x = replicate.run("a/b", input={})  # NOQA
    y = replicate.run("a/b", input={})  # noqa: PY001, PY002
    return str(Image) + prompt + str(x) + str(y)
"#;
    let d = check(&[
        ("cog.yaml", COG),
        (
            "requirements.txt",
            "replicate>=1.1.0b1,<2.0.0a1\nnumpy  # noqa\n",
        ),
        ("main.py", main),
    ]);
    // Only the `replicate.run` on line 7 stays: its noqa names other codes.
    assert_eq!(codes(&d), vec![("PY027", 7)]);
}

#[test]
fn findings_are_capped_per_rule_and_file() {
    let reqs: String = (0..150_000).map(|i| format!("pkg{i}\n")).collect();
    let d = check(&[
        ("cog.yaml", COG),
        ("requirements.txt", &format!("{REQ}{reqs}")),
        ("main.py", "def run(x: int) -> int:\n    return x\n"),
    ]);
    let req003 = d.iter().filter(|d| d.code == "REQ003").count();
    assert_eq!(req003, pipelines_tools::validate::MAX_PER_RULE_PER_FILE + 1);
    let last = d.iter().rfind(|d| d.code == "REQ003").unwrap();
    assert!(
        last.message
            .starts_with("… and 149950 more REQ003 findings"),
        "{}",
        last.message
    );
}

#[test]
fn hostile_python_gets_a_nested_too_deeply_finding() {
    let deep_calls = format!("x = {}1{}\n", "f(".repeat(100_000), ")".repeat(100_000));
    let lambdas = format!("x = {}1\n", "lambda: ".repeat(100_000));
    let sums = format!("x = {}a\n", "a+".repeat(1_000_000));
    let attrs = format!("x = a{}\n", ".b".repeat(1_000_000));
    for main in [deep_calls, lambdas, sums, attrs] {
        let d = check(&[
            ("cog.yaml", COG),
            ("requirements.txt", REQ),
            ("main.py", &main),
        ]);
        let py000: Vec<&Diagnostic> = d.iter().filter(|d| d.code == "PY000").collect();
        assert_eq!(py000.len(), 1, "{:?}", codes(&d));
        assert!(
            py000[0].message.contains("nested too deeply (limit 200)"),
            "{}",
            py000[0].message
        );
    }
}

#[test]
fn a_long_but_shallow_attribute_chain_inside_the_limit_is_analysed() {
    let chain = format!("import os\nx = os{}\n", ".path".repeat(150));
    let d = check(&[
        ("cog.yaml", COG),
        ("requirements.txt", REQ),
        ("main.py", &chain),
    ]);
    assert!(!d.iter().any(|d| d.code == "PY000"), "{:?}", codes(&d));
}

#[test]
fn hostile_cog_yaml_is_refused_quickly() {
    let nested = format!("{}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let d = check(&[("cog.yaml", &nested), ("requirements.txt", REQ)]);
    let cog002: Vec<&Diagnostic> = d.iter().filter(|d| d.code == "COG002").collect();
    assert_eq!(cog002.len(), 1, "{:?}", codes(&d));
    assert!(
        cog002[0].message.contains("nested too deeply"),
        "{}",
        cog002[0].message
    );
    let big = format!("predict: \"main.py:run\"\n# {}\n", "x".repeat(100_000));
    let d = check(&[("cog.yaml", &big), ("requirements.txt", REQ)]);
    assert!(
        d.iter()
            .any(|d| d.code == "COG002" && d.message.contains("limit"))
    );
}

#[test]
fn nesting_just_inside_the_limit_parses_on_the_big_stack() {
    use pipelines_tools::validate::{NESTING_LIMIT, PARSE_BUDGET, on_big_stack};
    let n = NESTING_LIMIT - 10;
    let main = format!(
        "def run(x: int) -> int:\n    return {}x{}\n",
        "abs(".repeat(n),
        ")".repeat(n)
    );
    let d = on_big_stack(PARSE_BUDGET, move || {
        check(&[
            ("cog.yaml", COG),
            ("requirements.txt", REQ),
            ("main.py", &main),
        ])
    })
    .unwrap();
    assert!(d.is_empty(), "{:?}", codes(&d));
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
