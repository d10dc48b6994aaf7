//! Workflow benchmark: what an agent pays, in tool calls and characters it reads, to build
//! a pipeline through the server on the create_pipeline prompt's short path: the prompt
//! (which refreshes the spec and embeds the rules digest) → `fetch_model_schema` (every
//! model, one call) → `scaffold_pipeline` (with `steps`) → `validate_pipeline` →
//! `run_locally` with `mocks: {"*": "auto"}`. The rules digest must be read exactly once.
//!
//! Drives the real binary over stdio (MCP JSON-RPC, line-delimited) against the loopback
//! fakes (docs host and Replicate API) for (a) a two-model image → caption pipeline and
//! (b) a three-model chain (image → upscale → caption). Each pipeline starts from an empty
//! docs/schema store (a first session); the run virtualenvs are kept under
//! `target/bench-workflow-cache` so only the first bench run on a machine builds one (the
//! figures printed are per run; a cold venv only shows in the run time).
//!
//! Checks that each result validates with no errors and no warnings and that the mocked run
//! succeeds (panics otherwise). Targets for the two-model pipeline: ≤ 8 calls and ≤ 11,663
//! characters read (the prompt plus the tools' text content blocks; 11,663 was the path
//! through `fetch_llms_txt` before the prompt carried the digest).
//!
//! Run: `cargo bench -p mcp-pipelines --bench workflow` (or `--profile dev` on a slow box).
//! Options after `--`: `--bin PATH` to measure another build, `--cache DIR` for the venvs,
//! `--show` to print each tool's text output, `--no-run` to stop before `run_locally` (no
//! Python needed), `--tour` to also call the other read-only tools after the memory figure
//! (`fetch_llms_txt`, a `scaffold_pipeline` from `models` alone and its validation, `get_docs`
//! three ways; not counted) and to run the server without `RUST_LOG=warn`, at its default
//! log level (`scripts/text-order` profiles this session). Also prints the server's resident memory
//! after fetching, scaffolding and validating (before `run_locally`), anonymous and
//! file-backed (mostly the binary's code: see `server/build/link.rs`); target (issue 24)
//! ≤ 15 MB.
//! `run_locally` needs a Python ≥ 3.12 (`MCP_PIPELINES_PYTHON`, else discovered).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
// A benchmark's scenario reads best in one piece: the 80-line rule is for src/.
#![allow(clippy::too_many_lines)]

use std::{
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::mpsc::{Receiver, channel},
    time::{Duration, Instant},
};

use pipelines_test_fakes::{
    docs_host::{Doc, DocsHost},
    replicate::FakeReplicate,
};
use serde_json::{Value, json};

const TARGET_CALLS: usize = 8;
const TARGET_CHARS: usize = 11_663;
const TARGET_RSS_MB: f64 = 15.0;
/// The first run on a machine builds a venv from PyPI: a hang guard, not a measurement.
const CALL_TIMEOUT: Duration = Duration::from_secs(600);
const FAKE_TOKEN: &str = "r8_bench_fake_token_5c1e";

/// One pipeline the agent builds.
struct Scenario {
    name: &'static str,
    task: &'static str,
    dir: &'static str,
    models: &'static [&'static str],
    scaffold: Value,
    run_inputs: Value,
}

/// One tool call as the agent saw it.
struct Call {
    tool: &'static str,
    text_chars: usize,
    structured_chars: usize,
    elapsed: Duration,
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "two-model image -> caption",
            task: "turn a prompt into an image and a one-line caption of it",
            dir: "caption",
            models: &["acme/pixel-forge", "shapes/vision-chat"],
            scaffold: json!({
                "path": "caption",
                "inputs": [{"name": "prompt", "type": "str", "description": "What to draw."}],
                "steps": [
                    {"model": "acme/pixel-forge", "id": "draw",
                     "inputs": {"prompt": {"input": "prompt"}}},
                    {"model": "shapes/vision-chat", "id": "describe",
                     "inputs": {"image": {"step": "draw", "pick": "first"},
                                "prompt": {"value": "Write a one-line caption for this image."}}}
                ],
                "output_fields": {"image": "draw", "caption": "describe"}
            }),
            run_inputs: json!({"prompt": "a red fox in the snow"}),
        },
        Scenario {
            name: "three-model chain: image -> upscale -> caption",
            task: "draw an image from a prompt, upscale it, and caption the upscaled image",
            dir: "chain",
            models: &["acme/pixel-forge", "acme/upscale.x2", "acme/quick-caption"],
            scaffold: json!({
                "path": "chain",
                "inputs": [{"name": "prompt", "type": "str", "description": "What to draw."}],
                "steps": [
                    {"model": "acme/pixel-forge", "id": "draw",
                     "inputs": {"prompt": {"input": "prompt"}}},
                    {"model": "acme/upscale.x2", "id": "upscale",
                     "inputs": {"image": {"step": "draw", "pick": "first"}}},
                    {"model": "acme/quick-caption", "id": "caption",
                     "inputs": {"image": {"step": "upscale"}}}
                ],
                "output_fields": {"image": "upscale", "caption": "caption"}
            }),
            run_inputs: json!({"prompt": "a lighthouse at dusk"}),
        },
    ]
}

