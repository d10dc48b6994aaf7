//! The stateless `tools/call` fast path of `serve --http` (issue 24) answers exactly what
//! rmcp's streamable-HTTP service answers: each call is sent twice, once plain (fast path)
//! and once with an empty `_meta` (which the fast path leaves to rmcp), and the two
//! JSON-RPC answers must be equal — results, tool errors, unknown tools, bad arguments,
//! and each protocol version the header may name. Unusual requests still get rmcp's own
//! HTTP errors.

use serde_json::{Value, json};

use crate::{fakes::Fakes, raw_http::Request, support::HttpServer};

fn call(id: u64, name: &str, args: Value, meta: bool) -> Request {
    let mut params = json!({"name": name, "arguments": args});
    if meta {
        params["_meta"] = json!({});
    }
    Request::post_json(
        "/mcp",
        &json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params}),
    )
}

/// The answer of the fast path and of rmcp's path to the same call, as JSON.
fn both(
    server: &HttpServer,
    id: u64,
    name: &str,
    args: Value,
    version: Option<&str>,
) -> (Value, Value) {
    let send = |meta: bool| {
        let mut req = call(id, name, args.clone(), meta);
        if let Some(v) = version {
            req = req.header("MCP-Protocol-Version", v);
        }
        let resp = req.send(server.addr);
        assert_eq!(resp.status, 200, "{name}: {}", resp.text());
        assert_eq!(
            resp.header("content-type"),
            Some("application/json"),
            "{name}: a JSON response, not SSE"
        );
        resp.json()
    };
    (send(false), send(true))
}

const FILES: &str = "import replicate\n\nforge = replicate.use(\"acme/pixel-forge\")\n\n\ndef run(prompt: str) -> str:\n    return forge(prompt=prompt)\n";

