//! `validate_pipeline` and `mcp-pipelines validate` through the real binary: diagnostics with
//! codes, positions, citations and fixes; paths confined to the working directory; inline
//! files; the schema cache shared with `fetch_model_schema` (PY016 → PY017/PY018); the CLI's
//! exit codes and JSON shape; and a changed runtime list changing PY009.

use std::{collections::BTreeSet, fs, path::Path};

use pipelines_test_fakes::docs_host::{Doc, RUNTIME_REQUIREMENTS};
use serde_json::{Value, json};

use crate::{
    fakes::Fakes,
    py,
    support::{HttpServer, Sandbox, cli},
};

pub(crate) const COG_YAML: &str =
    "build:\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n";
const COG_YAML_GPU: &str =
    "build:\n  gpu: true\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n";
const REQUIREMENTS: &str = "replicate>=1.1.0b1,<2.0.0a1\n";
/// What [`CLEAN_MAIN`] needs: it imports PIL, so `pillow` is listed (REQ005 otherwise).
const CLEAN_REQUIREMENTS: &str = "replicate>=1.1.0b1,<2.0.0a1\npillow\n";

/// A pipeline without mistakes (it imports PIL, which the runtime provides).
const CLEAN_MAIN: &str = r#"from cog import Input
from PIL import Image


def run(text: str = Input(description="Text to echo")) -> str:
    return text
"#;

/// Known mistakes: `-> dict` (PY003, line 9), `os.environ` (PY010, line 10), and a call of
/// acme/pixel-forge with a misspelt input and without its required `prompt` (PY016 until
/// the schema is fetched, then PY017 and PY018, line 11).
const BAD_MAIN: &str = r#"import os

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

