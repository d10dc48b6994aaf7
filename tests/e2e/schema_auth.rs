//! The Replicate API token through the real binary: a 401 gives an actionable message, and
//! the token is kept out of every output and log.

use serde_json::json;

use crate::{
    fakes::{Fakes, REPLICATE_TOKEN},
    py,
    schema_tools::assert_no_token,
    support::{HttpServer, cli},
};

#[test]
fn unauthorized_api_gives_an_actionable_message() {
    let fakes = Fakes::start();
    // The server's token is not the one the API accepts.
    fakes.replicate.require_token(Some("r8_some_other_token"));
    let doc = fakes.stdio(json!([
        {"op": "call_tool", "name": "fetch_model_schema", "args": {"models": ["acme/chatter-3b"]}},
        {"op": "call_tool", "name": "search_models", "args": {"query": "image"}},
    ]));
    for i in 0..2 {
        let r = py::result(&doc, i);
        assert!(py::is_error(r), "operation {i}: {r}");
        let text = py::tool_text(r);
        assert!(
            text.contains("REPLICATE_API_TOKEN"),
            "operation {i}: says which variable to set: {text}"
        );
        assert_no_token(&format!("operation {i}"), &r.to_string());
    }
    assert!(
        !fakes.replicate.requests_to("/v1/").is_empty(),
        "the API was asked"
    );
}

#[test]
fn the_api_token_never_appears_in_outputs_or_logs() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox().var("RUST_LOG", "trace");

    // MCP over stdio, tracing everything; the SDK harness forwards the server's stderr.
    let run = py::try_run_script(&py::stdio_script(
        &sandbox,
        "auto",
        json!([
            {"op": "call_tool", "name": "fetch_model_schema",
             "args": {"models": ["acme/chatter-3b", "acme/nope"]}},
            {"op": "call_tool", "name": "search_models", "args": {"query": "image"}},
            {"op": "read_resource", "uri": "pipelines://models/acme/pixel-forge/schema"},
        ]),
    ));
    assert!(run.ok, "{}\n{}", run.doc, run.stderr);
    assert!(
        run.stderr.contains("TRACE") || run.stderr.contains("DEBUG"),
        "the server's trace logs reach the harness's stderr (else this test proves nothing):\n{}",
        run.stderr
    );
    assert_no_token("the MCP results", &run.doc.to_string());
    assert_no_token("the stdio server's stderr at RUST_LOG=trace", &run.stderr);

    // The token was really used: the fake saw it.
    let seen = fakes.replicate.requests_to("/v1/models/acme/chatter-3b");
    assert!(
        seen.iter().any(|r| r
            .authorization
            .as_deref()
            .is_some_and(|a| a.contains(REPLICATE_TOKEN))),
        "the server sends the token to the API"
    );

    // The CLI, at trace level, success and failure.
    for args in [
        &["schema", "acme/pixel-forge", "acme/nope", "--refresh"][..],
        &["schema", "acme/chatter-3b", "--format", "json", "--refresh"][..],
        &["search", "image", "--format", "json"][..],
    ] {
        let out = cli(&sandbox, args);
        assert_no_token(&format!("stdout of {args:?}"), &out.stdout);
        assert_no_token(&format!("stderr of {args:?}"), &out.stderr);
    }
    fakes.replicate.require_token(Some("r8_some_other_token"));
    let denied = cli(&sandbox, &["schema", "acme/upscale.x2", "--refresh"]);
    assert_ne!(denied.code, Some(0));
    assert!(
        format!("{}{}", denied.stdout, denied.stderr).contains("REPLICATE_API_TOKEN"),
        "{}\n{}",
        denied.stdout,
        denied.stderr
    );
    assert_no_token("stdout of a 401", &denied.stdout);
    assert_no_token("stderr of a 401", &denied.stderr);
    fakes.replicate.require_token(None);

    // MCP over HTTP: results and the server's log.
    let server = HttpServer::start_in(fakes.sandbox().var("RUST_LOG", "trace"), &[]);
    let doc = py::run_script(&py::http_script(
        &server,
        None,
        "auto",
        json!([
            {"op": "call_tool", "name": "fetch_model_schema",
             "args": {"models": ["acme/scene-inspector", "acme/nope"]}},
        ]),
    ));
    assert!(!py::is_error(py::result(&doc, 0)), "{doc}");
    assert_no_token("the MCP results over HTTP", &doc.to_string());
    let (_, stderr) = server.terminate();
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "{stderr}"
    );
    assert_no_token("the HTTP server's stderr at RUST_LOG=trace", &stderr);
}
