//! Schema benchmarks (plain `harness = false`: no bench framework needed).
//!
//! 1. A cached `fetch_model_schema` (server-side work only): median and p95 over 2,000
//!    calls. Target: median ≤ 0.5 ms.
//! 2. A batch of 10 uncached models against the loopback fake with a per-request delay,
//!    next to a single uncached model under the same delay. Target: batch ≈ single
//!    (concurrent, not a sum of 10).
//!
//! Run: `cargo bench -p pipelines-tools --bench schema`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use pipelines_docs_cache::Store;
use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::schema::{ReplicateClient, ReplicateConfig};

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn make_client(base_url: &str, dir: &std::path::Path) -> ReplicateClient {
    let store = Store::open(dir).unwrap();
    ReplicateClient::new(
        ReplicateConfig::default()
            .with_base_url(base_url)
            .with_token(Some("r8_bench")),
        store,
    )
    .unwrap()
}

async fn cached_fetch(fake: &FakeReplicate) {
    let dir = tempfile::tempdir().unwrap();
    let client = make_client(&fake.base_url, dir.path());
    client
        .fetch_model_schema("acme/pixel-forge", false)
        .await
        .unwrap();
    // Warm up, then measure.
    for _ in 0..200 {
        client
            .fetch_model_schema("acme/pixel-forge", false)
            .await
            .unwrap();
    }
    let mut samples = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let started = Instant::now();
        let schema = client
            .fetch_model_schema("acme/pixel-forge", false)
            .await
            .unwrap();
        samples.push(started.elapsed());
        assert!(schema.from_cache);
    }
    let median = percentile(&mut samples, 0.5);
    let p95 = percentile(&mut samples, 0.95);
    println!(
        "cached fetch_model_schema: median {:.3} ms, p95 {:.3} ms (n=2000; target median <= 0.5 ms)",
        median.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3
    );
}

async fn batch_vs_single(fake: &FakeReplicate, delay: Duration) {
    let models: Vec<String> = (0..10).map(|i| format!("bench/model-{i}")).collect();
    for m in &models {
        assert!(fake.add_copy("acme/pixel-forge", m));
    }
    fake.set_delay(delay);
    let mut singles = Vec::new();
    let mut batches = Vec::new();
    let mut with_flush = Vec::new();
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let client = make_client(&fake.base_url, dir.path());
        let started = Instant::now();
        client
            .fetch_model_schema(&models[round % models.len()], false)
            .await
            .unwrap();
        singles.push(started.elapsed());
        client.flush().await;

        let dir = tempfile::tempdir().unwrap();
        let client = make_client(&fake.base_url, dir.path());
        let started = Instant::now();
        let results = client.fetch_model_schemas(&models, false).await;
        batches.push(started.elapsed());
        client.flush().await;
        with_flush.push(started.elapsed());
        assert!(results.iter().all(Result::is_ok));
        assert!(results.iter().all(|r| !r.as_ref().unwrap().from_cache));
    }
    let single = percentile(&mut singles, 0.5);
    let batch = percentile(&mut batches, 0.5);
    let flushed = percentile(&mut with_flush, 0.5);
    println!(
        "uncached, {} ms delay per request: single model median {:.1} ms, batch of 10 median {:.1} ms (ratio {:.2}; a sequential batch would be ~10x)",
        delay.as_millis(),
        single.as_secs_f64() * 1e3,
        batch.as_secs_f64() * 1e3,
        batch.as_secs_f64() / single.as_secs_f64()
    );
    println!(
        "  batch of 10 until all 10 schemas are persisted in the store (flush): median {:.1} ms",
        flushed.as_secs_f64() * 1e3
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let fake = FakeReplicate::start().await;
        cached_fetch(&fake).await;
        batch_vs_single(&fake, Duration::from_millis(100)).await;
    });
}
