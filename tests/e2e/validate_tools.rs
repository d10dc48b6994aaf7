//! `validate_pipeline` through the real binary: diagnostics with codes, positions, citations
//! and fixes; paths confined to the working directory; inline files; the schema cache shared
//! with `fetch_model_schema` (PY016 → PY017/PY018); over HTTP, files and not paths. Also the
//! projects and helpers the other `validate_*` test files share.

use std::{collections::BTreeSet, fs, path::Path};

use serde_json::{Value, json};

use crate::{
    fakes::Fakes,
    py,
    support::{HttpServer, Sandbox},
};

pub(crate) const COG_YAML: &str =
    "build:\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n";
pub(crate) const COG_YAML_GPU: &str =
    "build:\n  gpu: true\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n";
pub(crate) const REQUIREMENTS: &str = "replicate>=1.1.0b1,<2.0.0a1\n";

/// What [`CLEAN_MAIN`] needs: it imports PIL, so `pillow` is listed (REQ005 otherwise).
pub(crate) const CLEAN_REQUIREMENTS: &str = "replicate>=1.1.0b1,<2.0.0a1\npillow\n";

/// A pipeline without mistakes (it imports PIL, which the runtime provides).
pub(crate) const CLEAN_MAIN: &str = r#"from cog import Input
from PIL import Image


def run(text: str = Input(description="Text to echo")) -> str:
    return text
"#;

/// Known mistakes: `-> dict` (PY003, line 9), `os.environ` (PY010, line 10), and a call of
/// acme/pixel-forge with a misspelt input and without its required `prompt` (PY016 until
/// the schema is fetched, then PY017 and PY018, line 11).
pub(crate) const BAD_MAIN: &str = r#"import os

import replicate
from cog import Path

forge = replicate.use("acme/pixel-forge")


def run(prompt: str) -> dict:
    key = os.environ["KEY"]
    images = forge(num_output=2)
    return {"images": images, "key": key}
"#;

pub(crate) fn write_project(dir: &Path, cog_yaml: &str, main_py: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("cog.yaml"), cog_yaml).unwrap();
    let requirements = if main_py == CLEAN_MAIN {
        CLEAN_REQUIREMENTS
    } else {
        REQUIREMENTS
    };
    fs::write(dir.join("requirements.txt"), requirements).unwrap();
    fs::write(dir.join("main.py"), main_py).unwrap();
}

pub(crate) fn inline_files(cog_yaml: &str, main_py: &str) -> Value {
    json!({"cog.yaml": cog_yaml, "main.py": main_py, "requirements.txt": REQUIREMENTS})
}

pub(crate) fn diagnostics(report: &Value) -> &Vec<Value> {
    report["diagnostics"]
        .as_array()
        .unwrap_or_else(|| panic!("a validation report: {report}"))
}

pub(crate) fn codes(report: &Value) -> BTreeSet<String> {
    diagnostics(report)
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

pub(crate) fn find<'a>(report: &'a Value, code: &str) -> &'a Value {
    diagnostics(report)
        .iter()
        .find(|d| d["code"] == code)
        .unwrap_or_else(|| panic!("{code} reported: {report}"))
}

/// Every diagnostic is complete: code, name, severity, file, 1-based position, message,
/// the cited section and a fix.
pub(crate) fn assert_complete(report: &Value) {
    for d in diagnostics(report) {
        for key in ["code", "name", "file", "message", "doc_section", "fix"] {
            assert!(
                d[key].as_str().is_some_and(|s| !s.is_empty()),
                "diagnostic has {key}: {d}"
            );
        }
        assert!(
            d["severity"] == "error" || d["severity"] == "warning",
            "{d}"
        );
        assert!(d["line"].as_u64().is_some_and(|l| l >= 1), "{d}");
        assert!(d["column"].as_u64().is_some_and(|c| c >= 1), "{d}");
    }
    let errors = diagnostics(report)
        .iter()
        .filter(|d| d["severity"] == "error")
        .count();
    assert_eq!(report["summary"]["errors"], errors, "{report}");
    assert_eq!(
        report["summary"]["warnings"],
        diagnostics(report).len() - errors,
        "{report}"
    );
    assert_eq!(report["ok"], errors == 0, "{report}");
}

