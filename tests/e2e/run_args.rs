//! How `run_locally` gets its project, through the real binary: the same rule as
//! `validate_pipeline` (`path` or `files`, never both; a hosted server takes `files` only).
//! Each refusal comes before anything is loaded, built or run.

use serde_json::json;

use crate::{
    fakes::Fakes,
    py,
    run_tools::{CHAIN_MAIN, project_files, run_call, run_sandbox, stdio_run, write_project},
    support::HttpServer,
};

const HTTP_TOKEN: &str = "e2e-run-args-token-3e7a";

/// [`CHAIN_MAIN`] leaving a marker in its working directory when `run()` starts.
fn marking_main() -> String {
    CHAIN_MAIN.replace(
        "print(f\"e2e-chain: drawing",
        "open(\"ran.marker\", \"w\").close()\n    print(f\"e2e-chain: drawing",
    )
}

fn assert_both_refused(result: &serde_json::Value, what: &str) {
    assert!(py::is_error(result), "{what}: {result:#}");
    let said = py::tool_text(result);
    assert!(
        said.contains("not both") && said.contains("`path`") && said.contains("`files`"),
        "{what}: {said}"
    );
    assert!(
        result.get("structuredContent").is_none(),
        "{what}: {result}"
    );
}

#[test]
fn run_locally_refuses_path_and_files_together() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    let main = marking_main();
    let on_disk = write_project(work.path(), "fox", &main);
    let files = project_files(&main);
    let inputs = json!({"prompt": "a red fox"});

    // Local (stdio).
    let doc = stdio_run(
        &run_sandbox(&fakes),
        work.path(),
        json!([run_call(
            json!({"path": "fox", "files": files, "inputs": inputs})
        ),]),
    );
    assert_both_refused(py::result(&doc, 0), "stdio");

    // Hosted (HTTP with --allow-run): `path` used to be ignored silently when `files` came.
    let server = HttpServer::start_in(
        run_sandbox(&fakes).var("MCP_PIPELINES_AUTH_TOKENS", HTTP_TOKEN),
        &["--allow-run"],
    );
    let doc = py::run_script(&py::http_script(
        &server,
        Some(HTTP_TOKEN),
        "auto",
        json!([
            run_call(
                json!({"path": on_disk.display().to_string(), "files": files,
                            "inputs": inputs})
            ),
            run_call(json!({"inputs": inputs})),
        ]),
    ));
    assert_both_refused(py::result(&doc, 0), "hosted");
    let neither = py::result(&doc, 1);
    assert!(py::is_error(neither), "{neither:#}");
    let said = py::tool_text(neither);
    assert!(
        said.contains("hosted") && said.contains("`files`"),
        "a hosted server asks for the files inline: {said}"
    );
    drop(server);

    assert!(!on_disk.join("ran.marker").exists(), "run() never ran");
    assert!(fakes.replicate.predictions().is_empty());
}

#[test]
fn run_locally_refuses_a_timeout_out_of_range_instead_of_clamping_it() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    let main = marking_main();
    write_project(work.path(), "fox", &main);
    let calls: Vec<serde_json::Value> = [0, 3601]
        .iter()
        .map(|t| run_call(json!({"path": "fox", "inputs": {}, "timeout_seconds": t})))
        .collect();
    let doc = stdio_run(&run_sandbox(&fakes), work.path(), json!(calls));
    for (i, given) in [0, 3601].iter().enumerate() {
        let result = py::result(&doc, i);
        assert!(py::is_error(result), "{given}: {result:#}");
        let said = py::tool_text(result);
        assert!(
            said.contains("the timeout must be between 1 and 3600 seconds")
                && said.contains(&format!("got {given}")),
            "{said}"
        );
    }
    assert!(!work.path().join("fox/ran.marker").exists(), "nothing ran");
}
