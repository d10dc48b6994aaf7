//! `run_locally` over streamable HTTP (only with `--allow-run`, only inline files) and the
//! `run` CLI verb (JSON on stdout, exit 2 for bad inputs), through the real binary.

use std::path::Path;

use serde_json::{Value, json};

use crate::{
    fakes::Fakes,
    py,
    run_tools::{
        CALL_TIMEOUT_S, CHAIN_MAIN, assert_chain_called, assert_chain_succeeded, progress_messages,
        project_files, run_call, run_sandbox, write_project,
    },
    support::{self, HttpServer},
};

const HTTP_TOKEN: &str = "e2e-run-token-90b4";

#[test]
fn over_http_run_locally_needs_allow_run_and_inline_files() {
    let fakes = Fakes::start();
    let files = project_files(CHAIN_MAIN);

    let closed = HttpServer::start_in(
        run_sandbox(&fakes).var("MCP_PIPELINES_AUTH_TOKENS", HTTP_TOKEN),
        &[],
    );
    let doc = py::run_script(&py::http_script(
        &closed,
        Some(HTTP_TOKEN),
        "auto",
        json!([{"op": "call_tool", "name": "run_locally",
                "args": {"files": files, "inputs": {"prompt": "a red fox"}}}]),
    ));
    let refused = py::result(&doc, 0);
    assert!(py::is_error(refused), "{refused:#}");
    assert!(
        py::tool_text(refused).contains("--allow-run"),
        "{}",
        py::tool_text(refused)
    );
    assert!(fakes.replicate.predictions().is_empty());
    drop(closed);

    let open = HttpServer::start_in(
        run_sandbox(&fakes).var("MCP_PIPELINES_AUTH_TOKENS", HTTP_TOKEN),
        &["--allow-run"],
    );
    let work = tempfile::tempdir().unwrap();
    let on_disk = write_project(work.path(), "fox", CHAIN_MAIN);
    let mut script = py::http_script(
        &open,
        Some(HTTP_TOKEN),
        "auto",
        json!([
            run_call(json!({"path": on_disk.display().to_string(),
                            "inputs": {"prompt": "a red fox"}})),
            run_call(json!({"files": files, "inputs": {"prompt": "a red fox"}})),
        ]),
    );
    script["timeout_s"] = json!(CALL_TIMEOUT_S);
    let doc = py::run_script(&script);
    let by_path = py::result(&doc, 0);
    assert!(
        py::is_error(by_path),
        "a path on the server's disk: {by_path:#}"
    );
    assert!(
        py::tool_text(by_path).contains("files"),
        "{}",
        py::tool_text(by_path)
    );

    let result = py::result(&doc, 1);
    assert!(!py::is_error(result), "{}", py::tool_text(result));
    assert_chain_succeeded(&result["structuredContent"], "a red fox");
    assert_chain_called(&fakes, "a red fox");
    assert!(
        !progress_messages(&doc, 1).is_empty(),
        "progress over streamable HTTP"
    );
    drop(open);
}

#[test]
fn cli_run_prints_json_and_bad_inputs_exit_two() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes);
    let work = tempfile::tempdir().unwrap();
    let project = write_project(work.path(), "fox", CHAIN_MAIN);
    let dir = project.display().to_string();
    let out_dir = work.path().join("out");
    let out_arg = out_dir.display().to_string();

    let out = support::run_to_end(
        &mut sandbox.command(&[
            "run",
            &dir,
            "-i",
            "prompt=a red fox",
            "--format",
            "json",
            "--output-dir",
            &out_arg,
        ]),
        b"",
        "mcp-pipelines run",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let run: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}):\n{stdout}"));
    assert_chain_succeeded(&run, "a red fox");
    assert!(
        Path::new(run["files"][0].as_str().unwrap()).starts_with(&out_dir),
        "{run:#}"
    );
    assert!(
        stderr.contains("running the prediction"),
        "progress on stderr: {stderr}"
    );
    assert_chain_called(&fakes, "a red fox");

    for bad in [
        vec!["-i", "prompt"],
        vec!["-i", "prompt=a fox", "-i", "sentences=lots"],
    ] {
        let mut args = vec!["run", dir.as_str()];
        args.extend(bad.iter().copied());
        let out = support::run_to_end(&mut sandbox.command(&args), b"", "mcp-pipelines run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let culprit = if bad.len() == 2 {
            "prompt"
        } else {
            "sentences"
        };
        assert!(stderr.contains(culprit), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(fakes.replicate.predictions().len(), 2, "no further runs");
}
