//! Mocks: fixed outputs drive both branches of an `if`, auto mocks run a chain offline with
//! real images, and mocked predictions follow the lifecycle over HTTP.

use std::time::Duration;

use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::run_local::{CancellationToken, RunRequest, run_locally};
use serde_json::{Value, json};

use crate::{JsonOf, REAL_TOKEN, config, fixture, inputs, mocked, schemas};

#[tokio::test]
async fn fixed_mocks_drive_both_branches_of_an_if() {
    let fake = FakeReplicate::start().await;
    let schemas = schemas(&fake, &["acme/chatter-3b", "acme/echo-text"]).await;
    let config = config(&fake, None);

    let mut request = RunRequest::new(fixture("branchy"), inputs(json!({"prompt": "a picnic"})));
    request.mocks =
        mocked(json!({"acme/chatter-3b": ["sa", "fe"], "acme/echo-text": "a picnic, echoed"}));
    request.mocks.schemas = schemas.clone();
    request.mocks.models = vec!["acme/chatter-3b".into(), "acme/echo-text".into()];
    let allowed = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(
        allowed.output,
        json!("allowed: a picnic, echoed"),
        "{}",
        allowed.to_text()
    );
    assert_eq!(allowed.calls.len(), 2);
    assert!(
        allowed
            .calls
            .iter()
            .all(|c| c.mocked && c.status.as_str() == "succeeded")
    );
    assert_eq!(
        allowed.calls[0].inputs,
        json!({"prompt": "Answer safe or unsafe: a picnic"})
    );

    let mut request = RunRequest::new(fixture("branchy"), inputs(json!({"prompt": "a heist"})));
    request.mocks = mocked(json!({"acme/chatter-3b": ["unsafe"], "acme/echo-text": "never"}));
    request.mocks.schemas = schemas;
    let refused = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(
        refused.output,
        json!("refused: unsafe"),
        "{}",
        refused.to_text()
    );
    assert_eq!(refused.calls.len(), 1);
    assert!(
        refused
            .to_text()
            .lines()
            .any(|l| l.contains("acme/chatter-3b") && l.contains(" mock ")),
        "{}",
        refused.to_text()
    );
    assert!(fake.requests().is_empty(), "{:#?}", fake.requests());
}

#[tokio::test]
async fn auto_mocks_run_a_chain_offline_with_real_images_and_every_field() {
    let fake = FakeReplicate::start().await;
    let schemas = schemas(
        &fake,
        &[
            "acme/pixel-forge",
            "acme/scene-inspector",
            "acme/chatter-3b",
        ],
    )
    .await;
    let config = config(&fake, None);
    let mut request = RunRequest::new(fixture("autochain"), inputs(json!({"prompt": "a red fox"})));
    request.mocks = mocked(json!({"*": "auto"}));
    request.mocks.latency_ms = None;
    request.mocks.schemas = schemas;
    request.mocks.models = vec![
        "acme/pixel-forge".into(),
        "acme/scene-inspector".into(),
        "acme/chatter-3b".into(),
    ];
    let result = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.status.as_str(), "succeeded", "{}", result.to_text());
    let out: Value = serde_json::from_str(result.output.as_str().unwrap()).unwrap();
    // pixel-forge's `output_format` defaults to webp: a real WebP, as the model would send.
    assert_eq!(out["image"][0], "WEBP", "{out}");
    assert_eq!(out["mask"][0], "PNG", "{out}");
    let report = out["report"].as_object().unwrap();
    let mut keys: Vec<&str> = report.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["answer", "confidence", "mask", "objects"], "{out}");
    assert_eq!(out["text"], "Mock output of acme/chatter-3b.");
    assert_eq!(
        out["token_set"], true,
        "the child still gets a (per-run) token"
    );
    assert_eq!(result.calls.len(), 3);
    for call in &result.calls {
        assert!(
            call.mocked && call.status.as_str() == "succeeded",
            "{call:#?}"
        );
        // The default latency (300 ms) shows in the trace.
        assert!(call.ended_ms.unwrap() - call.started_ms >= 300, "{call:#?}");
    }
    let files = &result.calls[0].output.as_ref().unwrap()["files"][0];
    assert_eq!(files["content_type"], "image/webp");
    assert!(files["size"].as_u64().unwrap() > 100);
    assert!(
        fake.requests().is_empty(),
        "nothing may reach upstream: {:#?}",
        fake.requests()
    );
}

/// The mock lifecycle over HTTP, as any client sees it: polling and `Prefer: wait`,
/// files served with their content type, the run's token required.
#[tokio::test]
async fn mocked_predictions_follow_the_lifecycle_with_polling_and_prefer_wait() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fake = FakeReplicate::start().await;
    let schemas = schemas(&fake, &["acme/upscale.x2"]).await;
    let mut mocks = mocked(json!({"acme/upscale.x2": "auto", "acme/echo-text": "fixed"}));
    mocks.latency_ms = Some(200);
    mocks.schemas = schemas;
    let proxy = pipelines_tools::run_local::proxy::start_for(Some(&fake.base_url), None, &mocks)
        .await
        .unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = proxy.url().to_owned();
    let token = proxy.run_token().to_owned();

    let denied = client
        .get(format!("{base}/v1/models/acme/upscale.x2"))
        .bearer_auth(REAL_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401, "only the run's token is accepted");

    let created: Value = client
        .post(format!("{base}/v1/models/acme/echo-text/predictions"))
        .bearer_auth(&token)
        .json(&json!({"input": {"text": "hi"}}))
        .json_of()
        .await;
    assert_eq!(created["status"], "processing", "{created:#}");
    assert_eq!(created["output"], Value::Null);
    let poll = created["urls"]["get"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let done: Value = client.get(&poll).bearer_auth(&token).json_of().await;
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["output"], "fixed");

    let version = fake.version_ids("acme/upscale.x2")[0].clone();
    let model: Value = client
        .get(format!("{base}/v1/models/acme/upscale.x2"))
        .bearer_auth(&token)
        .json_of()
        .await;
    assert_eq!(model["latest_version"]["id"], version.as_str());
    let waited: Value = client
        .post(format!("{base}/v1/predictions"))
        .bearer_auth(&token)
        .header("Prefer", "wait")
        .json(&json!({"version": version, "input": {"image": "https://example.invalid/a.png"}}))
        .json_of()
        .await;
    assert_eq!(waited["status"], "succeeded", "{waited:#}");
    let file_url = waited["output"].as_str().unwrap();
    let file = client.get(file_url).send().await.unwrap();
    assert_eq!(file.headers()["content-type"], "image/png");
    assert!(file.bytes().await.unwrap().starts_with(b"\x89PNG"));

    let calls = proxy.finish().await;
    assert_eq!(calls.len(), 2);
    assert!(
        calls
            .iter()
            .all(|c| c.mocked && c.status.as_str() == "succeeded"),
        "{calls:#?}"
    );
    assert_eq!(calls[1].model, "acme/upscale.x2");
    assert_eq!(calls[1].version.as_deref(), Some(version.as_str()));
    assert!(fake.requests().is_empty(), "{:#?}", fake.requests());
}
