//! Startup benchmark of the release binary over stdio: the time from spawning
//! `mcp-pipelines --stdio` to reading its `initialize` response (2025-11-25 handshake, the
//! one Claude Code and Cursor send), and its peak resident memory right after (VmHWM).
//! Targets: median ≤ 5 ms and peak RSS ≤ 15 MB.
//!
//! Run: `cargo bench -p mcp-pipelines --bench startup` (cargo builds the binary with the
//! bench profile, i.e. release). Options after `--`: `--runs N` (default 50),
//! `--bin PATH` to measure another build (e.g. target/release/mcp-pipelines after
//! `cargo build --release -p mcp-pipelines`). Prints figures; asserts nothing.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::{
    io::{BufRead, BufReader, Write},
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"startup-bench","version":"0"}}}"#;
const TARGET_MS: f64 = 5.0;
const TARGET_MB: f64 = 15.0;

struct Sample {
    to_response: Duration,
    hwm_kib: u64,
    rss_kib: u64,
}

fn main() {
    let mut runs = 50usize;
    let mut bin = PathBuf::from(env!("CARGO_BIN_EXE_mcp-pipelines"));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--bin" => bin = args.next().map(PathBuf::from).expect("--bin PATH"),
            _ => {} // cargo passes --bench; ignore anything else
        }
    }
    assert!(bin.exists(), "{} not found", bin.display());
    let cache = tempfile::tempdir().expect("temp dir");

    // One warm-up run so the binary is in the page cache.
    let _ = measure(&bin, cache.path());
    let mut samples: Vec<Sample> = (0..runs.max(1))
        .map(|_| measure(&bin, cache.path()))
        .collect();

    samples.sort_by_key(|s| s.to_response);
    let times: Vec<f64> = samples
        .iter()
        .map(|s| s.to_response.as_secs_f64() * 1e3)
        .collect();
    let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    let median_ms = pct(0.5);
    let hwm_mb = samples.iter().map(|s| s.hwm_kib).max().unwrap_or(0) as f64 / 1024.0;
    let rss_mb = samples.iter().map(|s| s.rss_kib).max().unwrap_or(0) as f64 / 1024.0;

    println!("binary: {}", bin.display());
    println!("runs: {}", times.len());
    println!(
        "spawn -> initialize response: median {median_ms:.2} ms, p10 {:.2} ms, p90 {:.2} ms, min {:.2} ms, max {:.2} ms (target <= {TARGET_MS} ms: {})",
        pct(0.1),
        pct(0.9),
        times[0],
        times[times.len() - 1],
        verdict(median_ms <= TARGET_MS)
    );
    println!(
        "peak RSS after initialize (VmHWM, max over runs): {hwm_mb:.1} MB; VmRSS {rss_mb:.1} MB (target <= {TARGET_MB} MB: {})",
        verdict(hwm_mb <= TARGET_MB)
    );
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

fn measure(bin: &std::path::Path, cache: &std::path::Path) -> Sample {
    let dead = "http://127.0.0.1:9";
    let mut cmd = Command::new(bin);
    cmd.arg("--stdio")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("MCP_PIPELINES_CACHE_DIR", cache)
        .env("REPLICATE_BASE_URL", dead)
        .env("MCP_PIPELINES_DOCS_URL", format!("{dead}/llms.txt"))
        .env(
            "MCP_PIPELINES_RUNTIME_URL",
            format!("{dead}/requirements.txt"),
        )
        .env("MCP_PIPELINES_COG_DOCS_URL", format!("{dead}/cog-llms.txt"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());

    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn mcp-pipelines --stdio");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(INITIALIZE.as_bytes()).expect("write");
    stdin.write_all(b"\n").expect("write");
    stdin.flush().expect("flush");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .expect("read initialize response");
    let to_response = start.elapsed();
    assert!(
        line.contains("\"serverInfo\""),
        "unexpected first stdout line: {line:?}"
    );

    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let sample = Sample {
        to_response,
        hwm_kib: field("VmHWM:"),
        rss_kib: field("VmRSS:"),
    };
    drop(stdin);
    let _ = child.wait();
    sample
}
