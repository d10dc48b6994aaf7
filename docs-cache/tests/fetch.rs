//! The DocsCache against the fake docs host: ETag/304, a changed version and its diff,
//! 404, 500, a hanging host, network down with and without a cached copy, get_docs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A scenario test reads best in one piece: the 80-line rule is for src/.
#![allow(clippy::too_many_lines)]

use std::time::Duration;

use pipelines_docs_cache::{
    DocsCache, DocsConfig, DocsError, GetDocsRequest, RulebookOrigin, Source, SourceSel,
    SourceUrls, Store,
};
use pipelines_test_fakes::docs_host::{Doc, DocsHost, Mode};

fn urls(host: &DocsHost) -> SourceUrls {
    SourceUrls {
        pipelines: host.url(Doc::Pipelines),
        runtime: host.url(Doc::Runtime),
        cog: host.url(Doc::Cog),
    }
}

fn cache_with(dir: &std::path::Path, urls: SourceUrls, ttl: Duration) -> DocsCache {
    let mut config = DocsConfig::new(dir);
    config.urls = urls;
    config.ttl = ttl;
    config.timeout = Duration::from_millis(700);
    config.connect_timeout = Duration::from_millis(700);
    DocsCache::new(config, Store::open(dir).unwrap()).unwrap()
}

/// A loopback URL nothing listens on.
fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/llms.txt")
}

const DAY: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn etag_304_and_force() {
    let host = DocsHost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_with(dir.path(), urls(&host), DAY);
    let one = SourceSel::One(Source::Pipelines);

    let first = cache.fetch(one, false).await.unwrap().sources.remove(0);
    assert!(first.changed && !first.stale && first.diff.is_none());
    assert_eq!(first.version, Some(1));
    assert_eq!(
        first.etag.as_deref(),
        Some(host.etag(Doc::Pipelines).as_str())
    );
    assert!(first.outline.iter().any(|e| e.id == "cog/outputs"));

    let second = cache.fetch(one, false).await.unwrap().sources.remove(0);
    assert!(!second.changed && !second.stale);
    assert_eq!(second.version, Some(1));
    assert_eq!(host.not_modified(Doc::Pipelines), 1);
    assert_eq!(host.full_responses(Doc::Pipelines), 1);

    let forced = cache.fetch(one, true).await.unwrap().sources.remove(0);
    assert!(!forced.changed, "same body: no new version");
    assert_eq!(host.full_responses(Doc::Pipelines), 2);
    assert_eq!(cache.versions(Source::Pipelines).await.unwrap().len(), 1);
    assert!(
        cache
            .fetch(one, false)
            .await
            .unwrap()
            .to_text()
            .contains("v1 unchanged")
    );
}

#[tokio::test]
async fn changed_version_brings_a_diff_and_new_rules() {
    let host = DocsHost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_with(dir.path(), urls(&host), DAY);
    let report = cache.fetch(SourceSel::All, false).await.unwrap();
    assert_eq!(report.sources.len(), 3);
    let book = cache.rulebook().await.unwrap();
    assert!(matches!(book.origin, RulebookOrigin::Cached { .. }));
    assert_eq!(book.cog_requirement.value, ">=0.15.3");
    assert_eq!(book.python_package("pillow").unwrap().specifier, "==11.3.0");

    host.switch_to_v2();
    let changed = cache
        .fetch(SourceSel::One(Source::Pipelines), false)
        .await
        .unwrap()
        .sources
        .remove(0);
    assert!(changed.changed);
    assert_eq!(changed.version, Some(2));
    let diff = changed.diff.unwrap();
    assert_eq!((diff.from_version, diff.to_version), (1, 2));
    assert_eq!(diff.sections_added, ["runtime/limits"]);
    assert!(diff.sections_removed.is_empty());
    for id in [
        "requirements",
        "replicate-python-library/efficient-model-usage",
        "runtime",
    ] {
        assert!(
            diff.sections_changed.iter().any(|c| c == id),
            "{id} in {:?}",
            diff.sections_changed
        );
    }
    assert!(diff.unified.contains("+numpy<3"));
    assert!(diff.lines_added > 0 && diff.lines_removed > 0);

    let book = cache.rulebook().await.unwrap();
    assert_eq!(book.cog_requirement.value, ">=0.16.0");

    let again = cache
        .diff(Source::Pipelines, Some(1), Some(2))
        .await
        .unwrap();
    assert_eq!(again.sections_added, diff.sections_added);
    let default = cache.diff(Source::Pipelines, None, None).await.unwrap();
    assert_eq!((default.from_version, default.to_version), (1, 2));
    assert!(matches!(
        cache.diff(Source::Pipelines, Some(1), Some(9)).await,
        Err(DocsError::NoSuchVersion { version: 9, .. })
    ));
    assert!(matches!(
        cache.diff(Source::Cog, None, None).await,
        Err(DocsError::NotEnoughVersions { count: 1, .. })
    ));
}

