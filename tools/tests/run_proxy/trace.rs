//! The trace of model calls: a chain call by call, parallel creates overlapping, and calls
//! the API refuses (422) traced as failed, with mocks refusing the same.

use std::time::Duration;

use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::run_local::{CancellationToken, RunInputs, RunRequest, run_locally};
use serde_json::json;

use crate::{REAL_TOKEN, config, fixture, inputs, mocked, overlap, schemas};

#[tokio::test]
async fn a_two_model_chain_is_traced_call_by_call() {
    let fake = FakeReplicate::start().await;
    let config = config(&fake, Some(REAL_TOKEN));
    let out = tempfile::tempdir().unwrap();
    let mut request = RunRequest::new(fixture("chain"), inputs(json!({"prompt": "a red fox"})));
    request.output_dir = Some(out.path().to_path_buf());
    let result = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.status.as_str(), "succeeded", "{}", result.to_text());
    let calls = &result.calls;
    assert_eq!(calls.len(), 2, "{calls:#?}");

    let draw = &calls[0];
    assert_eq!(draw.model, "acme/pixel-forge");
    assert_eq!(
        draw.version.as_deref(),
        Some(fake.version_ids("acme/pixel-forge")[0].as_str())
    );
    assert!(!draw.mocked);
    assert_eq!(
        draw.inputs,
        json!({"prompt": "a red fox", "num_outputs": 1})
    );
    assert_eq!(draw.status.as_str(), "succeeded");
    assert_eq!(draw.error, None);
    let output = draw.output.as_ref().unwrap();
    assert_eq!(output["kind"], "files");
    assert_eq!(output["count"], 1);
    assert_eq!(output["files"][0]["content_type"], "image/png");
    // Upstream output files are sized too (a HEAD of each URL at the end of the run).
    assert!(
        output["files"][0]["size"].as_u64().is_some_and(|s| s > 0),
        "{output}"
    );
    let drawn_url = output["files"][0]["url"].as_str().unwrap().to_owned();
    assert!(drawn_url.starts_with(&fake.base_url), "{drawn_url}");
    assert!(
        draw.logs
            .as_deref()
            .unwrap_or("")
            .contains("drawing a red fox"),
        "{draw:#?}"
    );

    let enlarge = &calls[1];
    assert_eq!(enlarge.model, "acme/upscale.x2");
    assert!(!enlarge.mocked);
    // The first model's file went in as its URL, shown as that file (as for mocked files).
    assert_eq!(enlarge.inputs["scale"], 2, "{enlarge:#?}");
    let image = &enlarge.inputs["image"];
    assert_eq!(image["url"], drawn_url.as_str(), "{image}");
    assert_eq!(image["content_type"], "image/png", "{image}");
    assert_eq!(image["size"], output["files"][0]["size"], "{image}");
    assert!(
        image["file"].as_str().is_some_and(|f| !f.is_empty()),
        "{image}"
    );
    assert_eq!(enlarge.status.as_str(), "succeeded");
    assert_eq!(enlarge.output.as_ref().unwrap()["kind"], "files");

    // Times: relative to the run, in order, the chain sequential.
    let draw_end = draw.ended_ms.unwrap();
    assert!(draw.started_ms <= draw_end);
    assert!(draw_end <= enlarge.started_ms, "{calls:#?}");
    assert!(enlarge.started_ms <= enlarge.ended_ms.unwrap());
    assert!(enlarge.ended_ms.unwrap() <= result.timings.total_ms);

    let text = result.to_text();
    assert!(text.contains("model calls (2):"), "{text}");
    assert!(
        text.contains("acme/pixel-forge") && text.contains("acme/upscale.x2"),
        "{text}"
    );
}

#[tokio::test]
async fn three_parallel_creates_overlap_in_the_trace() {
    let fake = FakeReplicate::start().await;
    fake.set_delay(Duration::from_millis(60));
    let config = config(&fake, Some(REAL_TOKEN));
    let request = RunRequest::new(fixture("parallel"), RunInputs::new());
    let result = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.status.as_str(), "succeeded", "{}", result.to_text());
    assert_eq!(result.output, json!("call 0 | call 1 | call 2"));
    let calls = &result.calls;
    assert_eq!(calls.len(), 3, "{calls:#?}");
    for (i, call) in calls.iter().enumerate() {
        assert_eq!(call.inputs, json!({"text": format!("call {i}")}));
        assert_eq!(
            call.output.as_ref().unwrap()["preview"],
            format!("call {i}")
        );
    }
    assert!(
        overlap(&calls[0], &calls[1])
            && overlap(&calls[1], &calls[2])
            && overlap(&calls[0], &calls[2]),
        "{calls:#?}"
    );
}

/// A call the API refuses (422) is in the trace as failed, with what the API said; a mock
/// checks inputs against the schema the same way, so it fails where the real call would.
#[tokio::test]
async fn refused_calls_are_traced_and_mocks_refuse_what_the_api_refuses() {
    let fake = FakeReplicate::start().await;
    let schemas = schemas(&fake, &["acme/echo-text"]).await;
    let config = config(&fake, Some(REAL_TOKEN));
    let upstream = run_locally(
        RunRequest::new(fixture("refused"), RunInputs::new()),
        &config,
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(upstream.status.as_str(), "failed", "{}", upstream.to_text());
    assert_eq!(upstream.calls.len(), 1, "{:#?}", upstream.calls);
    let call = &upstream.calls[0];
    assert_eq!(call.model, "acme/echo-text");
    assert!(!call.mocked);
    assert_eq!(call.status.as_str(), "failed");
    assert_eq!(call.inputs, json!({"text": "hello", "repeat": null}));
    let error = call.error.as_deref().unwrap();
    assert!(
        error.contains("HTTP 422") && error.contains("input.repeat"),
        "{error}"
    );
    assert!(call.ended_ms.is_some());
    assert!(
        upstream.to_text().contains("error: Replicate refused"),
        "{}",
        upstream.to_text()
    );

    let mut request = RunRequest::new(fixture("refused"), RunInputs::new());
    request.mocks = mocked(json!({"acme/echo-text": "hello"}));
    request.mocks.schemas = schemas.clone();
    let mocked_run = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(
        mocked_run.status.as_str(),
        "failed",
        "{}",
        mocked_run.to_text()
    );
    let call = &mocked_run.calls[0];
    assert!(call.mocked && call.status.as_str() == "failed", "{call:#?}");
    let error = call.error.as_deref().unwrap();
    assert!(
        error.contains("Input validation failed") && error.contains("input.repeat"),
        "{error}"
    );
    let said = mocked_run.error.as_deref().unwrap_or("");
    assert!(
        said.contains("repeat") && said.contains("raised at main.py line 12, in run"),
        "the pipeline's error carries the API's words and the pipeline's line: {said}"
    );
    assert!(
        !call.error.as_deref().unwrap().contains('\n'),
        "one line in the trace: {call:#?}"
    );

    // Given a valid value, the same mock answers.
    let mut request = RunRequest::new(fixture("refused"), inputs(json!({"repeat": 2})));
    request.mocks = mocked(json!({"acme/echo-text": "hello hello"}));
    request.mocks.schemas = schemas;
    let fine = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(fine.output, json!("hello hello"), "{}", fine.to_text());
    assert_eq!(fine.calls[0].inputs, json!({"text": "hello", "repeat": 2}));
}
