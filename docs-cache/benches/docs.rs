//! `cargo bench -p pipelines-docs-cache`: medians of
//! - `get_docs` for one section from a warm cache (target ≤ 0.5 ms),
//! - a 304 refresh round trip on loopback (target ≤ 5 ms).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::time::{Duration, Instant};

use pipelines_docs_cache::{
    DocsCache, DocsConfig, GetDocsRequest, Source, SourceSel, SourceUrls, Store,
};
use pipelines_test_fakes::docs_host::{Doc, DocsHost};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn report(name: &str, samples: Vec<Duration>, target: Duration) {
    let n = samples.len();
    let mut sorted = samples.clone();
    sorted.sort();
    let p90 = sorted[n * 9 / 10];
    let med = median(samples);
    let verdict = if med <= target { "ok" } else { "OVER TARGET" };
    println!(
        "{name:<40} median {:>9.3} ms  p90 {:>9.3} ms  (n={n}, target ≤ {:.1} ms) {verdict}",
        med.as_secs_f64() * 1e3,
        p90.as_secs_f64() * 1e3,
        target.as_secs_f64() * 1e3
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let host = DocsHost::start().await;
        let dir = tempfile::tempdir().unwrap();
        let mut config = DocsConfig::new(dir.path());
        config.urls = SourceUrls {
            pipelines: host.url(Doc::Pipelines),
            runtime: host.url(Doc::Runtime),
            cog: host.url(Doc::Cog),
        };
        let cache = DocsCache::new(config, Store::open(dir.path()).unwrap()).unwrap();
        cache.fetch(SourceSel::All, false).await.unwrap();

        let req = || GetDocsRequest {
            section: Some("cog/outputs".to_owned()),
            ..Default::default()
        };
        for _ in 0..50 {
            cache.get_docs(req()).await.unwrap();
        }
        let mut samples = Vec::new();
        for _ in 0..2000 {
            let t = Instant::now();
            let r = cache.get_docs(req()).await.unwrap();
            samples.push(t.elapsed());
            assert!(r.section.is_some());
        }
        report(
            "get_docs(section) warm cache",
            samples,
            Duration::from_micros(500),
        );

        let mut samples = Vec::new();
        for _ in 0..2000 {
            let t = Instant::now();
            let _ = cache
                .get_docs(GetDocsRequest {
                    query: Some("secret api key".to_owned()),
                    ..Default::default()
                })
                .await
                .unwrap();
            samples.push(t.elapsed());
        }
        report(
            "get_docs(query) warm cache",
            samples,
            Duration::from_micros(500),
        );

        let one = SourceSel::One(Source::Pipelines);
        for _ in 0..10 {
            cache.fetch(one, false).await.unwrap();
        }
        let before = host.not_modified(Doc::Pipelines);
        let mut samples = Vec::new();
        for _ in 0..300 {
            let t = Instant::now();
            let r = cache.fetch(one, false).await.unwrap();
            samples.push(t.elapsed());
            assert!(!r.sources[0].changed);
        }
        assert_eq!(host.not_modified(Doc::Pipelines) - before, 300);
        report(
            "fetch 304 round trip (loopback)",
            samples,
            Duration::from_millis(5),
        );
    });
}
