//! `fetch_model_schemas` and `search_models` against the fake Replicate API: latest vs
//! pinned, versionless, concurrency, caching, and every error path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use pipelines_docs_cache::Store;
use pipelines_test_fakes::replicate::{FakeReplicate, Fault};
use pipelines_tools::schema::{
    ModelRef, ModelSchema, ReplicateClient, ReplicateConfig, SchemaError, SchemaReport,
};

const TOKEN: &str = "r8_TESTtoken_do_not_leak_123";

struct Setup {
    fake: FakeReplicate,
    client: ReplicateClient,
    _dir: tempfile::TempDir,
    store: Store,
}

fn config(base_url: &str) -> ReplicateConfig {
    ReplicateConfig {
        timeout: Duration::from_secs(10),
        ..ReplicateConfig::default()
    }
    .with_base_url(base_url)
    .with_token(Some(TOKEN))
}

async fn setup() -> Setup {
    let fake = FakeReplicate::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let client = ReplicateClient::new(config(&fake.base_url), store.clone()).unwrap();
    Setup {
        fake,
        client,
        _dir: dir,
        store,
    }
}

fn refs(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

async fn one(s: &Setup, reference: &str) -> Result<ModelSchema, SchemaError> {
    s.client.fetch_model_schema(reference, false).await
}

/// A base URL where nothing listens (a port we bound and released).
fn dead_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn latest_schema_of_a_versioned_model() {
    let s = setup().await;
    let schema = one(&s, "acme/echo-text").await.unwrap();
    let ids = s.fake.version_ids("acme/echo-text");
    assert_eq!(schema.model, "acme/echo-text");
    assert_eq!(schema.version.as_deref(), Some(ids[0].as_str()));
    assert!(!schema.from_cache);
    assert_eq!(
        schema.signature,
        "def echo_text(\n    text: str,\n    repeat: int = 1,\n    uppercase: bool = False,\n    separator: str = \" \"\n) -> str: ..."
    );
    let paths: Vec<String> = s.fake.requests().into_iter().map(|r| r.path).collect();
    assert!(paths.contains(&"/v1/models/acme/echo-text".to_owned()));
    assert!(paths.contains(&"/v1/models/acme/echo-text/versions".to_owned()));
    // The token travels in the Authorization header, as a bearer token.
    assert!(
        s.fake
            .requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")))
    );
}

#[tokio::test]
async fn pinned_version_uses_the_versions_endpoint() {
    let s = setup().await;
    let ids = s.fake.version_ids("acme/echo-text");
    let old = &ids[1];
    let schema = one(&s, &format!("acme/echo-text:{old}")).await.unwrap();
    assert_eq!(schema.version.as_deref(), Some(old.as_str()));
    assert_eq!(schema.inputs.len(), 2, "the old version has two inputs");
    let paths: Vec<String> = s.fake.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, [format!("/v1/models/acme/echo-text/versions/{old}")]);

    // Pinned and latest are cached apart.
    let latest = one(&s, "acme/echo-text").await.unwrap();
    assert_eq!(latest.inputs.len(), 4);
    assert!(!latest.from_cache);
}

#[tokio::test]
async fn unknown_version_is_actionable() {
    let s = setup().await;
    let err = one(&s, "acme/echo-text:0000abc").await.unwrap_err();
    assert_eq!(
        err,
        SchemaError::VersionNotFound {
            model: "acme/echo-text".into(),
            version: "0000abc".into()
        }
    );
    assert!(err.to_string().contains("drop \":0000abc\""));
}

#[tokio::test]
async fn versionless_model_has_no_version() {
    let s = setup().await;
    let schema = one(&s, "acme/quick-caption").await.unwrap();
    assert_eq!(schema.version, None);
    assert_eq!(
        schema.hint,
        "def quick_caption_hint(\n    *,\n    image: Path,\n    max_words: int = 30,\n    style: str | None = None\n) -> str: ..."
    );
    assert!(schema.to_text().contains("versionless"));
}

