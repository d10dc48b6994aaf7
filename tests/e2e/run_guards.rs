//! What stops a `run_locally` call, through the real binary: an invalid pipeline or bad
//! inputs are refused before anything runs, and a run past its timeout or whose call is
//! cancelled is killed with its children.

use serde_json::json;

use crate::{
    fakes::Fakes,
    py,
    run_tools::{
        CALL_TIMEOUT_S, CHAIN_MAIN, SLEEPY_MAIN, live_processes_under, progress_messages, run_call,
        run_sandbox, stdio_run, write_project,
    },
};

/// Binds a model inside run(): a validation error (PY001). Importing it leaves a marker.
const INVALID_MAIN: &str = r#"import pathlib

import replicate
from cog import Input

pathlib.Path("imported.marker").write_text("the module was imported")


def run(prompt: str = Input(description="Anything.")) -> str:
    echo = replicate.use("acme/echo-text")
    return str(echo(text=prompt))
"#;

#[test]
fn invalid_pipelines_and_bad_inputs_are_refused_before_anything_runs() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes);
    let work = tempfile::tempdir().unwrap();
    let invalid = write_project(work.path(), "invalid", INVALID_MAIN);
    let fox = write_project(work.path(), "fox", CHAIN_MAIN);
    std::fs::write(
        fox.join("main.py"),
        CHAIN_MAIN.replace(
            "print(f\"e2e-chain: drawing",
            "open(\"ran.marker\", \"w\").close()\n    print(f\"e2e-chain: drawing",
        ),
    )
    .unwrap();
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([
            run_call(json!({"path": "invalid", "inputs": {"prompt": "hi"}})),
            run_call(json!({"path": "fox", "inputs": {"prompt": "a fox", "sentences": "lots"}})),
            run_call(json!({"path": "fox", "inputs": {"prompt": 42}})),
            run_call(json!({"path": "fox", "inputs": {"prompt": "a fox", "colour": "red"}})),
            run_call(json!({"path": "fox", "inputs": {}})),
        ]),
    );

    let refused = py::result(&doc, 0);
    assert!(py::is_error(refused), "{refused:#}");
    let said = py::tool_text(refused);
    assert!(said.contains("PY001"), "the findings are listed: {said}");
    assert!(said.contains("Not run"), "{said}");
    // Without the last line: where the rules came from depends on the shared cache.
    let (findings, rules_from) = said
        .rsplit_once("Rules from:")
        .unwrap_or_else(|| panic!("says where the rules came from: {said}"));
    assert!(!rules_from.trim().is_empty());
    insta::assert_snapshot!("refused_invalid_pipeline_text", findings.trim_end());
    let messages = progress_messages(&doc, 0);
    assert!(
        !messages
            .iter()
            .any(|m| m.contains("running the prediction")),
        "{messages:#?}"
    );
    assert!(
        !invalid.join("imported.marker").exists(),
        "the invalid pipeline was never imported"
    );

    for (index, name) in [
        (1, "sentences"),
        (2, "prompt"),
        (3, "colour"),
        (4, "prompt"),
    ] {
        let r = py::result(&doc, index);
        assert!(py::is_error(r), "input case {index}: {r:#}");
        let said = py::tool_text(r);
        assert!(
            said.contains(name),
            "input case {index} names `{name}`: {said}"
        );
        let messages = progress_messages(&doc, index);
        assert!(
            !messages
                .iter()
                .any(|m| m.contains("running the prediction")),
            "input case {index}: {messages:#?}"
        );
    }
    assert!(!fox.join("ran.marker").exists(), "run() never ran");
    assert!(fakes.replicate.predictions().is_empty());
}

#[test]
fn a_run_past_its_timeout_is_killed_with_its_children() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    // Run dirs under work/runs: every process of the run has its cwd there.
    let runs = work.path().join("runs");
    let sandbox = run_sandbox(&fakes).var("MCP_PIPELINES_RUNS_DIR", &runs.display().to_string());
    write_project(work.path(), "sleepy", SLEEPY_MAIN);
    let project = runs.clone();
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([
            run_call(json!({"path": "sleepy", "inputs": {}, "timeout_seconds": 3})),
            // While the stdio server is still up: the timeout itself killed the process
            // group, the grandchild `sleep` included. (The wait is a hang guard.)
            {"op": "wait_processes_gone", "dir": project.display().to_string(), "timeout_s": 30},
        ]),
    );
    let result = py::result(&doc, 0);
    assert!(py::is_error(result), "{result:#}");
    let said = py::tool_text(result).to_lowercase();
    assert!(
        said.contains("timed out") || said.contains("timeout"),
        "{said}"
    );
    assert_eq!(
        py::result(&doc, 1)["left"],
        json!([]),
        "left running after the timeout"
    );
    let messages = progress_messages(&doc, 0);
    assert!(
        messages.iter().any(|m| m.contains("e2e-sleepy: sleeping")),
        "it did start: {messages:#?}"
    );
    let leftovers = live_processes_under(&project);
    assert!(leftovers.is_empty(), "left running: {leftovers:#?}");
}

#[test]
fn cancelling_the_call_kills_the_run() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    // Run dirs under work/runs: every process of the run has its cwd there.
    let runs = work.path().join("runs");
    let sandbox = run_sandbox(&fakes).var("MCP_PIPELINES_RUNS_DIR", &runs.display().to_string());
    write_project(work.path(), "sleepy", SLEEPY_MAIN);
    let project = runs.display().to_string();
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([
            {"op": "call_tool", "name": "run_locally",
             "args": {"path": "sleepy", "inputs": {}, "timeout_seconds": 600},
             "cancel_on_progress": "e2e-sleepy: sleeping", "timeout_s": CALL_TIMEOUT_S},
            // While the server is still up: the cancellation alone must end the run.
            {"op": "wait_processes_gone", "dir": project, "timeout_s": 60},
            // And the server keeps serving.
            {"op": "list_tools"},
        ]),
    );
    assert_eq!(doc["results"][0]["cancelled"], true, "{doc:#}");
    let left = &py::result(&doc, 1)["left"];
    assert_eq!(left, &json!([]), "still running after the cancellation");
    assert!(py::result(&doc, 2)["tools"].is_array());
    let leftovers = live_processes_under(&runs);
    assert!(leftovers.is_empty(), "left running: {leftovers:#?}");
}
