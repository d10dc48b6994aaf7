//! The API token never appears in any output.

use pipelines_test_fakes::replicate::Fault;
use pipelines_tools::schema::{ReplicateClient, SchemaReport};

use crate::{TOKEN, config, dead_base_url, refs, setup};

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