#[tokio::test]
async fn host_failures_serve_the_cached_copy_as_stale() {
    let host = DocsHost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_with(dir.path(), urls(&host), DAY);
    let one = SourceSel::One(Source::Pipelines);
    cache.fetch(one, false).await.unwrap();

    for (mode, expect) in [
        (Mode::NotFound, "HTTP 404"),
        (Mode::ServerError, "HTTP 500"),
        (Mode::Hang, "did not answer"),
    ] {
        host.set_mode(Doc::Pipelines, mode);
        let r = cache.fetch(one, false).await.unwrap().sources.remove(0);
        assert!(r.stale, "{mode:?}");
        assert!(
            r.stale_reason.as_deref().unwrap().contains(expect),
            "{:?}",
            r.stale_reason
        );
        assert_eq!(r.version, Some(1));
        // Reads still work, and say the copy is stale.
        let docs = cache.get_docs(GetDocsRequest::default()).await.unwrap();
        assert!(docs.freshness.stale);
        assert!(docs.to_text().contains("STALE"));
    }
    host.set_mode(Doc::Pipelines, Mode::Ok);
    let r = cache.fetch(one, false).await.unwrap().sources.remove(0);
    assert!(!r.stale && r.stale_reason.is_none());
}

#[tokio::test]
async fn no_copy_and_no_host_is_a_clear_error() {
    let host = DocsHost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut u = urls(&host);
    u.pipelines = host.missing_url();
    let cache = cache_with(dir.path(), u, DAY);
    let err = cache
        .fetch(SourceSel::One(Source::Pipelines), false)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DocsError::Unavailable { .. }));
    assert!(
        msg.contains("MCP_PIPELINES_DOCS_URL") && msg.contains("404"),
        "{msg}"
    );

    // With "all", the failing source is reported and the others are fetched.
    let all = cache.fetch(SourceSel::All, false).await.unwrap();
    assert!(
        all.sources[0]
            .error
            .as_deref()
            .unwrap()
            .contains("MCP_PIPELINES_DOCS_URL")
    );
    assert_eq!(all.sources[1].version, Some(1));
    assert!(all.to_text().contains("ERROR"));

    // The rulebook still answers: defaults for the spec, the runtime list when cached.
    let book = cache.rulebook().await.unwrap();
    assert!(book.is_defaults());
    assert_eq!(book.python_package("pillow").unwrap().specifier, "==11.3.0");

    let empty = tempfile::tempdir().unwrap();
    let network_down = cache_with(
        empty.path(),
        SourceUrls {
            pipelines: dead_url(),
            runtime: dead_url(),
            cog: dead_url(),
        },
        DAY,
    );
    let err = network_down
        .get_docs(GetDocsRequest::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("MCP_PIPELINES_DOCS_URL"), "{err}");
    assert!(err.to_string().contains("unreachable"), "{err}");
}

