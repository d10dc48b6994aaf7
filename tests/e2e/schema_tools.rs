//! The model-schema tools through the real binary, against the fake Replicate API:
//! `fetch_model_schema` batches (per-model results, partial failure, all failed), the
//! cache, `search_models`, the schema resource, a 401, the `schema`/`search` CLI verbs, and
//! the API token kept out of every output and log.

use serde_json::{Value, json};

use crate::{
    fakes::{Fakes, REPLICATE_TOKEN},
    py,
    support::{HttpServer, cli},
};

/// The per-model entries of a `fetch_model_schema` result.
fn entries(result: &Value) -> &Vec<Value> {
    result["structuredContent"]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("fetch_model_schema returns results: {result}"))
}

fn input<'a>(schema: &'a Value, name: &str) -> &'a Value {
    schema["inputs"]
        .as_array()
        .and_then(|all| all.iter().find(|i| i["name"] == name))
        .unwrap_or_else(|| panic!("input {name} in {schema}"))
}

fn assert_no_token(what: &str, text: &str) {
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

#[test]
fn schema_and_search_cli_verbs() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();

    let json_out = cli(&sandbox, &["schema", "acme/chatter-3b", "--format", "json"]);
    assert_eq!(json_out.code, Some(0), "{}", json_out.stderr);
    let report = json_out.json();
    let schema = &report["results"][0]["schema"];
    assert_eq!(report["results"][0]["ref"], "acme/chatter-3b");
    assert_eq!(schema["output"]["kind"], "concatenated_string", "{report}");
    assert!(
        schema["signature"]
            .as_str()
            .unwrap()
            .starts_with("def chatter_3b(")
    );
    assert!(
        schema["hint"]
            .as_str()
            .unwrap()
            .starts_with("def chatter_3b_hint(")
    );
    assert_eq!(schema["from_cache"], false);

    // Text: the signature, the inputs and the hint; a cache hit the second time.
    let text = cli(&sandbox, &["schema", "acme/chatter-3b"]);
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    for needle in [
        "def chatter_3b(",
        "Inputs:",
        "    prompt: str,",
        "Optional typing help",
        "from cache",
    ] {
        assert!(text.stdout.contains(needle), "{needle}: {}", text.stdout);
    }

    // Any failure: exit 1, the good ones still printed.
    let partial = cli(
        &sandbox,
        &[
            "schema",
            "acme/pixel-forge",
            "acme/nope",
            "--format",
            "json",
        ],
    );
    assert_eq!(partial.code, Some(1), "{}", partial.stderr);
    let report = partial.json();
    assert_eq!(
        report["results"][0]["schema"]["output"]["python_type"],
        "list[Path]"
    );
    assert!(
        report["results"][1]["error"]
            .as_str()
            .unwrap()
            .contains("search_models")
    );

    let search = cli(&sandbox, &["search", "caption", "--format", "json"]);
    assert_eq!(search.code, Some(0), "{}", search.stderr);
    let found = search.json();
    assert_eq!(found["query"], "caption");
    assert_eq!(found["models"][0]["ref"], "acme/quick-caption", "{found}");
    let text = cli(&sandbox, &["search", "caption"]);
    assert!(
        text.stdout.contains("acme/quick-caption"),
        "{}",
        text.stdout
    );
}

