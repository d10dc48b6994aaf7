//! Ending a run early: a cancelled run cancels its upstream predictions, and a timed-out run
//! still reports its calls.

use std::time::Duration;

use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::run_local::{CancellationToken, RunError, RunInputs, RunRequest, run_locally};

use crate::{REAL_TOKEN, config, fixture};

#[tokio::test]
async fn cancelling_a_run_cancels_its_upstream_predictions() {
    let fake = FakeReplicate::start().await;
    let config = config(&fake, Some(REAL_TOKEN));
    let request = RunRequest::new(fixture("stuck"), RunInputs::new());
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let run = tokio::spawn(async move { run_locally(request, &config, None, trigger).await });
    for _ in 0..600 {
        if !fake.predictions().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        fake.predictions().len(),
        1,
        "the pipeline never created its prediction"
    );
    cancel.cancel();
    let err = run.await.unwrap().unwrap_err();
    assert!(matches!(err, RunError::Cancelled), "{err}");
    let id = fake.predictions()[0]["id"].as_str().unwrap().to_owned();
    let cancels = fake.requests_to(&format!("/v1/predictions/{id}/cancel"));
    assert_eq!(cancels.len(), 1, "{:#?}", fake.requests());
    assert_eq!(
        cancels[0].authorization.as_deref(),
        Some(format!("Bearer {REAL_TOKEN}").as_str())
    );
    assert_eq!(fake.predictions()[0]["status"], "canceled");
}

/// A run killed by its timeout still says which calls it made, and the unfinished one is
/// canceled upstream.
#[tokio::test]
async fn a_timed_out_run_reports_its_calls() {
    let fake = FakeReplicate::start().await;
    let config = config(&fake, Some(REAL_TOKEN));
    let mut request = RunRequest::new(fixture("stuck"), RunInputs::new());
    request.timeout = Some(Duration::from_secs(20));
    let err = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap_err();
    let RunError::Timeout { calls, .. } = &err else {
        panic!("expected a timeout, got {err}");
    };
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(calls[0].model, "acme/echo-text");
    assert_eq!(calls[0].status.as_str(), "canceled", "{calls:#?}");
    let text = err.to_string();
    assert!(
        text.contains("model calls (1):") && text.contains("acme/echo-text"),
        "{text}"
    );
    let id = fake.predictions()[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        fake.requests_to(&format!("/v1/predictions/{id}/cancel"))
            .len(),
        1
    );
}
