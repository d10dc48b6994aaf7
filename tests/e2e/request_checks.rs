//! The request checks both faces share (`pipelines_tools::request`): the CLI verb and the
//! MCP tool refuse the same out-of-range request, in the same words, before any work (no
//! API request, no run), through the real binary.

use serde_json::json;

use crate::{
    fakes::Fakes,
    py,
    run_tools::{CHAIN_MAIN, run_call, run_sandbox, stdio_run, write_project},
    support::cli,
};

/// A tool call's refusal: an error result whose text is the whole message.
fn tool_refusal(doc: &serde_json::Value, index: usize) -> String {
    let result = py::result(doc, index);
    assert!(py::is_error(result), "{result:#}");
    assert!(result.get("structuredContent").is_none(), "{result}");
    py::tool_text(result)
}

#[test]
fn cli_and_tool_refuse_an_out_of_range_timeout_alike() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes);
    let work = tempfile::tempdir().unwrap();
    let project = write_project(work.path(), "fox", CHAIN_MAIN);
    let project = project.display().to_string();
    let given = [4000u64, 0];
    let calls: Vec<serde_json::Value> = given
        .iter()
        .map(|t| run_call(json!({"path": "fox", "inputs": {}, "timeout_seconds": t})))
        .collect();
    let doc = stdio_run(&sandbox, work.path(), json!(calls));
    for (i, seconds) in given.iter().enumerate() {
        let tool = tool_refusal(&doc, i);
        assert!(
            tool.contains("between 1 and 3600") && tool.contains(&format!("got {seconds}")),
            "{tool}"
        );
        let run = cli(
            &sandbox,
            &["run", &project, "--timeout", &seconds.to_string()],
        );
        assert_eq!(run.code, Some(2), "{}\n{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains(&tool),
            "the CLI says what the tool says ({tool:?}):\n{}",
            run.stderr
        );
    }
    assert!(fakes.replicate.predictions().is_empty(), "nothing ran");
}

#[test]
fn cli_and_tool_refuse_too_many_models_alike() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();
    let models: Vec<String> = (0..51).map(|i| format!("acme/model-{i}")).collect();
    let doc = py::stdio(
        &sandbox,
        json!([
            {"op": "call_tool", "name": "fetch_model_schema", "args": {"models": models}},
        ]),
    );
    let tool = tool_refusal(&doc, 0);
    assert!(
        tool.starts_with("51 models") && tool.contains("at most 25"),
        "{tool}"
    );
    let mut args = vec!["schema"];
    args.extend(models.iter().map(String::as_str));
    let run = cli(&sandbox, &args);
    assert_eq!(run.code, Some(2), "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&tool),
        "the CLI says what the tool says ({tool:?}):\n{}",
        run.stderr
    );
    // The CLI's JSON error object carries the same words.
    args.extend(["--format", "json"]);
    let run = cli(&sandbox, &args);
    assert_eq!(run.json()["error"], json!(tool));
    assert!(
        fakes.replicate.requests().is_empty(),
        "refused before any API request"
    );
}
