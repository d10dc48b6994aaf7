//! Fetching schemas: latest vs pinned, unknown versions, versionless models, concurrent
//! batches in order, invalid and missing references.

use std::time::Duration;

use pipelines_tools::schema::{SchemaError, SchemaReport};

use crate::{TOKEN, one, refs, setup};

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