#[tokio::test]
async fn batch_is_concurrent_and_in_order() {
    let s = setup().await;
    s.fake.set_delay(Duration::from_millis(300));
    let batch = refs(&[
        "acme/echo-text",
        "acme/chatter-3b",
        "acme/pixel-forge",
        "acme/quick-caption",
        "acme/scene-inspector",
        "acme/upscale.x2",
        "acme/missing",
        "not a ref",
    ]);
    let results = s.client.fetch_model_schemas(&batch, false).await;
    assert_eq!(results.len(), batch.len());
    for (reference, result) in batch.iter().zip(&results).take(6) {
        assert_eq!(&result.as_ref().unwrap().model, reference);
    }
    assert!(matches!(results[6], Err(SchemaError::ModelNotFound { .. })));
    assert!(matches!(results[7], Err(SchemaError::InvalidRef { .. })));
    // Seven models × (model + versions) requests were all in the fake at once.
    assert!(
        s.fake.max_in_flight() >= 7,
        "requests were not concurrent: max in flight {}",
        s.fake.max_in_flight()
    );

    // More than two models: brief text by default.
    let report = SchemaReport::new(&batch, results, None, true);
    assert!(report.has_errors());
    assert!(!report.all_failed());
    let text = report.to_text();
    assert!(text.contains(
        "acme/missing: error: no model acme/missing on Replicate (404); try search_models"
    ));
    assert!(text.contains("pixel_forge(prompt: str, aspect_ratio: str=\"1:1\""));
}

#[tokio::test]
async fn invalid_refs_fail_without_any_request() {
    let s = setup().await;
    let bad = refs(&[
        "",
        "owner",
        "a/b/c",
        "acme/echo text",
        "../x",
        "acme/x;rm",
        "acme/x:",
    ]);
    let results = s.client.fetch_model_schemas(&bad, true).await;
    for (reference, result) in bad.iter().zip(results) {
        match result {
            Err(SchemaError::InvalidRef { reference: r, .. }) => assert_eq!(&r, reference),
            other => panic!("{reference:?}: expected InvalidRef, got {other:?}"),
        }
    }
    assert!(s.fake.requests().is_empty());
    let msg = SchemaError::InvalidRef {
        reference: "owner".into(),
        reason: "it has no '/' between owner and name".into(),
    }
    .to_string();
    assert!(msg.contains("\"owner/name\""), "{msg}");
}

#[tokio::test]
async fn missing_model_suggests_search() {
    let s = setup().await;
    let err = one(&s, "acme/nope").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "no model acme/nope on Replicate (404); try search_models to find the right owner/name"
    );
}