#[test]
fn plain_tool_calls_answer_as_rmcp_does() {
    let fakes = Fakes::start();
    let server = HttpServer::start_in(fakes.sandbox(), &[]);
    // Warm the caches through the fast path itself.
    let (fetched, _) = both(&server, 1, "fetch_llms_txt", json!({}), None);
    assert_eq!(fetched["result"]["isError"], false, "{fetched}");
    let (schema, _) = both(
        &server,
        2,
        "fetch_model_schema",
        json!({"models": ["acme/pixel-forge"]}),
        None,
    );
    assert_eq!(schema["result"]["isError"], false, "{schema}");
    let validate = json!({"files": {
        "cog.yaml": "build:\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n",
        "requirements.txt": "replicate>=1.1.0b1,<2.0.0a1\n",
        "main.py": FILES,
    }});
    let cases = [
        ("get_docs", json!({})),
        ("get_docs", json!({"section": "rules"})),
        ("get_docs", json!({"query": "replicate.use"})),
        (
            "fetch_model_schema",
            json!({"models": ["acme/pixel-forge"]}),
        ),
        ("validate_pipeline", validate.clone()),
        // Inline files the tool's own code answers on the fast path: findings, files that
        // do not load, no files at all.
        (
            "validate_pipeline",
            json!({"files": {"main.py": "import replicate\n\ndef run(text: str) -> dict:\n    return {\"a\": \"\\u00e9 \\\"q\\\"\"}\n"}}),
        ),
        (
            "validate_pipeline",
            json!({"files": {"cog.yaml": "build:\n  gpu: true\n", "main.py": "x = (\n"}}),
        ),
        ("validate_pipeline", json!({"files": {"../main.py": ""}})),
        ("validate_pipeline", json!({"files": {}})),
        // Left to rmcp: arguments it refuses.
        ("validate_pipeline", json!({"files": {"main.py": 1}})),
        (
            "validate_pipeline",
            json!({"files": {"main.py": ""}, "extra": 1}),
        ),
        // A tool error the agent can act on.
        ("validate_pipeline", json!({"path": "/etc"})),
        // Protocol errors: bad arguments, an unknown tool.
        ("get_docs", json!({"no_such_argument": 1})),
        ("no_such_tool", json!({})),
    ];
    for (i, (name, args)) in cases.iter().enumerate() {
        for version in [
            None,
            Some("2024-11-05"),
            Some("2025-06-18"),
            Some("2025-11-25"),
        ] {
            // A result may say how many seconds ago the spec was checked: when the two calls
            // straddle a second, ask again.
            let mut pair = both(&server, 10 + i as u64, name, args.clone(), version);
            for _ in 0..3 {
                if pair.0 == pair.1 {
                    break;
                }
                pair = both(&server, 10 + i as u64, name, args.clone(), version);
            }
            let (fast, rmcp) = pair;
            assert_eq!(fast, rmcp, "{name} {args} at {version:?}");
            assert!(
                fast.get("result").is_some() || fast.get("error").is_some(),
                "{fast}"
            );
        }
    }
    let (fast, _) = both(&server, 99, "validate_pipeline", validate.clone(), None);
    assert!(fast["result"]["structuredContent"].is_object(), "{fast}");
    // Inline files were answered by the tool's own code, which writes the report's members
    // in declared order; rmcp's JSON tree sorts them.
    let raw = |meta: bool| {
        call(97, "validate_pipeline", validate.clone(), meta)
            .send(server.addr)
            .text()
    };
    assert!(
        raw(false).contains(r#""structuredContent":{"ok":"#),
        "{}",
        raw(false)
    );
    assert!(
        raw(true).contains(r#""structuredContent":{"diagnostics":"#),
        "{}",
        raw(true)
    );
    let (unknown, _) = both(&server, 98, "no_such_tool", json!({}), None);
    assert!(unknown["error"]["message"].is_string(), "{unknown}");
}

/// A repeated `get_docs` call is answered from the kept bytes, read straight from the JSON:
/// with any id the protocol allows, still equal to rmcp's answer; envelopes it does not
/// read plainly (extra members, arguments that are not an object) go through rmcp.
#[test]
fn kept_get_docs_answers_match_rmcp_for_any_id_and_envelope() {
    let fakes = Fakes::start();
    let server = HttpServer::start_in(fakes.sandbox(), &[]);
    let send = |body: Value| {
        let resp = Request::post_json("/mcp", &body).send(server.addr);
        assert_eq!(resp.status, 200, "{}", resp.text());
        resp.json()
    };
    let fetched = send(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "fetch_llms_txt", "arguments": {}}}));
    assert_eq!(fetched["result"]["isError"], false, "{fetched}");
    for id in [json!(7), json!("req-\"1\"\n"), json!(-3), json!("")] {
        let mut pair = (Value::Null, Value::Null);
        for _ in 0..3 {
            // The plain call twice (the second from the kept bytes), then rmcp's own path.
            let plain = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": "get_docs", "arguments": {"section": "rules"}}});
            send(plain.clone());
            let kept = send(plain);
            let rmcp = send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": "get_docs", "arguments": {"section": "rules"}, "_meta": {}}}));
            pair = (kept, rmcp);
            if pair.0 == pair.1 {
                break; // else the calls straddled a second: ask again
            }
        }
        assert_eq!(pair.0, pair.1, "id {id}");
        assert_eq!(pair.0["id"], id);
        assert_eq!(pair.0["result"]["isError"], false, "{}", pair.0);
    }
    // Arguments that are not an object: rmcp's error, not a kept answer.
    let bad = send(json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
        "params": {"name": "get_docs", "arguments": "rules"}}));
    assert!(bad["error"]["message"].is_string(), "{bad}");
    // An unknown member in the envelope: rmcp reads it, and answers as for the plain call.
    let extra = send(
        json!({"jsonrpc": "2.0", "id": 6, "method": "tools/call", "x": 1,
        "params": {"name": "get_docs", "arguments": {"section": "rules"}}}),
    );
    assert!(
        extra.get("result").is_some() || extra.get("error").is_some(),
        "{extra}"
    );
}

#[test]
fn unusual_requests_still_get_rmcps_http_errors() {
    let server = HttpServer::start(&[]);
    let get_docs = || call(1, "get_docs", json!({}), false);
    let sse_only = get_docs()
        .header("Accept", "text/event-stream")
        .send(server.addr);
    assert_eq!(sse_only.status, 406, "{}", sse_only.text());
    let text = get_docs()
        .header("Content-Type", "text/plain")
        .send(server.addr);
    assert_eq!(text.status, 415, "{}", text.text());
    let unknown = get_docs()
        .header("MCP-Protocol-Version", "1999-01-01")
        .send(server.addr);
    assert_eq!(unknown.status, 400, "{}", unknown.text());
    // A plain call still works on the same server.
    let ok = get_docs().send(server.addr);
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert!(ok.json()["result"].is_object(), "{}", ok.text());
}

