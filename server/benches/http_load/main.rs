//! HTTP load benchmark of `serve --http` as a team host loads it: starts the release binary
//! (static bearer token, cached spec and schema from the loopback fakes), then drives, one
//! phase after the other with the same N keep-alive connections from an in-process `hyper`
//! client (one request per connection turn):
//!
//! - `GET /healthz` — the HTTP floor of the same listener;
//! - `tools/call get_docs` on a cached section of ≈ 5.7 k characters;
//! - `tools/call validate_pipeline` with three small inline files (one model, schema cached);
//! - the same with main.py different on every request (a comment line carries a new number):
//!   an agent's edit loop, where cog.yaml and requirements.txt stay the same. Files parsed
//!   before are kept by content (`tools/src/validate/parsed.rs`), so the first validate phase
//!   measures a project seen before and this one a project whose main.py is new.
//!
//! Prints, per phase: requests/s, p50/p99 latency, non-2xx responses by status, tool-level
//! failures (a 2xx whose JSON-RPC answer is an error or `isError: true`), the server's peak
//! RSS during the phase, and each tool's throughput as a ratio of `/healthz` in the same run.
//! Targets (issue 24): get_docs ≥ 40 % and validate_pipeline ≥ 25 % of /healthz, zero
//! non-2xx at 50 connections, peak RSS ≤ 60 MB. Figures, not pass/fail: the load generator
//! shares the machine's cores with the server.
//!
//! Run: `cargo bench -p mcp-pipelines --bench http_load`. Options after `--`:
//! `--connections N` (default 50), `--seconds S` per phase (default 10), `--warmup S` per
//! phase (default 1), `--client-threads N` (default 1, like a single-process load tool),
//! `--bin PATH` to measure another build, `--inline` to send the tool calls as protocol
//! 2026-07-28 does (`_meta` in each request, `Mcp-Method`/`Mcp-Name` headers; default: the
//! 2025-11-25 shape), and any `--server-arg ARG` (repeatable) passed to `serve`, e.g.
//! `--server-arg --max-in-flight --server-arg 64`.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod load;
mod target;

use std::{path::PathBuf, time::Duration};

use load::{Phase, PhaseResult};
use target::Target;

const TARGET_DOCS_RATIO: f64 = 0.40;
const TARGET_VALIDATE_RATIO: f64 = 0.25;
const TARGET_RSS_MB: f64 = 60.0;

/// Command-line options.
pub struct Options {
    pub connections: usize,
    pub seconds: f64,
    pub warmup: f64,
    pub client_threads: usize,
    pub bin: PathBuf,
    pub server_args: Vec<String>,
    /// `--inline`: tool calls as the 2026-07-28 inline lifecycle sends them.
    pub inline: bool,
}

fn options() -> Options {
    let mut o = Options {
        connections: 50,
        seconds: 10.0,
        warmup: 1.0,
        client_threads: 1,
        bin: PathBuf::from(env!("CARGO_BIN_EXE_mcp-pipelines")),
        server_args: Vec::new(),
        inline: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--connections" => o.connections = value().parse().expect("--connections N"),
            "--seconds" => o.seconds = value().parse().expect("--seconds S"),
            "--warmup" => o.warmup = value().parse().expect("--warmup S"),
            "--client-threads" => o.client_threads = value().parse().expect("--client-threads N"),
            "--bin" => o.bin = PathBuf::from(value()),
            "--server-arg" => o.server_args.push(value()),
            "--inline" => o.inline = true,
            _ => {} // cargo passes --bench; ignore anything else
        }
    }
    o.connections = o.connections.max(1);
    o.client_threads = o.client_threads.max(1);
    o
}

fn main() {
    let opts = options();
    assert!(opts.bin.exists(), "{} not found", opts.bin.display());
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.client_threads)
        .enable_all()
        .build()
        .expect("tokio runtime for the load generator");
    let fakes = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime for the fakes");
    let mut target = Target::start(&fakes, &opts);
    client.block_on(target.warm_up());

    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("binary: {}", opts.bin.display());
    println!(
        "{} connections, {} s per phase after {} s warm-up, {} client thread(s), {cpus} CPUs; load average before: {}",
        opts.connections,
        opts.seconds,
        opts.warmup,
        opts.client_threads,
        target::load_average()
    );
    if opts.inline {
        println!("tool calls as protocol 2026-07-28 (the inline lifecycle)");
    }
    if !opts.server_args.is_empty() {
        println!("server args: {}", opts.server_args.join(" "));
    }
    println!("server RSS idle (warm cache): {:.1} MB", target.rss_mb());

    let phases = [
        Phase::Healthz,
        Phase::GetDocs,
        Phase::Validate,
        Phase::ValidateEdited,
    ];
    let mut results: Vec<PhaseResult> = Vec::new();
    for phase in phases {
        let warm = Duration::from_secs_f64(opts.warmup);
        let run = Duration::from_secs_f64(opts.seconds);
        let request = target.request(phase);
        let sampler = target.sample_rss();
        let result = client.block_on(load::run(
            phase,
            target.pid(),
            target.addr,
            request,
            opts.connections,
            warm,
            run,
        ));
        let peak = sampler.stop();
        let result = result.with_peak_rss(peak);
        result.print();
        results.push(result);
    }

    summary(&results, &target);
    println!("load average after: {}", target::load_average());
    drop(target);
    drop(fakes);
}

/// The ratios to `/healthz`, the non-2xx count and the peak RSS against the targets.
fn summary(results: &[PhaseResult], target: &Target) {
    let floor = results[0].rps;
    println!();
    println!("ratios to /healthz ({floor:.0} req/s) in this run:");
    for r in &results[1..] {
        let ratio = if floor > 0.0 { r.rps / floor } else { 0.0 };
        let target = match r.phase {
            Phase::GetDocs => TARGET_DOCS_RATIO,
            _ => TARGET_VALIDATE_RATIO,
        };
        println!(
            "  {}: {:.0} req/s = {:.0} % of /healthz (target >= {:.0} %: {})",
            r.phase.name(),
            r.rps,
            ratio * 100.0,
            target * 100.0,
            verdict(ratio >= target)
        );
    }
    let non_2xx: u64 = results.iter().map(|r| r.non_2xx()).sum();
    let peak = results.iter().map(|r| r.peak_rss_mb).fold(0.0, f64::max);
    println!(
        "non-2xx responses over all phases: {non_2xx} (target 0 at 50 connections: {})",
        verdict(non_2xx == 0)
    );
    println!(
        "server peak RSS under load: {peak:.1} MB; VmHWM {:.1} MB (target <= {TARGET_RSS_MB} MB: {})",
        target.hwm_mb(),
        verdict(peak <= TARGET_RSS_MB)
    );
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}