#[test]
fn nested_output_shapes_examples_and_brief_detail() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();
    let doc = py::stdio(
        &sandbox,
        json!([
            {"op": "list_tools"},
            {"op": "call_tool", "name": "fetch_model_schema",
             "args": {"models": ["shapes/transcriber", "shapes/tree-parser"]}},
            {"op": "call_tool", "name": "fetch_model_schema",
             "args": {"models": ["shapes/transcriber", "shapes/embedder", "shapes/any-format"]}},
            {"op": "call_tool", "name": "fetch_model_schema",
             "args": {"models": ["shapes/latent-consistency-model"], "detail": "full"}},
            {"op": "call_tool", "name": "fetch_model_schema",
             "args": {"models": ["shapes/latent-consistency-model"], "detail": "brief"}},
            {"op": "call_tool", "name": "fetch_model_schema",
             "args": {"models": ["acme/pixel-forge"], "detail": "loud"}},
        ]),
    );
    let tools = py::result(&doc, 0);

    // Two models: full text by default, with the whole shape and the model's example.
    let full = py::result(&doc, 1);
    assert!(!py::is_error(full), "{full}");
    py::assert_matches_output_schema(tools, "fetch_model_schema", full);
    assert_eq!(full["structuredContent"]["detail"], "full");
    let text = py::tool_text(full);
    for needle in [
        "output[\"segments\"]: list[dict]",
        "output[\"segments\"][0][\"words\"][0][\"probability\"]: float, may be absent",
        "output[\"language\"]: str",
        "output[\"srt_file\"]: Path (file), may be absent",
        "file fields are Path (URLPath)",
        "The model's example (long values cut):",
        "…[3 more items]",
        "transcriber = replicate.use(\"shapes/transcriber\")",
        "cycle: the same shape as Node above",
    ] {
        assert!(text.contains(needle), "{needle}:\n{text}");
    }
    assert!(!text.contains("hint=hint"), "{text}");
    // Each input once: the signature carries its type, default, choices and bounds; the
    // list only its description; the typing hint only on request.
    assert!(!text.contains("def transcriber_hint("), "{text}");
    assert!(!text.contains("Optional typing help"), "{text}");
    assert!(entries(full)[0]["schema"].get("hint").is_none(), "{full}");
    let transcriber = &entries(full)[0]["schema"];
    let segments = &transcriber["output"]["shape"]["fields"][1];
    assert_eq!(segments["name"], "segments", "{transcriber}");
    assert_eq!(segments["required"], true);
    assert_eq!(
        segments["shape"]["items"]["fields"][3]["shape"]["items"]["fields"][0]["name"],
        "probability"
    );
    assert_eq!(transcriber["example"]["input"]["language"], "auto");
    // No file boilerplate where there are no files.
    let tree = &entries(full)[1]["schema"];
    assert!(
        !tree["output"]["usage"].as_str().unwrap().contains("Path"),
        "{tree}"
    );

    // Three models: brief by default; the shape still whole, in one line each.
    let brief = py::result(&doc, 2);
    assert!(!py::is_error(brief), "{brief}");
    assert_eq!(brief["structuredContent"]["detail"], "brief");
    let text = py::tool_text(brief);
    for needle in [
        "transcriber(audio: Path, language: str=\"auto\" {\"auto\"|\"en\"|\"fr\"|\"de\"}) -> dict",
        "shape: dict{language: str, segments: list[dict{end: float, start: float, text: str, words?: list[dict{probability?: float, word: str}]}], srt_file?: Path}",
        "embedder(texts: str) -> list[list[float]]",
        "any_format(text: str) -> list[str] | Path",
    ] {
        assert!(text.contains(needle), "{needle}:\n{text}");
    }
    assert!(!text.contains("Inputs:"), "{text}");

    // A real 18-input schema: brief is at most half of full.
    let full_text = py::tool_text(py::result(&doc, 3));
    let brief_text = py::tool_text(py::result(&doc, 4));
    assert!(
        brief_text.len() * 2 <= full_text.len(),
        "brief {} chars, full {} chars:\n{brief_text}",
        brief_text.len(),
        full_text.len()
    );
    assert!(
        brief_text.contains("sizing_strategy: str=\"width/height\" {\"width/height\"|"),
        "{brief_text}"
    );

    // A bad detail value is refused, naming the choices.
    let bad = &doc["results"][5];
    let refused = bad.get("error").is_some() || py::is_error(&bad["result"]);
    assert!(refused && bad.to_string().contains("brief"), "{bad}");

    // The CLI: --detail brief.
    let out = cli(
        &sandbox,
        &["schema", "shapes/transcriber", "--detail", "brief"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("shape: dict{language: str"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("Inputs:"), "{}", out.stdout);
}
