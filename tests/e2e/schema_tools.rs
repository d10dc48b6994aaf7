//! The model-schema tools through the real binary, against the fake Replicate API:
//! `fetch_model_schema` batches (per-model results, partial failure, all failed), the cache,
//! `search_models` and the schema resource. Also the helpers the other `schema_*` test files
//! share.

use serde_json::{Value, json};

use crate::{
    fakes::{Fakes, REPLICATE_TOKEN},
    py,
};

/// The per-model entries of a `fetch_model_schema` result.
pub(crate) fn entries(result: &Value) -> &Vec<Value> {
    result["structuredContent"]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("fetch_model_schema returns results: {result}"))
}

pub(crate) fn input<'a>(schema: &'a Value, name: &str) -> &'a Value {
    schema["inputs"]
        .as_array()
        .and_then(|all| all.iter().find(|i| i["name"] == name))
        .unwrap_or_else(|| panic!("input {name} in {schema}"))
}

pub(crate) fn assert_no_token(what: &str, text: &str) {
    assert!(
        !text.contains(REPLICATE_TOKEN),
        "the Replicate API token appears in {what}:\n{text}"
    );
}

#[test]
fn batch_fetch_gives_per_model_results_and_fails_only_when_all_fail() {
    let fakes = Fakes::start();
    let doc = fakes.stdio(json!([
        {"op": "list_tools"},
        {"op": "call_tool", "name": "fetch_model_schema",
         "args": {"models": ["acme/chatter-3b", "acme/pixel-forge", "a/b/c", "acme/nope"], "hint": true}},
        {"op": "call_tool", "name": "fetch_model_schema",
         "args": {"models": ["../x", "acme/nope"]}},
        {"op": "call_tool", "name": "fetch_model_schema", "args": {"models": ["acme/chatter-3b"]}},
        {"op": "call_tool", "name": "fetch_model_schema", "args": {"models": []}},
    ]));
    let tools = py::result(&doc, 0);

    let batch = py::result(&doc, 1);
    assert!(!py::is_error(batch), "some models succeeded: {batch}");
    py::assert_matches_output_schema(tools, "fetch_model_schema", batch);
    let results = entries(batch);
    let refs: Vec<&str> = results.iter().map(|r| r["ref"].as_str().unwrap()).collect();
    assert_eq!(
        refs,
        ["acme/chatter-3b", "acme/pixel-forge", "a/b/c", "acme/nope"],
        "one entry per reference, in request order"
    );

    // The LLM: its streamed output comes back as one concatenated str.
    let chatter = &results[0]["schema"];
    assert!(results[0]["error"].is_null(), "{}", results[0]);
    assert_eq!(chatter["model"], "acme/chatter-3b");
    assert_eq!(
        chatter["version"],
        json!(fakes.replicate.version_ids("acme/chatter-3b")[0])
    );
    assert_eq!(chatter["from_cache"], false);
    assert_eq!(
        chatter["output"]["kind"], "concatenated_string",
        "{chatter}"
    );
    assert_eq!(chatter["output"]["python_type"], "str");
    let signature = chatter["signature"].as_str().unwrap();
    assert!(
        signature.starts_with("def chatter_3b(") && signature.ends_with("-> str: ..."),
        "{signature}"
    );
    assert!(
        signature.contains("prompt: str,") && signature.contains("max_tokens: int = 512"),
        "{signature}"
    );
    let hint = chatter["hint"].as_str().unwrap();
    assert!(
        hint.starts_with("def chatter_3b_hint(") && hint.contains("*,"),
        "{hint}"
    );
    let prompt = input(chatter, "prompt");
    assert_eq!(prompt["required"], true);
    assert_eq!(prompt["python_type"], "str");
    let names: Vec<&str> = chatter["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "prompt", "inputs in x-order: {names:?}");

    // The image model: list[Path] output, enum and bounded inputs.
    let forge = &results[1]["schema"];
    assert_eq!(forge["output"]["kind"], "path_list", "{forge}");
    assert_eq!(forge["output"]["python_type"], "list[Path]");
    assert!(
        forge["signature"]
            .as_str()
            .unwrap()
            .ends_with("-> list[Path]: ..."),
        "{forge}"
    );
    let aspect = input(forge, "aspect_ratio");
    assert_eq!(aspect["default"], "1:1");
    assert!(
        aspect["choices"]
            .as_array()
            .is_some_and(|c| c.contains(&json!("16:9"))),
        "{aspect}"
    );
    let count = input(forge, "num_outputs");
    assert_eq!(
        (count["minimum"].as_f64(), count["maximum"].as_f64()),
        (Some(1.0), Some(4.0))
    );

    // The failures: a clear message each, no request for the malformed reference.
    let invalid = results[2]["error"].as_str().unwrap();
    assert!(
        invalid.contains("a/b/c") && invalid.contains("owner/name"),
        "{invalid}"
    );
    assert!(results[2]["schema"].is_null());
    let missing = results[3]["error"].as_str().unwrap();
    assert!(
        missing.contains("acme/nope") && missing.contains("search_models"),
        "{missing}"
    );
    // Four models: brief text by default.
    let text = py::tool_text(batch);
    for needle in [
        "chatter_3b(prompt: str, ",
        "pixel_forge(prompt: str, ",
        "a/b/c: error",
        "acme/nope: error",
    ] {
        assert!(text.contains(needle), "text has {needle}: {text}");
    }
    let paths: Vec<String> = fakes
        .replicate
        .requests()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert!(
        paths
            .iter()
            .all(|p| !p.contains("/a/b") && !p.contains("..")),
        "malformed references send no request: {paths:?}"
    );

    // Every model failed: an error result, still with the per-model reasons.
    let text = py::error_text(&doc, 2);
    assert!(
        text.contains("../x") && text.contains("acme/nope"),
        "{text}"
    );

    // Asked again: served from the cache without asking the API.
    let cached = py::result(&doc, 3);
    assert_eq!(entries(cached)[0]["schema"]["from_cache"], true, "{cached}");
    let model_gets: Vec<String> = fakes
        .replicate
        .requests_to("/v1/models/acme/chatter-3b")
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p == "/v1/models/acme/chatter-3b")
        .collect();
    assert_eq!(model_gets.len(), 1, "the model was asked for once");

    let empty = py::result(&doc, 4);
    assert!(py::is_error(empty), "{empty}");
    assert!(
        py::tool_text(empty).contains("models"),
        "{}",
        py::tool_text(empty)
    );
}

