//! Benchmark of a cold venv: building the run venv (cog + replicate) in an empty cache, with
//! uv and with pip. uv is `MCP_PIPELINES_UV`, else `uv` on PATH, else the e2e venv's
//! (`scripts/test-setup` installs it). Package downloads are cached by uv and pip
//! themselves (their own caches), so after the first invocation this measures venv creation
//! and installation, as a first run on a machine with warm package caches does.
//! A third case builds the venv of runtime `replicate` with uv: every package of Replicate's
//! July 2025 runtime list (numpy, scipy, scikit-learn, moviepy, pydantic 1…) as constraints,
//! Python 3.13 when installed, and the coglet look-up on the index.
//! Run: `cargo bench -p pipelines-tools --bench venv_cold`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use pipelines_tools::run_local::{
    CancellationToken, ProjectSource, RunConfig, RuntimePins, prepare_venv,
};

const RUNS: usize = 3;

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(bench());
}

async fn bench() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    println!(
        "Landlock ABI: {:?}",
        pipelines_tools::run_local::landlock_abi()
    );
    let project = ProjectSource::Dir(root.join("tests/fixtures/run_local/trivial"));
    let requirements = vec!["cog==0.15.3".into(), "replicate==1.1.0b3".into()];
    let probe = RunConfig::new(std::env::temp_dir(), requirements.clone());
    let e2e_uv = root.join("../target/e2e-venv/bin/uv");
    let uv: Option<PathBuf> = probe.uv.or_else(|| e2e_uv.exists().then_some(e2e_uv));
    let list = std::fs::read_to_string(
        root.join("tests/fixtures/run_local/runtime-requirements-2025-07.txt"),
    )
    .unwrap();
    let pins = RuntimePins::parse(&list, "runtime list of July 2025");
    let mut installers: Vec<(&str, Option<PathBuf>, Option<RuntimePins>)> = Vec::new();
    match uv {
        Some(uv) => {
            installers.push(("uv + runtime pins", Some(uv.clone()), Some(pins)));
            installers.push(("uv", Some(uv), None));
        }
        None => println!("uv not found: set MCP_PIPELINES_UV or run scripts/test-setup"),
    }
    installers.push(("pip", None, None));
    for (name, uv, pins) in installers {
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let cache = tempfile::tempdir().unwrap();
            let mut config = RunConfig::new(cache.path(), requirements.clone());
            config.uv = uv.clone();
            config.runtime_pins = pins.clone();
            config.runtime_python = pins.as_ref().map(|_| (3, 13));
            let t = Instant::now();
            let venv = prepare_venv(&project, &config, None, CancellationToken::new())
                .await
                .unwrap();
            assert!(!venv.reused);
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        println!(
            "cold venv with {name:>17}: median {:>6.2} s (min {:.2} s, max {:.2} s, {RUNS} runs)",
            times[RUNS / 2],
            times[0],
            times[RUNS - 1]
        );
    }
}
