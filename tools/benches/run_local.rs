//! Benchmark of the local runner: a warm-venv run of a trivial pipeline end to end
//! (server start → result), and the venv cache hit on a second preparation.
//!
//! Uses the same cache as the tests (`target/run-local-cache`): the first invocation on a
//! machine builds the venv (reported separately), later ones measure warm runs only.
//! Run: `cargo bench -p pipelines-tools --bench run_local`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::Path;
use std::time::{Duration, Instant};

use pipelines_tools::run_local::{
    CancellationToken, ProjectSource, RunConfig, RunRequest, prepare_venv, run_locally,
};
use serde_json::json;

const RUNS: usize = 5;

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(bench());
}

async fn bench() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = root.join("tests/fixtures/run_local/trivial");
    let config = RunConfig::new(
        root.join("../target/run-local-cache"),
        vec!["cog==0.15.3".into(), "replicate==1.1.0b3".into()],
    );
    let source = ProjectSource::Dir(project.clone());

    let t = Instant::now();
    let venv = prepare_venv(&source, &config, None, CancellationToken::new())
        .await
        .unwrap();
    let first = t.elapsed();
    println!(
        "venv prepare #1: {:>8.1} ms ({})",
        ms(first),
        if venv.reused {
            "cache hit"
        } else {
            "built now"
        }
    );
    let t = Instant::now();
    let venv = prepare_venv(&source, &config, None, CancellationToken::new())
        .await
        .unwrap();
    println!(
        "venv prepare #2: {:>8.1} ms (reused: {}, nothing installed)",
        ms(t.elapsed()),
        venv.reused
    );
    assert!(venv.reused, "the second preparation must hit the cache");

    let mut totals = Vec::new();
    for i in 0..RUNS {
        let inputs = json!({"word": format!("w{i}"), "times": 2})
            .as_object()
            .unwrap()
            .clone();
        let request = RunRequest::new(&project, inputs);
        let t = Instant::now();
        let result = run_locally(request, &config, None, CancellationToken::new())
            .await
            .unwrap();
        let wall = t.elapsed();
        assert!(
            result.succeeded() && result.venv.reused,
            "{}",
            result.to_text()
        );
        let tm = result.timings;
        println!(
            "warm run {i}: {:>8.1} ms wall | venv check {} ms, server start {} ms, predict {} ms",
            ms(wall),
            tm.venv_ms,
            tm.server_start_ms,
            tm.predict_ms
        );
        totals.push(wall);
    }
    totals.sort();
    println!(
        "warm run end to end over {RUNS}: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        ms(totals[0]),
        ms(totals[RUNS / 2]),
        ms(totals[RUNS - 1])
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
