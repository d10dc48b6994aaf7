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
//! Layout: `short_path` (the calls for one scenario), `server` (the binary over stdio); this
//! file holds the options, the scenarios and the report.
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
    path::{Path, PathBuf},
    time::Duration,
};

use pipelines_test_fakes::{docs_host::DocsHost, replicate::FakeReplicate};
use serde_json::{Value, json};

mod server;
mod short_path;

use short_path::{Extra, build};

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
