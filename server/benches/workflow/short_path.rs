//! The short path for one scenario, as an agent takes it: the create_pipeline prompt, then
//! `fetch_model_schema`, `scaffold_pipeline`, `validate_pipeline` and `run_locally` (with
//! `--tour`, the other read-only tools too, not counted).

use std::{path::Path, time::Instant};

use serde_json::{Value, json};

use crate::{
    Call, Env, Scenario, TARGET_RSS_MB,
    server::{Server, text},
    verdict,
};

/// The first words of the rules digest.
pub(crate) const DIGEST_HEAD: &str = "Rules digest (";

/// What else the agent read (not counted in the targets).
pub(crate) struct Extra {
    pub(crate) digests: usize,
    pub(crate) main_py_chars: usize,
}

/// The short path for one scenario; returns every call made.
pub(crate) fn build(env: &Env, s: &Scenario) -> (Vec<Call>, Extra) {
    let mut server = Server::start(env);
    server.show = env.show;
    let mut calls = Vec::new();

    // The agent starts from the create_pipeline prompt (nothing cached yet): it refreshes
    // the spec and carries the digest, so there is no fetch_llms_txt call.
    let start = Instant::now();
    let prompt = server.request(
        "prompts/get",
        json!({"name": "create_pipeline",
               "arguments": {"task": s.task, "models": s.models.join(", ")}}),
    );
    let prompt_text: String = prompt["result"]["messages"]
        .as_array()
        .expect("prompt messages")
        .iter()
        .filter_map(|m| m["content"]["text"].as_str())
        .collect();
    assert!(
        prompt_text.contains("scaffold_pipeline"),
        "unexpected prompt: {prompt}"
    );
    if env.show {
        println!("---- create_pipeline prompt\n{prompt_text}\n----");
    }

    calls.push(Call {
        tool: "create_pipeline prompt",
        text_chars: prompt_text.chars().count(),
        structured_chars: 0,
        elapsed: start.elapsed(),
    });
    server.call(
        &mut calls,
        "fetch_model_schema",
        json!({"models": s.models}),
    );
    server.call(&mut calls, "scaffold_pipeline", s.scaffold.clone());
    let validation = server.call(&mut calls, "validate_pipeline", json!({"path": s.dir}));
    let summary = &validation["structuredContent"]["summary"];
    assert!(
        validation["structuredContent"]["ok"] == json!(true)
            && summary["errors"] == json!(0)
            && summary["warnings"] == json!(0),
        "{}: the scaffolded pipeline does not validate clean:\n{}",
        s.name,
        text(&validation)
    );
    let (rss, hwm) = (server.memory_mb("VmRSS:"), server.memory_mb("VmHWM:"));
    let (anon, file) = (server.memory_mb("RssAnon:"), server.memory_mb("RssFile:"));
    println!(
        "{}: server RSS after fetch, schema, scaffold, validate: {rss:.1} MB (anonymous {anon:.1}, file {file:.1}; peak {hwm:.1} MB; target <= {TARGET_RSS_MB} MB: {})",
        s.name,
        verdict(hwm <= TARGET_RSS_MB)
    );
    if env.tour {
        let mut uncounted = Vec::new();
        server.call(&mut uncounted, "fetch_llms_txt", json!({}));
        let skeleton = format!("{}-skeleton", s.dir);
        let models = json!({"path": skeleton, "models": s.models});
        server.call(&mut uncounted, "scaffold_pipeline", models);
        server.call(
            &mut uncounted,
            "validate_pipeline",
            json!({"path": skeleton}),
        );
        for args in [
            json!({}),
            json!({"section": "cog/outputs"}),
            json!({"query": "replicate.use"}),
        ] {
            server.call(&mut uncounted, "get_docs", args);
        }
        // What an SDK client also asks (the Python SDK lists the tools to check results
        // against their output schemas), and an inline validation of the same project.
        for method in ["tools/list", "prompts/list"] {
            server.request(method, json!({}));
        }
        let files: serde_json::Map<String, Value> = ["cog.yaml", "requirements.txt", "main.py"]
            .iter()
            .filter_map(|f| {
                let text = std::fs::read_to_string(Path::new(&skeleton).join(f)).ok()?;
                Some(((*f).to_string(), Value::String(text)))
            })
            .collect();
        server.call(&mut uncounted, "validate_pipeline", json!({"files": files}));
        // The same in the shape of protocol 2026-07-28, as the current Python SDK sends
        // (`server/discover`, the client's version, info and capabilities in every `_meta`).
        let meta = json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": {"name": "workflow-bench", "version": "0"},
            "io.modelcontextprotocol/clientCapabilities": {},
        });
        server.request("server/discover", json!({"_meta": meta}));
        server.request("tools/list", json!({"_meta": meta}));
        for (name, args) in [
            ("fetch_llms_txt", json!({})),
            ("fetch_model_schema", json!({"models": s.models})),
            (
                "scaffold_pipeline",
                json!({"path": format!("{skeleton}-2"), "models": s.models}),
            ),
            ("validate_pipeline", json!({"path": skeleton})),
            ("validate_pipeline", json!({"files": files})),
            ("get_docs", json!({"section": "cog/outputs"})),
        ] {
            server.request(
                "tools/call",
                json!({"name": name, "arguments": args, "_meta": meta}),
            );
        }
    }
    if env.no_run {
        let extra = Extra {
            digests: prompt_text.matches(DIGEST_HEAD).count() + server.digests,
            main_py_chars: 0,
        };
        server.stop();
        return (calls, extra);
    }
    let run = server.call(
        &mut calls,
        "run_locally",
        json!({"path": s.dir, "inputs": s.run_inputs, "mocks": {"*": "auto"}}),
    );
    assert_eq!(
        run["structuredContent"]["status"],
        json!("succeeded"),
        "{}: the mocked run did not succeed:\n{}",
        s.name,
        text(&run)
    );
    let tool_digests = server.digests;
    server.stop();
    let main_py = std::fs::read_to_string(env.work.join(s.dir).join("main.py")).expect("main.py");
    let digests = prompt_text.matches(DIGEST_HEAD).count() + tool_digests;
    assert_eq!(
        digests, 1,
        "{}: the rules digest was read {digests} times",
        s.name
    );
    let extra = Extra {
        digests,
        main_py_chars: main_py.chars().count(),
    };
    if env.show {
        println!("---- {}/main.py\n{main_py}----", s.dir);
    }
    (calls, extra)
}