fn diagnostics(report: &Value) -> &Vec<Value> {
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

/// The CLI's JSON: exactly these keys (plus `doc_title`/`edit` on diagnostics and
/// `rules_from` on the report, which the issue's citation and suggested-edit items add).
fn assert_cli_shape(report: &Value) {
    let keys = |v: &Value| -> BTreeSet<String> {
        v.as_object()
            .unwrap_or_else(|| panic!("an object: {v}"))
            .keys()
            .cloned()
            .collect()
    };
    let set =
        |names: &[&str]| -> BTreeSet<String> { names.iter().map(|s| (*s).to_string()).collect() };
    assert_eq!(
        keys(report),
        set(&["ok", "diagnostics", "summary", "rules_from"]),
        "{report}"
    );
    assert!(report["ok"].is_boolean());
    assert_eq!(keys(&report["summary"]), set(&["errors", "warnings"]));
    assert!(report["summary"]["errors"].is_u64() && report["summary"]["warnings"].is_u64());
    let required = set(&[
        "code",
        "name",
        "severity",
        "file",
        "line",
        "column",
        "message",
        "doc_section",
        "fix",
    ]);
    for d in diagnostics(report) {
        let have = keys(d);
        assert!(have.is_superset(&required), "{d}");
        let extra: BTreeSet<String> = have.difference(&required).cloned().collect();
        assert!(
            extra.is_subset(&set(&["doc_title", "edit"])),
            "unexpected keys {extra:?}: {d}"
        );
        assert!(d["line"].is_u64() && d["column"].is_u64(), "{d}");
    }
    assert_complete(report);
}

#[test]
fn validate_cli_exit_codes_and_json_shape() {
    let sandbox = Sandbox::new();
    let clean = sandbox.scratch().join("clean");
    write_project(&clean, COG_YAML, CLEAN_MAIN);
    let bad = sandbox.scratch().join("bad");
    write_project(&bad, COG_YAML_GPU, BAD_MAIN);

    let ok = cli(
        &sandbox,
        &["validate", clean.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(ok.code, Some(0), "{}\n{}", ok.stdout, ok.stderr);
    let report = ok.json();
    assert_cli_shape(&report);
    assert_eq!(report["ok"], true);
    assert_eq!(report["diagnostics"], json!([]));
    assert_eq!(report["summary"], json!({"errors": 0, "warnings": 0}));

    let failing = cli(
        &sandbox,
        &["validate", bad.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(failing.code, Some(1), "{}", failing.stderr);
    let report = failing.json();
    assert_cli_shape(&report);
    assert_eq!(report["ok"], false);
    let found = codes(&report);
    for code in ["COG005", "PY003", "PY010", "PY016"] {
        assert!(found.contains(code), "{code} in {found:?}");
    }
    let py003 = find(&report, "PY003");
    assert_eq!((&py003["line"], &py003["column"]), (&json!(9), &json!(25)));

    // Text format: same exit code, ruff-style lines.
    let text = cli(&sandbox, &["validate", bad.to_str().unwrap()]);
    assert_eq!(text.code, Some(1));
    assert!(
        text.stdout.contains("main.py:9:25: PY003"),
        "{}",
        text.stdout
    );

    // Could not run: exit 2, the reason on stderr and, with --format json, as a JSON object.
    let missing = sandbox.scratch().join("no-such-project");
    let broken = cli(
        &sandbox,
        &["validate", missing.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(broken.code, Some(2), "{}", broken.stdout);
    let error: Value = serde_json::from_str(&broken.stdout).unwrap();
    assert_eq!(error["ok"], false, "{}", broken.stdout);
    assert!(
        error["error"].as_str().unwrap().contains("no-such-project"),
        "{}",
        broken.stdout
    );
    assert!(
        broken.stderr.contains("no-such-project"),
        "{}",
        broken.stderr
    );

    // The CLI takes any path, e.g. relative with `..`.
    let mut cmd = sandbox.command(&["validate", "../clean", "--format", "json"]);
    cmd.current_dir(&bad);
    let out = crate::support::run_to_end(&mut cmd, b"", "validate ../clean");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_runtime_list_without_pillow_flips_py009_after_docs_refresh() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();
    let project = sandbox.scratch().join("uses-pil");
    write_project(&project, COG_YAML, CLEAN_MAIN);
    let dir = project.to_str().unwrap();

    let refresh = cli(&sandbox, &["docs", "refresh", "--format", "json"]);
    assert_eq!(refresh.code, Some(0), "{}", refresh.stderr);
    let with_pillow = cli(&sandbox, &["validate", dir, "--format", "json"]);
    assert_eq!(
        with_pillow.code,
        Some(0),
        "pillow is in the runtime: {}",
        with_pillow.stdout
    );
    assert!(
        with_pillow.json()["rules_from"]
            .as_str()
            .unwrap()
            .contains("cached"),
        "{}",
        with_pillow.stdout
    );

    // The runtime drops pillow; after a refresh the same project imports an unsupported module.
    let without: String = RUNTIME_REQUIREMENTS
        .lines()
        .filter(|l| !l.starts_with("pillow"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(without, RUNTIME_REQUIREMENTS);
    fakes.docs.set_body(Doc::Runtime, &without);
    let refresh = cli(
        &sandbox,
        &["docs", "refresh", "--source", "runtime", "--format", "json"],
    );
    assert_eq!(refresh.code, Some(0), "{}", refresh.stderr);
    assert_eq!(refresh.json()["sources"][0]["changed"], true);
    let rules = cli(&sandbox, &["docs", "rules", "--format", "json"]).json();
    assert!(
        !rules["python_packages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "pillow"),
        "{rules}"
    );

    let flipped = cli(&sandbox, &["validate", dir, "--format", "json"]);
    assert_eq!(flipped.code, Some(1), "{}", flipped.stdout);
    let report = flipped.json();
    assert_cli_shape(&report);
    let py009 = find(&report, "PY009");
    assert_eq!(
        (&py009["line"], &py009["file"]),
        (&json!(2), &json!("main.py"))
    );
    assert!(
        py009["message"].as_str().unwrap().contains("PIL"),
        "{py009}"
    );

    // The MCP tool sees the same cached Rulebook.
    let doc = py::stdio_in(
        &sandbox,
        sandbox.scratch(),
        json!([{"op": "call_tool", "name": "validate_pipeline", "args": {"path": "uses-pil"}}]),
    );
    let codes = codes(&py::result(&doc, 0)["structuredContent"]);
    assert!(codes.contains("PY009"), "{codes:?}");
}
