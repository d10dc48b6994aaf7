//! `search_models`: the search endpoint, the fallback to `QUERY /v1/models`, and its errors.

use pipelines_test_fakes::replicate::Fault;
use pipelines_tools::schema::SchemaError;

use crate::setup;

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
