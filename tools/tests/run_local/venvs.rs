//! The Python and the venvs a run needs: a missing Python is a clear error, concurrent runs
//! share one venv, and cog ≥ 0.17 runs on coglet.

use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::run_local::{
    CancellationToken, PythonSearch, RunError, RunRequest, run_locally,
};
use serde_json::json;

use crate::{CONTEXT_TOKEN, config, fixture, inputs, messages, recorder};

#[tokio::test]
async fn a_missing_python_is_a_clear_error_naming_what_was_tried() {
    let empty = tempfile::tempdir().unwrap();
    let mut config = config();
    config.python = PythonSearch {
        explicit: None,
        path_var: Some(empty.path().as_os_str().to_owned()),
        pyenv_root: Some(empty.path().join("pyenv")),
        home: Some(empty.path().to_path_buf()),
    };
    let request = RunRequest::new(fixture("trivial"), inputs(json!({"word": "x"})));
    let err = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, RunError::PythonNotFound { .. }), "{text}");
    for tried in [
        "python3.13: not on PATH",
        "python3.12: not on PATH",
        "python3: not on PATH",
        "versions/*/bin/python3",
    ] {
        assert!(text.contains(tried), "{text}");
    }
    assert!(text.contains("MCP_PIPELINES_PYTHON"), "{text}");

    config.python = PythonSearch {
        explicit: Some("/nonexistent/python3".into()),
        ..PythonSearch::default()
    };
    let request = RunRequest::new(fixture("trivial"), inputs(json!({"word": "x"})));
    let text = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("/nonexistent/python3 (MCP_PIPELINES_PYTHON): cannot run"),
        "{text}"
    );
}

#[tokio::test]
async fn concurrent_runs_share_one_venv() {
    let config = config();
    let a = RunRequest::new(fixture("trivial"), inputs(json!({"word": "a"})));
    let b = RunRequest::new(fixture("trivial"), inputs(json!({"word": "b"})));
    let (ra, rb) = tokio::join!(
        run_locally(a, &config, None, CancellationToken::new()),
        run_locally(b, &config, None, CancellationToken::new())
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!((ra.output, rb.output), (json!("a a"), json!("b b")));
    assert_eq!(ra.venv.path, rb.venv.path);
}

/// cog ≥ 0.17 (the Rust coglet server) needs `COG_PREDICT_TYPE_STUB` and the venv's bin on
/// PATH. Builds a second venv (cog 0.23.1) in the shared cache, once per machine.
#[tokio::test]
async fn cog_0_17_and_later_run_on_coglet_with_the_context_token() {
    let fake = FakeReplicate::start().await;
    let mut config = config();
    config.replicate_base_url = Some(fake.base_url.clone());
    config.replicate_api_token = Some(CONTEXT_TOKEN.into());
    config.extra_env = vec![("REPLICATE_POLL_INTERVAL".into(), "0".into())];
    let (progress, seen) = recorder();
    let request = RunRequest::new(
        fixture("modern"),
        inputs(json!({"text": "ping", "times": 2})),
    );
    let result = run_locally(request, &config, Some(progress), CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.status.as_str(), "succeeded", "{}", result.to_text());
    assert_eq!(result.venv.cog_version, "0.23.1");
    // The schema composed from cog's inspector (cog >= 0.17) was written.
    assert!(
        !result.warnings.iter().any(|w| w.contains("openapi_schema")),
        "{:?}",
        result.warnings
    );
    assert_eq!(result.output, json!("pingping"));
    assert!(
        messages(&seen).iter().any(|m| m == "echoing ping"),
        "{:#?}",
        messages(&seen)
    );
    let calls = fake.requests_to("/v1/");
    assert!(!calls.is_empty());
    assert!(
        calls
            .iter()
            .all(|c| c.authorization.as_deref() == Some(&format!("Bearer {CONTEXT_TOKEN}")))
    );
}