fn main() {
    let mut bin = PathBuf::from(env!("CARGO_BIN_EXE_mcp-pipelines"));
    let mut cache: Option<PathBuf> = None;
    let mut show = false;
    let mut no_run = false;
    let mut tour = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bin" => bin = args.next().map(PathBuf::from).expect("--bin PATH"),
            "--cache" => cache = args.next().map(PathBuf::from),
            "--show" => show = true,
            "--no-run" => no_run = true,
            "--tour" => tour = true,
            _ => {} // cargo passes --bench; ignore anything else
        }
    }
    assert!(bin.exists(), "{} not found", bin.display());
    let cache = cache.unwrap_or_else(|| target_dir(&bin).join("bench-workflow-cache"));
    std::fs::create_dir_all(&cache).expect("cache dir");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime for the fakes");
    let (docs, replicate) =
        runtime.block_on(async { (DocsHost::start().await, FakeReplicate::start().await) });

    println!("binary: {}", bin.display());
    println!("venv cache: {}", cache.display());
    let mut results = Vec::new();
    for scenario in scenarios() {
        let work = tempfile::tempdir().expect("work dir");
        fresh_store(&cache);
        let env = Env {
            bin: &bin,
            cache: &cache,
            work: work.path(),
            docs: &docs,
            replicate: &replicate,
            show,
            no_run,
            tour,
        };
        let (calls, extra) = build(&env, &scenario);
        report(&scenario, &calls, &extra);
        results.push((scenario.name, calls));
    }

    println!();
    for (i, (name, calls)) in results.iter().enumerate() {
        let chars: usize = calls.iter().map(|c| c.text_chars).sum();
        if i == 0 {
            println!(
                "{name}: {} calls (target <= {TARGET_CALLS}: {}), {chars} chars (target <= {TARGET_CHARS}: {})",
                calls.len(),
                verdict(calls.len() <= TARGET_CALLS),
                verdict(chars <= TARGET_CHARS)
            );
        } else {
            println!("{name}: {} calls, {chars} chars", calls.len());
        }
    }
    drop((docs, replicate));
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

/// `target/` from the binary's path (`target/<profile>/mcp-pipelines`).
fn target_dir(bin: &Path) -> PathBuf {
    bin.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// Forgets the cached docs and schemas (a first session) but keeps the run venvs.
fn fresh_store(cache: &Path) {
    for entry in std::fs::read_dir(cache).expect("read cache dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("store") {
            let path = entry.path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path).expect("remove store");
            } else {
                std::fs::remove_file(&path).expect("remove store file");
            }
        }
    }
}

struct Env<'a> {
    bin: &'a Path,
    cache: &'a Path,
    work: &'a Path,
    docs: &'a DocsHost,
    replicate: &'a FakeReplicate,
    show: bool,
    no_run: bool,
    tour: bool,
}

/// The first words of the rules digest.
const DIGEST_HEAD: &str = "Rules digest (";

/// What else the agent read (not counted in the targets).
struct Extra {
    digests: usize,
    main_py_chars: usize,
}