#[tokio::test]
async fn unauthorized_without_and_with_a_bad_token() {
    let s = setup().await;
    s.fake.require_token(Some("r8_the_right_one"));
    let err = one(&s, "acme/echo-text").await.unwrap_err();
    assert!(matches!(err, SchemaError::Unauthorized { status: 401, .. }));
    let text = err.to_string();
    assert!(text.contains("set REPLICATE_API_TOKEN"), "{text}");
    assert!(text.contains("the configured token was rejected"), "{text}");
    assert!(!text.contains(TOKEN));

    let anonymous =
        ReplicateClient::new(config(&s.fake.base_url).with_token(None), s.store.clone()).unwrap();
    let before = s.fake.requests().len();
    let err = anonymous
        .fetch_model_schema("acme/echo-text", false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no token is configured"), "{err}");
    // No token → no Authorization header at all.
    assert!(
        s.fake.requests()[before..]
            .iter()
            .all(|r| r.authorization.is_none())
    );
}

#[tokio::test]
async fn rate_limit_is_retried_after_the_servers_delay() {
    let s = setup().await;
    s.fake.inject(
        Fault::status(429)
            .retry_after("1")
            .on_path("/v1/models/acme/chatter-3b/versions/"),
    );
    let id = s.fake.version_ids("acme/chatter-3b")[0].clone();
    let schema = one(&s, &format!("acme/chatter-3b:{id}")).await.unwrap();
    assert_eq!(schema.version.as_deref(), Some(id.as_str()));
    let attempts = s.fake.requests();
    assert_eq!(attempts.len(), 2, "one 429, then one success");
    let waited = attempts[1].at.duration_since(attempts[0].at);
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
}

#[tokio::test]
async fn rate_limit_retries_are_bounded() {
    let s = setup().await;
    s.fake.inject(
        Fault::status(429)
            .times(10)
            .retry_after("0")
            .on_path("/v1/models/acme/upscale.x2/versions/"),
    );
    let id = s.fake.version_ids("acme/upscale.x2")[0].clone();
    let err = one(&s, &format!("acme/upscale.x2:{id}")).await.unwrap_err();
    assert_eq!(
        err,
        SchemaError::RateLimited {
            retry_after_secs: Some(0)
        }
    );
    assert_eq!(s.fake.requests().len(), 4, "first try + 3 retries");

    // A Retry-After beyond the cap is not waited for.
    s.fake.clear_requests();
    s.fake.clear_faults();
    s.fake.inject(Fault::status(429).retry_after("3600"));
    let err = one(&s, &format!("acme/upscale.x2:{id}")).await.unwrap_err();
    assert_eq!(
        err,
        SchemaError::RateLimited {
            retry_after_secs: Some(3600)
        }
    );
    assert_eq!(s.fake.requests().len(), 1);
}

#[tokio::test]
async fn unavailable_503_and_504_are_retried() {
    let s = setup().await;
    let id = s.fake.version_ids("acme/pixel-forge")[0].clone();
    s.fake.inject(Fault::status(503).retry_after("0"));
    s.fake.inject(Fault::status(504));
    let schema = one(&s, &format!("acme/pixel-forge:{id}")).await.unwrap();
    assert_eq!(schema.model, "acme/pixel-forge");
    assert_eq!(s.fake.requests().len(), 3);
}

#[tokio::test]
async fn server_error_is_retried_once_then_reported() {
    let s = setup().await;
    // One 500 (or 502) is retried away.
    let id = s.fake.version_ids("acme/pixel-forge")[0].clone();
    s.fake.inject(Fault::status(502));
    let schema = one(&s, &format!("acme/pixel-forge:{id}")).await.unwrap();
    assert_eq!(schema.model, "acme/pixel-forge");
    assert_eq!(s.fake.requests().len(), 2);
    s.fake.clear_requests();
    // Two in a row are reported after exactly one retry.
    let id = s.fake.version_ids("acme/chatter-3b")[0].clone();
    s.fake.inject(Fault::status(500).times(2));
    let err = one(&s, &format!("acme/chatter-3b:{id}")).await.unwrap_err();
    match &err {
        SchemaError::Api {
            status,
            path,
            detail,
        } => {
            assert_eq!(*status, 500);
            assert!(path.ends_with(&id));
            assert!(detail.contains("simulated"));
        }
        other => panic!("expected Api error, got {other:?}"),
    }
    assert!(err.is_transient());
    assert_eq!(s.fake.requests().len(), 2);
}

#[tokio::test]
async fn network_down_without_cache_is_actionable() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let base = dead_base_url();
    let client = ReplicateClient::new(config(&base), store).unwrap();
    let err = client
        .fetch_model_schema("acme/echo-text", false)
        .await
        .unwrap_err();
    match &err {
        SchemaError::Unreachable { base_url, .. } => assert_eq!(base_url, &base),
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("check the network or REPLICATE_BASE_URL")
    );
}