#[test]
fn validate_pipeline_finds_mistakes_and_uses_schemas_fetched_in_the_session() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();
    let project = sandbox.scratch().join("caption-app");
    write_project(&project, COG_YAML_GPU, BAD_MAIN);
    let doc = py::stdio_in(
        &sandbox,
        sandbox.scratch(),
        json!([
            {"op": "list_tools"},
            {"op": "call_tool", "name": "validate_pipeline", "args": {"path": "caption-app"}},
            {"op": "call_tool", "name": "fetch_model_schema", "args": {"models": ["acme/pixel-forge"]}},
            {"op": "call_tool", "name": "validate_pipeline",
             "args": {"path": project.display().to_string()}},
        ]),
    );
    let tools = py::result(&doc, 0);

    // Before the schema is fetched: PY016 tells the agent to fetch it.
    let before = py::result(&doc, 1);
    assert!(
        !py::is_error(before),
        "findings are a normal result: {before}"
    );
    py::assert_matches_output_schema(tools, "validate_pipeline", before);
    let report = &before["structuredContent"];
    assert_complete(report);
    assert_eq!(report["ok"], false);
    let found = codes(report);
    for code in ["COG005", "PY003", "PY010", "PY016"] {
        assert!(found.contains(code), "{code} in {found:?}: {report}");
    }
    assert!(
        !found.contains("PY017") && !found.contains("PY018"),
        "{found:?}"
    );
    let py016 = find(report, "PY016");
    assert!(
        py016["message"]
            .as_str()
            .unwrap()
            .contains("acme/pixel-forge")
            && py016["fix"]
                .as_str()
                .unwrap()
                .contains("fetch_model_schema"),
        "names the model and the tool to call: {py016}"
    );
    assert_eq!(py016["file"], "main.py");
    assert_eq!(py016["line"], 6, "{py016}");
    let py003 = find(report, "PY003");
    assert_eq!(
        (&py003["file"], &py003["line"], &py003["column"]),
        (&json!("main.py"), &json!(9), &json!(25)),
        "the position of `dict` in `def run(prompt: str) -> dict:`: {py003}"
    );
    assert_eq!(py003["doc_section"], "cog/outputs");
    assert_eq!(py003["name"], "dict-output");
    let py010 = find(report, "PY010");
    assert_eq!((&py010["line"], &py010["column"]), (&json!(10), &json!(11)));
    let cog005 = find(report, "COG005");
    assert_eq!(cog005["file"], "cog.yaml", "{cog005}");
    let text = py::tool_text(before);
    assert!(
        text.contains("main.py:9:25: PY003"),
        "ruff-style text: {text}"
    );

    // The tool fetched the schema into the cache the validator reads.
    assert!(!py::is_error(py::result(&doc, 2)), "{doc}");
    let after = py::result(&doc, 3);
    py::assert_matches_output_schema(tools, "validate_pipeline", after);
    let report = &after["structuredContent"];
    assert_complete(report);
    let found = codes(report);
    assert!(!found.contains("PY016"), "schema now cached: {found:?}");
    let unknown = find(report, "PY017");
    assert_eq!(unknown["line"], 11, "{unknown}");
    let message = unknown["message"].as_str().unwrap();
    assert!(
        message.contains("num_output") && message.contains("num_outputs"),
        "names the input and suggests the closest one: {unknown}"
    );
    let missing = find(report, "PY018");
    assert!(
        missing["message"].as_str().unwrap().contains("prompt"),
        "{missing}"
    );
}