/// The short path for one scenario; returns every call made.
fn build(env: &Env, s: &Scenario) -> (Vec<Call>, Extra) {
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

fn report(s: &Scenario, calls: &[Call], extra: &Extra) {
    println!();
    println!("== {} ({})", s.name, s.models.join(", "));
    println!(
        "   {:<20} {:>11} {:>17} {:>10}",
        "tool", "text chars", "structured chars", "time"
    );
    for c in calls {
        println!(
            "   {:<20} {:>11} {:>17} {:>8.2} s",
            c.tool,
            c.text_chars,
            c.structured_chars,
            c.elapsed.as_secs_f64()
        );
    }
    let text: usize = calls.iter().map(|c| c.text_chars).sum();
    let structured: usize = calls.iter().map(|c| c.structured_chars).sum();
    let time: f64 = calls.iter().map(|c| c.elapsed.as_secs_f64()).sum();
    println!(
        "   {:<20} {:>11} {:>17} {:>8.2} s   ({} calls)",
        "total",
        text,
        structured,
        time,
        calls.len()
    );
    println!(
        "   the rules digest read {} time(s); also read (not counted): the scaffolded main.py, {} chars",
        extra.digests, extra.main_py_chars
    );
}

/// The text content blocks of a tool result, joined.
fn text(result: &Value) -> String {
    result["content"]
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// The server over stdio: requests in, responses (by id) out; notifications skipped.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    next_id: u64,
    show: bool,
    /// Tool results that carried the rules digest.
    digests: usize,
}

impl Server {
    fn start(env: &Env) -> Server {
        let mut cmd = Command::new(env.bin);
        cmd.arg("--stdio")
            .current_dir(env.work)
            .env_clear()
            .env("MCP_PIPELINES_CACHE_DIR", env.cache)
            .env("MCP_PIPELINES_DOCS_URL", env.docs.url(Doc::Pipelines))
            .env("MCP_PIPELINES_RUNTIME_URL", env.docs.url(Doc::Runtime))
            .env("MCP_PIPELINES_COG_DOCS_URL", env.docs.url(Doc::Cog))
            .env("REPLICATE_BASE_URL", &env.replicate.base_url)
            .env("REPLICATE_API_TOKEN", FAKE_TOKEN)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // What building and running a venv needs from the environment, nothing else.
        for var in [
            "PATH",
            "HOME",
            "PYENV_ROOT",
            "MCP_PIPELINES_PYTHON",
            "MCP_PIPELINES_UV",
            "PIP_INDEX_URL",
            "UV_INDEX_URL",
            "SSL_CERT_FILE",
        ] {
            if let Some(v) = std::env::var_os(var) {
                cmd.env(var, v);
            }
        }
        // The tour profiles what a default session runs: no RUST_LOG, the default level.
        if !env.tour {
            cmd.env("RUST_LOG", "warn");
        }
        let mut child = cmd.spawn().expect("spawn mcp-pipelines --stdio");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            lines,
            next_id: 1,
            show: false,
            digests: 0,
        };
        let init = server.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "workflow-bench", "version": "0"}}),
        );
        assert!(init.get("result").is_some(), "initialize failed: {init}");
        server.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        server
    }

    /// A `/proc/PID/status` figure of the server, in MB.
    fn memory_mb(&self, field: &str) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    }

    fn send(&mut self, msg: &Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{msg}").expect("write to the server");
        stdin.flush().expect("flush");
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + CALL_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|e| panic!("{method}: no response ({e})"));
            let msg: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("{method}: not JSON ({e}): {line}"));
            if msg["id"] == json!(id) && msg.get("method").is_none() {
                return msg;
            }
        }
    }

    /// One `tools/call`; records its size and time; returns its result.
    fn call(&mut self, calls: &mut Vec<Call>, tool: &'static str, args: Value) -> Value {
        let start = Instant::now();
        let response = self.request("tools/call", json!({"name": tool, "arguments": args}));
        let elapsed = start.elapsed();
        let result = response
            .get("result")
            .cloned()
            .unwrap_or_else(|| panic!("{tool}: JSON-RPC error {response}"));
        assert!(
            result["isError"] != json!(true),
            "{tool} failed:\n{}",
            text(&result)
        );
        if self.show {
            println!("---- {tool}\n{}\n----", text(&result));
        }
        self.digests += text(&result).matches(DIGEST_HEAD).count();
        calls.push(Call {
            tool,
            text_chars: text(&result).chars().count(),
            structured_chars: result
                .get("structuredContent")
                .map_or(0, |s| s.to_string().chars().count()),
            elapsed,
        });
        result
    }

    fn stop(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}