#[tokio::test]
async fn timeout_is_reported_as_unreachable() {
    let s = setup().await;
    s.fake.set_delay(Duration::from_secs(3));
    let client = ReplicateClient::new(
        ReplicateConfig {
            timeout: Duration::from_millis(200),
            ..config(&s.fake.base_url)
        },
        s.store.clone(),
    )
    .unwrap();
    let err = client
        .fetch_model_schema("acme/echo-text", false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn cache_hit_needs_no_network() {
    let s = setup().await;
    let first = one(&s, "acme/pixel-forge").await.unwrap();
    assert!(!first.from_cache);
    // Writes to the store happen in the background; flush before another client reads.
    s.client.flush().await;
    let base = s.fake.base_url.clone();
    drop(s.fake);

    // Same store, API gone: served from the cache, no request possible.
    let client = ReplicateClient::new(config(&base), s.store.clone()).unwrap();
    let again = client
        .fetch_model_schema("acme/pixel-forge", false)
        .await
        .unwrap();
    assert!(again.from_cache);
    assert_eq!(again.signature, first.signature);
    assert_eq!(again.version, first.version);
}

#[tokio::test]
async fn fresh_cache_entries_are_not_refetched_unless_refresh() {
    let s = setup().await;
    one(&s, "acme/echo-text").await.unwrap();
    s.fake.clear_requests();
    let cached = one(&s, "acme/echo-text").await.unwrap();
    assert!(cached.from_cache);
    assert!(s.fake.requests().is_empty());

    let refreshed = s
        .client
        .fetch_model_schema("acme/echo-text", true)
        .await
        .unwrap();
    assert!(!refreshed.from_cache);
    assert!(!s.fake.requests().is_empty());
}

#[tokio::test]
async fn expired_latest_is_refetched_and_network_down_falls_back_to_it() {
    let s = setup().await;
    let expired = ReplicateClient::new(
        ReplicateConfig {
            latest_ttl: Duration::ZERO,
            ..config(&s.fake.base_url)
        },
        s.store.clone(),
    )
    .unwrap();
    expired
        .fetch_model_schema("acme/chatter-3b", false)
        .await
        .unwrap();
    s.fake.clear_requests();
    let again = expired
        .fetch_model_schema("acme/chatter-3b", false)
        .await
        .unwrap();
    assert!(!again.from_cache, "a stale latest schema is fetched again");
    assert!(!s.fake.requests().is_empty());
    expired.flush().await;

    // Network down: the stale copy is better than nothing, also on refresh.
    let offline = ReplicateClient::new(
        ReplicateConfig {
            latest_ttl: Duration::ZERO,
            ..config(&dead_base_url())
        },
        s.store.clone(),
    )
    .unwrap();
    let stale = offline
        .fetch_model_schema("acme/chatter-3b", true)
        .await
        .unwrap();
    assert!(stale.from_cache);
    assert_eq!(stale.output.python_type, "str");

    // 5xx after retries also falls back; 404 does not.
    s.fake.inject(Fault::status(500).times(8));
    let served = expired
        .fetch_model_schema("acme/chatter-3b", false)
        .await
        .unwrap();
    assert!(served.from_cache);
    s.fake.clear_faults();
}

#[tokio::test]
async fn pinned_versions_are_cached_forever() {
    let s = setup().await;
    let zero_ttl = ReplicateClient::new(
        ReplicateConfig {
            latest_ttl: Duration::ZERO,
            ..config(&s.fake.base_url)
        },
        s.store.clone(),
    )
    .unwrap();
    let id = s.fake.version_ids("acme/scene-inspector")[0].clone();
    let pinned = format!("acme/scene-inspector:{id}");
    zero_ttl.fetch_model_schema(&pinned, false).await.unwrap();
    s.fake.clear_requests();
    let again = zero_ttl.fetch_model_schema(&pinned, false).await.unwrap();
    assert!(again.from_cache);
    assert!(s.fake.requests().is_empty());
}

#[tokio::test]
async fn the_cache_records_fetched_models() {
    let s = setup().await;
    let id = s.fake.version_ids("acme/echo-text")[1].clone();
    let batch = refs(&["acme/pixel-forge", &format!("acme/echo-text:{id}")]);
    for r in s.client.fetch_model_schemas(&batch, false).await {
        r.unwrap();
    }
    let cache = s.client.cache();
    assert!(cache.cached("acme/pixel-forge").unwrap().from_cache);
    // A model fetched only pinned is still known under owner/name.
    assert_eq!(
        cache.cached("acme/echo-text").unwrap().version.as_deref(),
        Some(id.as_str())
    );
    assert!(cache.cached(&format!("acme/echo-text:{id}")).is_some());
    assert!(cache.cached("acme/chatter-3b").is_none());
    let all = cache.all_cached();
    let mut keys: Vec<&String> = all.keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            &format!("acme/echo-text:{id}"),
            &"acme/pixel-forge".to_owned()
        ]
    );
}