#[tokio::test]
async fn network_down_with_a_cached_copy_serves_it() {
    let host = DocsHost::start().await;
    let dir = tempfile::tempdir().unwrap();
    cache_with(dir.path(), urls(&host), DAY)
        .fetch(SourceSel::All, false)
        .await
        .unwrap();
    host.stop().await;

    // A new server process on the same cache dir, network gone, TTL expired.
    let u = SourceUrls {
        pipelines: dead_url(),
        runtime: dead_url(),
        cog: dead_url(),
    };
    let cache = cache_with(dir.path(), u, Duration::ZERO);
    let docs = cache
        .get_docs(GetDocsRequest {
            section: Some("requirements".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(docs.freshness.stale);
    assert!(
        docs.freshness
            .stale_reason
            .as_deref()
            .unwrap()
            .contains("unreachable")
    );
    assert!(docs.section.unwrap().text.contains("cog >= 0.15.3"));
    let r = cache
        .fetch(SourceSel::One(Source::Pipelines), false)
        .await
        .unwrap();
    assert!(r.sources[0].stale);
    let doc = cache.document(Source::Cog).await.unwrap();
    assert!(doc.body.starts_with("# Cog"));
}

#[tokio::test]
async fn ttl_decides_when_reads_refresh() {
    let host = DocsHost::start().await;
    let dir = tempfile::tempdir().unwrap();
    // Nothing cached: the first read fetches.
    let cache = cache_with(dir.path(), urls(&host), DAY);
    cache.get_docs(GetDocsRequest::default()).await.unwrap();
    assert_eq!(host.requests(Doc::Pipelines), 1);
    cache.get_docs(GetDocsRequest::default()).await.unwrap();
    assert_eq!(
        host.requests(Doc::Pipelines),
        1,
        "fresh within the TTL: no request"
    );

    let expired = cache_with(dir.path(), urls(&host), Duration::ZERO);
    let docs = expired.get_docs(GetDocsRequest::default()).await.unwrap();
    assert_eq!(host.requests(Doc::Pipelines), 2);
    assert_eq!(
        host.not_modified(Doc::Pipelines),
        1,
        "the refresh was conditional"
    );
    assert!(!docs.freshness.stale);
}

#[tokio::test]
async fn get_docs_outline_section_search_and_caps() {
    let host = DocsHost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_with(dir.path(), urls(&host), DAY);

    let outline = cache.get_docs(GetDocsRequest::default()).await.unwrap();
    let entries = outline.outline.as_ref().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.id == "runtime/using-cog-secret-for-api-authentication")
    );
    assert!(!outline.truncated);
    assert_eq!(outline.freshness.version, 1);
    assert!(outline.to_text().contains("cog/outputs — Outputs"));

    let section = cache
        .get_docs(GetDocsRequest {
            section: Some("cog/outputs".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let s = section.section.as_ref().unwrap();
    assert!(s.text.starts_with("### Outputs") && s.text.contains("def run() -> Output:"));
    assert!(!section.truncated);

    let capped = cache
        .get_docs(GetDocsRequest {
            section: Some("cog".into()),
            max_chars: Some(300),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(capped.truncated);
    let s = capped.section.as_ref().unwrap();
    assert!(s.text.chars().count() <= 300);
    assert!(s.total_chars > 300);
    let note = capped.note.as_deref().unwrap();
    assert!(
        note.contains("cog/types") && note.contains("max_chars="),
        "{note}"
    );

    let hits = cache
        .get_docs(GetDocsRequest {
            query: Some("secret api key".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let hits_list = hits.hits.as_ref().unwrap();
    assert_eq!(
        hits_list[0].id,
        "runtime/using-cog-secret-for-api-authentication"
    );
    assert!(
        hits.to_text()
            .contains("1. runtime/using-cog-secret-for-api-authentication")
    );

    let scoped = cache
        .get_docs(GetDocsRequest {
            section: Some("cog".into()),
            query: Some("secret".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(scoped.hits.unwrap().iter().all(|h| h.id.starts_with("cog")));

    let unknown = cache
        .get_docs(GetDocsRequest {
            section: Some("outputs".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("cog/outputs"), "{unknown}");

    let runtime = cache
        .get_docs(GetDocsRequest {
            source: Some(Source::Runtime),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(runtime.freshness.source, Source::Runtime);
}

#[tokio::test]
async fn results_serialize_and_have_schemas() {
    let host = DocsHost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_with(dir.path(), urls(&host), DAY);
    let report = cache
        .fetch(SourceSel::One(Source::Pipelines), false)
        .await
        .unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["sources"][0]["source"], "pipelines");
    let schema =
        serde_json::to_value(schemars::schema_for!(pipelines_docs_cache::GetDocsResult)).unwrap();
    assert!(
        schema
            .to_string()
            .contains("How current the cached document is")
    );
    let _ = schemars::schema_for!(pipelines_docs_cache::FetchReport);
    let _ = schemars::schema_for!(pipelines_docs_cache::Rulebook);
    let _ = schemars::schema_for!(pipelines_docs_cache::DocDiff);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_readers_of_expired_docs_make_one_fetch() {
    let host = DocsHost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_with(dir.path(), urls(&host), DAY);
    // An expired copy: checked two days ago, different body (no validators: a full GET).
    cache
        .store()
        .put_version(&pipelines_docs_cache::NewVersion {
            source: "pipelines",
            url: &host.url(Doc::Pipelines),
            body: "# Old\n\nold text\n",
            fetched_at: "2020-01-01T00:00:00Z",
            etag: None,
            last_modified: None,
        })
        .unwrap();
    let readers = (0..8).map(|_| {
        let cache = cache.clone();
        tokio::spawn(async move {
            cache
                .get_docs(GetDocsRequest::default())
                .await
                .unwrap()
                .freshness
        })
    });
    let seen = futures_join(readers).await;
    assert_eq!(
        host.requests(Doc::Pipelines),
        1,
        "one fetch for all readers"
    );
    assert!(seen.iter().all(|f| f.version == 2 && !f.stale), "{seen:?}");
}

async fn futures_join<T>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks.collect::<Vec<_>>() {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_readers_share_one_failed_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let host = DocsHost::start().await;
    // The host hangs (700 ms timeout): every reader arrives while the first one waits.
    host.set_mode(Doc::Pipelines, Mode::Hang);
    let cache = cache_with(dir.path(), urls(&host), DAY);
    let readers = (0..6).map(|_| {
        let cache = cache.clone();
        tokio::spawn(async move { cache.get_docs(GetDocsRequest::default()).await.is_err() })
    });
    let failed = futures_join(readers).await;
    assert!(failed.iter().all(|f| *f));
    assert_eq!(
        host.requests(Doc::Pipelines),
        1,
        "one attempt, shared by all readers"
    );
}