/// A 2026-07-28 request (the inline lifecycle: `_meta` in every request, `Mcp-Method` and
/// `Mcp-Name` headers): a plain `get_docs` call on the fast path, computed and then kept,
/// answers exactly as rmcp's own path (reached by one more `_meta` key) — results with
/// `resultType`, tool errors, bad arguments — and whatever the fast path does not take
/// still gets rmcp's answers: another tool, headers that disagree with the body.
#[test]
fn inline_lifecycle_calls_answer_as_rmcp_does() {
    let fakes = Fakes::start();
    let server = HttpServer::start_in(fakes.sandbox(), &[]);
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "e2e", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    let send = |name: &str, header_name: &str, args: Value, meta: &Value| {
        let body = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": name, "arguments": args, "_meta": meta}});
        Request::post_json("/mcp", &body)
            .header("MCP-Protocol-Version", "2026-07-28")
            .header("Mcp-Method", "tools/call")
            .header("Mcp-Name", header_name)
            .send(server.addr)
    };
    let fetched = send("fetch_llms_txt", "fetch_llms_txt", json!({}), &meta);
    assert_eq!(fetched.status, 200, "{}", fetched.text());
    assert_eq!(
        fetched.json()["result"]["isError"],
        false,
        "{}",
        fetched.text()
    );
    let mut other_meta = meta.clone();
    other_meta["x-trace/id"] = json!("abc");
    for args in [
        json!({"section": "rules"}),
        json!({}),
        json!({"section": "no/such"}),
        json!({"no_such_argument": 1}),
    ] {
        let mut pair = (Value::Null, Value::Null);
        for _ in 0..3 {
            // Twice on the fast path (computed, then kept), then rmcp's path.
            let first = send("get_docs", "get_docs", args.clone(), &meta);
            let kept = send("get_docs", "get_docs", args.clone(), &meta);
            let rmcp = send("get_docs", "get_docs", args.clone(), &other_meta);
            for r in [&first, &kept, &rmcp] {
                assert_eq!(r.status, 200, "{args}: {}", r.text());
            }
            pair = (kept.json(), rmcp.json());
            if pair.0 == pair.1 && first.json() == pair.0 {
                break; // else the calls straddled a second: ask again
            }
        }
        assert_eq!(pair.0, pair.1, "{args}");
        assert!(
            pair.0.get("result").is_some() || pair.0.get("error").is_some(),
            "{}",
            pair.0
        );
    }
    let ok = send("get_docs", "get_docs", json!({"section": "rules"}), &meta).json();
    assert_eq!(ok["result"]["resultType"], "complete", "{ok}");
    // validate_pipeline with inline files: the fast path's answer is rmcp's, findings,
    // structured content and argument errors alike.
    let main_py = "import replicate\n\ndef run(text: str) -> dict:\n    return {}\n";
    for args in [
        json!({"files": {"main.py": main_py}}),
        json!({"files": {"cog.yaml": "build:\n  gpu: true\n", "main.py": "x = (\n"}}),
        json!({"files": {"../main.py": ""}}),
        json!({"files": {}}),
        json!({"files": {"main.py": main_py}, "path": null}),
        json!({"files": 3}),
        json!({}),
    ] {
        let fast = send(
            "validate_pipeline",
            "validate_pipeline",
            args.clone(),
            &meta,
        );
        let rmcp = send(
            "validate_pipeline",
            "validate_pipeline",
            args.clone(),
            &other_meta,
        );
        assert_eq!(fast.status, 200, "{args}: {}", fast.text());
        assert_eq!(fast.json(), rmcp.json(), "{args}");
    }
    let found = send(
        "validate_pipeline",
        "validate_pipeline",
        json!({"files": {"main.py": main_py}}),
        &meta,
    )
    .json();
    assert!(
        found["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("PY003"),
        "{found}"
    );
    // Client capabilities rmcp cannot read: rmcp's own refusal (as for the same request
    // with one more `_meta` key, which only rmcp's path takes), also where an answer is
    // kept for the same call with readable capabilities.
    let mut bad_caps = meta.clone();
    bad_caps["io.modelcontextprotocol/clientCapabilities"] = json!({"roots": 5});
    let mut bad_caps_rmcp = bad_caps.clone();
    bad_caps_rmcp["x-trace/id"] = json!("abc");
    send("get_docs", "get_docs", json!({"section": "rules"}), &meta);
    for (name, args) in [
        ("validate_pipeline", json!({"files": {"main.py": main_py}})),
        ("get_docs", json!({"section": "rules"})),
    ] {
        let fast = send(name, name, args.clone(), &bad_caps);
        let rmcp = send(name, name, args, &bad_caps_rmcp);
        assert_eq!(fast.status, rmcp.status, "{name}: {}", fast.text());
        assert_eq!(fast.json(), rmcp.json(), "{name}");
        assert!(
            fast.json()["error"]["message"].is_string(),
            "{}",
            fast.text()
        );
    }
    // Not taken by the fast path: a header that disagrees with the body gets rmcp's refusal.
    let mismatch = send("get_docs", "validate_pipeline", json!({}), &meta);
    assert_ne!(mismatch.status, 200, "{}", mismatch.text());
    assert!(mismatch.text().contains("Mcp-Name"), "{}", mismatch.text());
}