#[tokio::test]
async fn token_never_appears_in_any_output() {
    let s = setup().await;
    let mut texts = vec![
        format!("{:?}", s.client),
        format!("{:?}", s.client.config()),
    ];
    let batch = refs(&[
        "acme/echo-text",
        "acme/scene-inspector",
        "acme/nope",
        "bad ref",
    ]);
    let results = s.client.fetch_model_schemas(&batch, false).await;
    for r in &results {
        match r {
            Ok(schema) => {
                texts.push(schema.to_text());
                texts.push(serde_json::to_string(schema).unwrap());
                texts.push(format!("{schema:?}"));
            }
            Err(e) => {
                texts.push(e.to_string());
                texts.push(format!("{e:?}"));
            }
        }
    }
    let report = SchemaReport::new(&batch, results, None, true);
    texts.push(report.to_text());
    texts.push(serde_json::to_string(&report).unwrap());
    for status in [401, 429, 500] {
        s.fake
            .inject(Fault::status(status).times(50).retry_after("0"));
        let e = s
            .client
            .fetch_model_schema("acme/chatter-3b", true)
            .await
            .unwrap_err();
        texts.push(e.to_string());
        texts.push(format!("{e:?}"));
        s.fake.clear_faults();
    }
    let offline = ReplicateClient::new(config(&dead_base_url()), s.store.clone()).unwrap();
    let e = offline
        .fetch_model_schema("acme/upscale.x2", true)
        .await
        .unwrap_err();
    texts.push(e.to_string());
    texts.push(format!("{e:?} {offline:?}"));
    let search = s.client.search_models("image", None).await.unwrap();
    texts.push(search.to_text());
    texts.push(serde_json::to_string(&search).unwrap());
    for text in &texts {
        assert!(!text.contains(TOKEN), "token leaked in: {text}");
        assert!(!text.contains("TESTtoken"), "token leaked in: {text}");
    }
    // …while the fake did receive it.
    assert!(
        s.fake
            .requests()
            .iter()
            .any(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")))
    );
}

#[tokio::test]
async fn search_uses_the_search_endpoint() {
    let s = setup().await;
    let results = s.client.search_models("image", Some(2)).await.unwrap();
    assert_eq!(results.source, "search");
    assert_eq!(results.models.len(), 2);
    assert!(
        results
            .models
            .iter()
            .all(|m| m.reference.starts_with("acme/"))
    );
    assert!(results.models[0].run_count.is_some());
    let req = &s.fake.requests()[0];
    assert_eq!(req.path, "/v1/search");
    assert!(req.query.as_deref().unwrap().contains("query=image"));
    let json = serde_json::to_value(&results).unwrap();
    assert!(json["models"][0]["ref"].is_string());
}

#[tokio::test]
async fn search_falls_back_to_query_models() {
    let s = setup().await;
    s.fake.set_search_enabled(false);
    let results = s.client.search_models("chat", None).await.unwrap();
    assert_eq!(results.source, "models_query");
    assert_eq!(results.models[0].reference, "acme/chatter-3b");
    let methods: Vec<(String, String, Option<String>)> = s
        .fake
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path, r.content_type))
        .collect();
    assert_eq!(methods[1].0, "QUERY");
    assert_eq!(methods[1].1, "/v1/models");
    assert_eq!(methods[1].2.as_deref(), Some("text/plain"));
}

#[tokio::test]
async fn search_errors() {
    let s = setup().await;
    assert_eq!(
        s.client.search_models("  ", None).await.unwrap_err(),
        SchemaError::EmptyQuery
    );
    assert!(s.fake.requests().is_empty());
    let none = s.client.search_models("zebra-unicorn", None).await.unwrap();
    assert!(none.models.is_empty());
    assert!(none.to_text().contains("No models found"));
    s.fake.inject(Fault::status(401));
    let err = s.client.search_models("image", None).await.unwrap_err();
    assert!(matches!(err, SchemaError::Unauthorized { .. }));
}

/// A pinned `owner/name:version` and the latest `owner/name` are cached side by side: each
/// reference gets its own schema, whatever the order they were fetched in, and an uncached
/// pin falls back to the latest.
#[tokio::test]
async fn pinned_and_latest_schemas_do_not_collide() {
    for pinned_first in [true, false] {
        let s = setup().await;
        let ids = s.fake.version_ids("acme/echo-text");
        let latest = s
            .client
            .fetch_model_schema("acme/echo-text", false)
            .await
            .unwrap()
            .version
            .unwrap();
        let old = ids.iter().find(|id| **id != latest).unwrap().clone();
        let pinned = format!("acme/echo-text:{old}");
        let order = if pinned_first {
            [pinned.clone(), "acme/echo-text".to_owned()]
        } else {
            ["acme/echo-text".to_owned(), pinned.clone()]
        };
        for reference in &order {
            s.client.fetch_model_schema(reference, false).await.unwrap();
        }
        let refs: Vec<ModelRef> = order.iter().map(|r| ModelRef::parse(r).unwrap()).collect();
        let schemas = s.client.cache().schemas_for(&refs);
        let version = |r: &str| schemas.get(r).and_then(|s| s.version.clone());
        assert_eq!(version(&pinned).as_deref(), Some(old.as_str()));
        assert_eq!(version("acme/echo-text").as_deref(), Some(latest.as_str()));
        assert_eq!(
            version("acme/echo-text:0000uncached").as_deref(),
            Some(latest.as_str())
        );
        assert_eq!(
            s.client.cache().cached(&pinned).unwrap().version,
            Some(old.clone())
        );
    }
}
