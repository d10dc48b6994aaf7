//! Error paths: 401s, rate limits and server errors (retried, bounded), an unreachable or
//! slow network.

use std::time::Duration;

use pipelines_docs_cache::Store;
use pipelines_test_fakes::replicate::Fault;
use pipelines_tools::schema::{ReplicateClient, ReplicateConfig, SchemaError};

use crate::{TOKEN, config, dead_base_url, one, setup};

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
