//! Stopping a run: past its timeout, or cancelled, it is killed with its grandchildren.

use std::sync::Arc;
use std::time::Duration;

use pipelines_tools::run_local::{
    CancellationToken, Progress, ProgressFn, RunError, RunInputs, RunRequest, run_locally,
};

use crate::{config, inline, live_processes_under, messages, recorder};

#[tokio::test]
async fn a_run_past_the_timeout_is_killed_with_its_grandchildren() {
    let root = tempfile::tempdir().unwrap();
    let mut config = config();
    config.temp_dir = Some(root.path().to_path_buf());
    let mut request = RunRequest::new(".", RunInputs::new());
    request.project = inline("sleepy");
    // Long enough for the server to start and the prediction to begin.
    request.timeout = Some(Duration::from_secs(20));
    let (progress, seen) = recorder();
    let err = run_locally(request, &config, Some(progress), CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, RunError::Timeout { seconds: 20, .. }),
        "{err}"
    );
    assert!(
        messages(&seen).iter().any(|m| m == "sleeping"),
        "{:#?}",
        messages(&seen)
    );
    // Give the kernel a moment to deliver SIGKILL and the reaper to collect.
    let mut left = live_processes_under(root.path());
    for _ in 0..50 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = live_processes_under(root.path());
    }
    assert!(left.is_empty(), "processes left behind: {left:#?}");
}

#[tokio::test]
async fn cancelling_kills_the_run() {
    let root = tempfile::tempdir().unwrap();
    let mut config = config();
    config.temp_dir = Some(root.path().to_path_buf());
    let mut request = RunRequest::new(".", RunInputs::new());
    request.project = inline("sleepy");
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let progress: ProgressFn = Arc::new(move |p: Progress| {
        if p.message == "sleeping" {
            trigger.cancel();
        }
    });
    let err = run_locally(request, &config, Some(progress), cancel)
        .await
        .unwrap_err();
    assert!(matches!(err, RunError::Cancelled), "{err}");
    let mut left = live_processes_under(root.path());
    for _ in 0..50 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = live_processes_under(root.path());
    }
    assert!(left.is_empty(), "processes left behind: {left:#?}");
}
