//! The official Python SDK (PyPI `mcp`) against the real binary, over stdio and streamable
//! HTTP, in `mode="auto"` (2026-07-28, `server/discover`) and `mode="legacy"` (2025-11-25
//! `initialize` handshake): identity, instructions, tools, prompts.

use serde_json::{Value, json};

use crate::{
    fakes::Fakes,
    py,
    support::{HttpServer, Sandbox, VERSION},
};

const MODERN: &str = "2026-07-28";
const LEGACY: &str = "2025-11-25";
const TOKEN: &str = "e2e-sdk-token-5f1c";

const TASK: &str = "caption an image, then translate the caption to French";
const MODELS: &str = "acme/captioner, acme/translator";
const PROJECT: &str = "/srv/projects/caption-translate";

/// The operations every session runs; indexes are used by [`check_session`].
fn ops() -> Value {
    json!([
        {"op": "list_tools"},
        {"op": "list_prompts"},
        {"op": "get_prompt", "name": "create_pipeline", "args": {"task": TASK, "models": MODELS}},
        {"op": "get_prompt", "name": "create_pipeline", "args": {"task": TASK}},
        {"op": "get_prompt", "name": "review_pipeline", "args": {"path": PROJECT}},
        {"op": "get_prompt", "name": "no_such_prompt", "args": {}},
    ])
}