#[test]
fn search_models_and_the_schema_resource() {
    let fakes = Fakes::start();
    let doc = fakes.stdio(json!([
        {"op": "list_tools"},
        {"op": "call_tool", "name": "search_models", "args": {"query": "image", "limit": 2}},
        {"op": "read_resource", "uri": "pipelines://models/acme/pixel-forge/schema"},
        {"op": "list_resources"},
        {"op": "read_resource", "uri": "pipelines://models/acme/nope/schema"},
    ]));
    let search = py::result(&doc, 1);
    py::assert_matches_output_schema(py::result(&doc, 0), "search_models", search);
    let models = search["structuredContent"]["models"].as_array().unwrap();
    assert_eq!(models.len(), 2, "limit honoured: {search}");
    assert_eq!(models[0]["ref"], "acme/pixel-forge", "{search}");
    for m in models {
        assert!(
            m["description"].is_string() && m["run_count"].is_u64(),
            "{m}"
        );
    }
    assert!(py::tool_text(search).contains("fetch_model_schema"));

    let read = py::result(&doc, 2);
    let content = &read["contents"][0];
    assert_eq!(content["mimeType"], "application/json", "{read}");
    let schema: Value = serde_json::from_str(content["text"].as_str().unwrap()).unwrap();
    assert_eq!(schema["model"], "acme/pixel-forge");
    assert_eq!(schema["output"]["python_type"], "list[Path]");
    assert!(
        schema["signature"]
            .as_str()
            .unwrap()
            .starts_with("def pixel_forge(")
    );

    // Once fetched, the schema is listed as a resource.
    let uris: Vec<&str> = py::result(&doc, 3)["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert!(
        uris.contains(&"pipelines://models/acme/pixel-forge/schema"),
        "{uris:?}"
    );

    let missing = py::error(&doc, 4);
    assert!(
        missing["message"].as_str().unwrap().contains("acme/nope"),
        "{missing}"
    );
}
