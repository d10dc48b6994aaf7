//! `mcp-pipelines validate` through the real binary: exit codes and the JSON report's shape,
//! and a changed runtime list (after `docs refresh`) changing PY009.

use std::collections::BTreeSet;

use pipelines_test_fakes::docs_host::{Doc, RUNTIME_REQUIREMENTS};
use serde_json::{Value, json};

use crate::{
    fakes::Fakes,
    py,
    support::{Sandbox, cli},
    validate_tools::{
        BAD_MAIN, CLEAN_MAIN, COG_YAML, COG_YAML_GPU, assert_complete, codes, diagnostics, find,
        write_project,
    },
};

/// The CLI's JSON: exactly these keys (plus `doc_title`/`edit` on diagnostics and
/// `rules_from` on the report, which the citation and suggested-edit items add).
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