/// All prompt message texts of a `prompts/get` result, joined.
fn prompt_text(result: &Value) -> String {
    result["messages"]
        .as_array()
        .expect("prompts/get result has messages")
        .iter()
        .map(|m| m["content"]["text"].as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

fn check_session(doc: &Value, protocol: &str) {
    assert_eq!(
        doc["protocol_version"], protocol,
        "negotiated protocol: {doc}"
    );
    assert_eq!(
        doc["server_info"]["name"], "mcp-pipelines",
        "server identity: {doc}"
    );
    assert_eq!(
        doc["server_info"]["version"], VERSION,
        "server version: {doc}"
    );

    let instructions = doc["instructions"]
        .as_str()
        .expect("server sends instructions");
    for step in [
        "fetch_model_schema",
        "scaffold_pipeline",
        "validate_pipeline",
        "run_locally",
    ] {
        assert!(
            instructions.contains(step),
            "instructions should name {step}: {instructions}"
        );
    }
    assert!(
        doc["capabilities"]["tools"].is_object(),
        "tools capability: {doc}"
    );
    assert!(
        doc["capabilities"]["prompts"].is_object(),
        "prompts capability: {doc}"
    );

    let tools = py::result(doc, 0)["tools"]
        .as_array()
        .expect("tools/list has tools");
    for tool in tools {
        assert!(
            tool["name"].is_string() && tool["inputSchema"].is_object(),
            "{tool}"
        );
    }

    let prompts = py::result(doc, 1)["prompts"]
        .as_array()
        .expect("prompts/list");
    let find = |name: &str| {
        prompts
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("prompt {name} listed: {prompts:?}"))
    };
    let args = |p: &Value| -> Vec<(String, bool)> {
        p["arguments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["name"].as_str().unwrap().to_string(),
                    a["required"].as_bool().unwrap_or(false),
                )
            })
            .collect()
    };
    let create = find("create_pipeline");
    assert!(
        create["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    assert_eq!(
        args(create),
        [("task".to_string(), true), ("models".to_string(), false)]
    );
    let review = find("review_pipeline");
    assert!(
        review["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    assert_eq!(args(review), [("path".to_string(), true)]);

    let with_models = prompt_text(py::result(doc, 2));
    assert!(with_models.contains(TASK), "task in prompt: {with_models}");
    assert!(
        with_models.contains("acme/captioner") && with_models.contains("acme/translator"),
        "models in prompt: {with_models}"
    );
    assert!(
        with_models.contains("fetch_model_schema") && with_models.contains("validate_pipeline"),
        "prompt walks through the tools: {with_models}"
    );
    let without_models = prompt_text(py::result(doc, 3));
    assert!(without_models.contains(TASK), "{without_models}");
    let reviewing = prompt_text(py::result(doc, 4));
    assert!(reviewing.contains(PROJECT), "path in prompt: {reviewing}");
    assert!(reviewing.contains("validate_pipeline"), "{reviewing}");

    let unknown = py::error(doc, 5);
    assert!(
        unknown["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no_such_prompt"),
        "unknown prompt error names it: {unknown}"
    );
}

fn stdio_session(mode: &str, protocol: &str) {
    let sandbox = Sandbox::new();
    let doc = py::run_script(&py::stdio_script(&sandbox, mode, ops()));
    check_session(&doc, protocol);
}

fn http_session(mode: &str, protocol: &str) {
    let server = HttpServer::start_in(Sandbox::new().var("MCP_PIPELINES_AUTH_TOKENS", TOKEN), &[]);
    let doc = py::run_script(&py::http_script(&server, Some(TOKEN), mode, ops()));
    check_session(&doc, protocol);
}

#[test]
fn stdio_auto_mode_speaks_2026_07_28() {
    stdio_session("auto", MODERN);
}

#[test]
fn stdio_legacy_mode_uses_the_2025_11_25_handshake() {
    stdio_session("legacy", LEGACY);
}

#[test]
fn http_auto_mode_speaks_2026_07_28() {
    http_session("auto", MODERN);
}

#[test]
fn http_legacy_mode_uses_the_2025_11_25_handshake() {
    http_session("legacy", LEGACY);
}

#[test]
fn http_sdk_without_token_is_refused() {
    let server = HttpServer::start_in(Sandbox::new().var("MCP_PIPELINES_AUTH_TOKENS", TOKEN), &[]);
    let run = py::try_run_script(&py::http_script(&server, None, "legacy", json!([])));
    assert!(
        !run.ok,
        "client without token must not connect: {}",
        run.doc
    );
    // The SDK turns the 401 into a generic JSON-RPC error; the status itself is checked in
    // http_security over raw HTTP.
    let fatal = run.doc["fatal"].as_str().unwrap_or_default();
    assert!(fatal.contains("MCPError"), "{fatal}\n{}", run.stderr);
}

/// Tool calls and resources through the SDK, with the docs read from the fake docs host:
/// a success, a fixable tool error (`isError` result) and an unknown tool (JSON-RPC error).
#[test]
fn stdio_tool_calls_and_resources_through_the_sdk() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();
    let doc = py::stdio(
        &sandbox,
        json!([
            {"op": "call_tool", "name": "fetch_llms_txt", "args": {}},
            {"op": "call_tool", "name": "validate_pipeline",
             "args": {"path": sandbox.scratch().join("no-such-project").display().to_string()}},
            {"op": "call_tool", "name": "no_such_tool", "args": {}},
            {"op": "list_resources"},
            {"op": "list_resource_templates"},
        ]),
    );
    let fetched = py::result(&doc, 0);
    assert_ne!(
        fetched["isError"], true,
        "fetch_llms_txt from the fake host: {fetched}"
    );
    let invalid = py::result(&doc, 1);
    assert_eq!(
        invalid["isError"], true,
        "a missing project is a tool error: {invalid}"
    );
    let unknown = py::error(&doc, 2);
    assert!(unknown["code"].is_i64(), "{unknown}");
    let resources = py::result(&doc, 3)["resources"]
        .as_array()
        .expect("resources")
        .clone();
    assert!(
        !resources.is_empty(),
        "the server lists its docs as resources: {doc}"
    );
    assert!(py::result(&doc, 4)["resourceTemplates"].is_array(), "{doc}");

    // Every listed resource can be read.
    let reads: Vec<serde_json::Value> = resources
        .iter()
        .map(|r| json!({"op": "read_resource", "uri": r["uri"]}))
        .collect();
    let doc = py::stdio(&sandbox, json!(reads));
    for (i, r) in resources.iter().enumerate() {
        let read = py::result(&doc, i);
        assert!(
            read["contents"].as_array().is_some_and(|c| !c.is_empty()),
            "resource {} has contents: {read}",
            r["uri"]
        );
    }
}
