//! Runs that fail say why: a failing model (error and logs), a pipeline that cannot load, and
//! a raising pipeline (its traceback and where it raised).

use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::run_local::{CancellationToken, RunError, RunInputs, RunRequest, run_locally};
use serde_json::json;

use crate::{CONTEXT_TOKEN, config, fixture, inputs};

#[tokio::test]
async fn a_failing_model_is_a_failed_result_with_error_and_logs() {
    let fake = FakeReplicate::start().await;
    let mut config = config();
    config.replicate_base_url = Some(fake.base_url.clone());
    config.replicate_api_token = Some(CONTEXT_TOKEN.into());
    config.extra_env = vec![("REPLICATE_POLL_INTERVAL".into(), "0".into())];
    let request = RunRequest::new(
        fixture("chain"),
        inputs(json!({"prompt": "FAIL_PREDICTION please"})),
    );
    let result = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.status.as_str(), "failed", "{}", result.to_text());
    let error = result.error.clone().unwrap_or_default();
    assert!(error.contains("simulated failure"), "{}", result.to_text());
    assert!(
        result.logs.contains("drawing: FAIL_PREDICTION please"),
        "{}",
        result.logs
    );
    assert!(result.files.is_empty());
    assert!(result.to_text().contains("status: failed"));
}

#[tokio::test]
async fn a_pipeline_that_cannot_load_reports_why() {
    let request = RunRequest::new(fixture("broken"), inputs(json!({"word": "x"})));
    let err = run_locally(request, &config(), None, CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(err, RunError::ServerStart { .. }), "{err}");
    assert!(
        err.to_string().contains("helper_that_does_not_exist"),
        "{err}"
    );
}

/// cog reports a failed prediction by its message alone; the run adds the traceback to the
/// logs (paths relative to the project) and where it was raised to the error, on the classic
/// cog server and on coglet alike.
#[tokio::test]
async fn a_raising_pipeline_reports_its_traceback_and_where_it_raised() {
    let project = tempfile::tempdir().unwrap();
    for name in ["cog.yaml", "main.py", "helpers.py", "requirements.txt"] {
        std::fs::copy(fixture("raises").join(name), project.path().join(name)).unwrap();
    }
    for requirements in [None, Some("cog==0.23.1\nreplicate==1.1.0b3\n")] {
        if let Some(text) = requirements {
            std::fs::write(project.path().join("requirements.txt"), text).unwrap();
        }
        let request = RunRequest::new(project.path(), RunInputs::new());
        let result = run_locally(request, &config(), None, CancellationToken::new())
            .await
            .unwrap();
        let cog = &result.venv.cog_version;
        assert_eq!(
            result.status.as_str(),
            "failed",
            "cog {cog}: {}",
            result.to_text()
        );
        let error = result.error.clone().unwrap_or_default();
        assert!(
            error.contains("KeyError: 'b'") && error.contains("raised at main.py line 6, in run"),
            "cog {cog}: {error}\nLOGS:\n{}\nHARNESS:\n{}",
            result.logs,
            result.harness_logs
        );
        let logs = &result.logs;
        assert!(
            logs.contains("Traceback (most recent call last):")
                && logs.contains("File \"main.py\", line 6, in run")
                && logs.contains("parsing a=1"),
            "cog {cog}: {logs}"
        );
        assert!(
            !logs.contains("mcp-pipelines-run-"),
            "no temp paths: {logs}"
        );
        // A project module in the middle of the stack is named by its relative path too.
        let nested = RunRequest::new(project.path(), inputs(json!({"text": "novalue"})));
        let nested = run_locally(nested, &config(), None, CancellationToken::new())
            .await
            .unwrap();
        let error = nested.error.clone().unwrap_or_default();
        assert!(
            error.contains("raised at helpers.py line 2, in parse"),
            "cog {cog}: {error}\n{}",
            nested.logs
        );
    }
}
