//! Benchmarks of the run's Replicate proxy:
//! - overhead per model call: the prediction lifecycle a client makes (create, two polls)
//!   against the fake Replicate API directly and through the proxy;
//! - a fully mocked two-model run (`*: auto`) end to end on a warm venv.
//!
//! Uses the tests' venv cache (`target/run-local-cache`). Run:
//! `cargo bench -p pipelines-tools --bench run_proxy`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::run_local::{
    CancellationToken, MockSchema, Mocks, RunConfig, RunRequest, proxy, run_locally,
};
use serde_json::{Value, json};

const CALLS: usize = 300;
const RUNS: usize = 5;
const TOKEN: &str = "r8_bench_real_token";

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        overhead().await;
        mocked_run().await;
    });
}

/// `CALLS` model calls (create + 2 polls), timed.
async fn lifecycle(client: &reqwest::Client, base: &str, token: &str, version: &str) -> Duration {
    let t = Instant::now();
    for i in 0..CALLS {
        let created: Value = client
            .post(format!("{base}/v1/predictions"))
            .bearer_auth(token)
            .json(&json!({"version": version, "input": {"text": format!("call {i}")}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap();
        for _ in 0..2 {
            let polled: Value = client
                .get(format!("{base}/v1/predictions/{id}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(polled["status"].is_string());
        }
    }
    t.elapsed()
}

async fn overhead() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fake = FakeReplicate::start().await;
    let version = fake.version_ids("acme/echo-text")[0].clone();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let running = proxy::start_for(Some(&fake.base_url), Some(TOKEN), &Mocks::default())
        .await
        .unwrap();
    // Warm both paths (connections, allocations).
    lifecycle(&client, &fake.base_url, TOKEN, &version).await;
    lifecycle(&client, running.url(), running.run_token(), &version).await;
    let mut direct = Vec::new();
    let mut proxied = Vec::new();
    for _ in 0..3 {
        direct.push(lifecycle(&client, &fake.base_url, TOKEN, &version).await);
        proxied.push(lifecycle(&client, running.url(), running.run_token(), &version).await);
    }
    direct.sort();
    proxied.sort();
    let per_call = |d: Duration| d.as_secs_f64() * 1000.0 / CALLS as f64;
    let (d, p) = (per_call(direct[1]), per_call(proxied[1]));
    println!(
        "model call (create + 2 polls), median of 3 x {CALLS}: direct {d:.3} ms, through the proxy {p:.3} ms, overhead {:.3} ms per call",
        p - d
    );
    let traced = running.finish().await;
    println!("  (the proxy traced {} calls)", traced.len());
}

async fn mocked_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fake = FakeReplicate::start().await;
    let schemas: HashMap<String, MockSchema> = ["acme/pixel-forge", "acme/upscale.x2"]
        .into_iter()
        .map(|model| {
            let (version, openapi) = fake.latest_version(model).unwrap();
            let schema = MockSchema::from_openapi(Some(version), openapi, None);
            (model.to_owned(), schema)
        })
        .collect();
    let mut config = RunConfig::new(
        root.join("../target/run-local-cache"),
        vec!["cog==0.15.3".into(), "replicate==1.1.0b3".into()],
    );
    config.replicate_base_url = Some(fake.base_url.clone());
    // replicate-python's default is 0.5 s; 0.05 s keeps polling cheap and the run short.
    config.extra_env = vec![("REPLICATE_POLL_INTERVAL".into(), "0.05".into())];
    let mut walls = Vec::new();
    for i in 0..=RUNS {
        let mut request = RunRequest::new(
            root.join("tests/fixtures/run_local/chain"),
            json!({"prompt": format!("fox {i}")})
                .as_object()
                .unwrap()
                .clone(),
        );
        request.mocks = Mocks {
            outputs: [("*".to_owned(), json!("auto"))].into_iter().collect(),
            latency_ms: None,
            schemas: schemas.clone(),
            models: vec!["acme/pixel-forge".into(), "acme/upscale.x2".into()],
        };
        let t = Instant::now();
        let result = run_locally(request, &config, None, CancellationToken::new())
            .await
            .unwrap();
        let wall = t.elapsed();
        assert!(result.succeeded(), "{}", result.to_text());
        assert!(fake.requests().is_empty());
        if i == 0 {
            println!(
                "fully mocked run (warm-up, venv reused: {}): {:.1} ms",
                result.venv.reused,
                wall.as_secs_f64() * 1000.0
            );
            continue;
        }
        let tm = result.timings;
        println!(
            "fully mocked two-model run {i}: {:>8.1} ms wall | server start {} ms, predict {} ms (2 x 300 ms mock latency)",
            wall.as_secs_f64() * 1000.0,
            tm.server_start_ms,
            tm.predict_ms
        );
        walls.push(wall);
    }
    walls.sort();
    println!(
        "fully mocked two-model run over {RUNS}: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        walls[0].as_secs_f64() * 1000.0,
        walls[RUNS / 2].as_secs_f64() * 1000.0,
        walls[RUNS - 1].as_secs_f64() * 1000.0
    );
}