#[test]
fn validate_pipeline_inline_files_and_refused_paths() {
    let sandbox = Sandbox::new();
    let clean = sandbox.scratch().join("clean");
    write_project(&clean, COG_YAML, CLEAN_MAIN);
    let outside = tempfile::tempdir().unwrap();
    write_project(outside.path(), COG_YAML, CLEAN_MAIN);
    std::os::unix::fs::symlink(outside.path(), sandbox.scratch().join("escape")).unwrap();

    let doc = py::stdio_in(
        &sandbox,
        sandbox.scratch(),
        json!([
            {"op": "list_tools"},
            {"op": "call_tool", "name": "validate_pipeline",
             "args": {"files": inline_files(COG_YAML, BAD_MAIN)}},
            {"op": "call_tool", "name": "validate_pipeline", "args": {"path": "clean"}},
            {"op": "call_tool", "name": "validate_pipeline", "args": {"path": "/etc"}},
            {"op": "call_tool", "name": "validate_pipeline", "args": {"path": "../.."}},
            {"op": "call_tool", "name": "validate_pipeline", "args": {"path": "clean/../.."}},
            {"op": "call_tool", "name": "validate_pipeline", "args": {"path": "escape"}},
            {"op": "call_tool", "name": "validate_pipeline",
             "args": {"path": "clean", "files": inline_files(COG_YAML, CLEAN_MAIN)}},
            {"op": "call_tool", "name": "validate_pipeline", "args": {}},
            {"op": "call_tool", "name": "validate_pipeline", "args": {"path": "no-such-dir"}},
        ]),
    );
    let tools = py::result(&doc, 0);

    let inline = py::result(&doc, 1);
    assert!(!py::is_error(inline), "{inline}");
    py::assert_matches_output_schema(tools, "validate_pipeline", inline);
    let report = &inline["structuredContent"];
    assert_complete(report);
    let found = codes(report);
    for code in ["PY003", "PY010", "PY016"] {
        assert!(found.contains(code), "{code} in {found:?}");
    }
    assert_eq!(find(report, "PY003")["line"], 9);

    let clean = py::result(&doc, 2);
    py::assert_matches_output_schema(tools, "validate_pipeline", clean);
    assert_eq!(clean["structuredContent"]["ok"], true, "{clean}");
    assert_eq!(
        clean["structuredContent"]["diagnostics"],
        json!([]),
        "{clean}"
    );

    for (i, what) in [
        (3, "an absolute path outside the root"),
        (4, "a `..` escape"),
        (5, "a `..` escape through a subdirectory"),
        (6, "a symlink out of the root"),
    ] {
        let r = py::result(&doc, i);
        assert!(py::is_error(r), "{what} is refused: {r}");
        assert!(
            py::tool_text(r).contains("outside"),
            "{what}: {}",
            py::tool_text(r)
        );
        assert!(r.get("structuredContent").is_none(), "{r}");
    }
    let both = py::result(&doc, 7);
    assert!(py::is_error(both), "{both}");
    assert!(
        py::tool_text(both).contains("not both"),
        "{}",
        py::tool_text(both)
    );
    let neither = py::result(&doc, 8);
    assert!(py::is_error(neither), "{neither}");
    assert!(
        py::tool_text(neither).contains("files"),
        "{}",
        py::tool_text(neither)
    );
    let missing = py::result(&doc, 9);
    assert!(py::is_error(missing), "{missing}");
}

#[test]
fn validate_pipeline_over_http_takes_files_not_paths() {
    let server = HttpServer::start(&[]);
    let doc = py::run_script(&py::http_script(
        &server,
        None,
        "auto",
        json!([
            {"op": "list_tools"},
            {"op": "call_tool", "name": "validate_pipeline",
             "args": {"files": inline_files(COG_YAML_GPU, BAD_MAIN)}},
            {"op": "call_tool", "name": "validate_pipeline", "args": {"path": "."}},
        ]),
    ));
    let inline = py::result(&doc, 1);
    py::assert_matches_output_schema(py::result(&doc, 0), "validate_pipeline", inline);
    let report = &inline["structuredContent"];
    assert_complete(report);
    let found = codes(report);
    for code in ["COG005", "PY003", "PY010", "PY016"] {
        assert!(found.contains(code), "{code} in {found:?}");
    }
    let path = py::result(&doc, 2);
    assert!(py::is_error(path), "{path}");
    assert!(
        py::tool_text(path).contains("`files`"),
        "a hosted server says to pass the files inline: {}",
        py::tool_text(path)
    );
}
