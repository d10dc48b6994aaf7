//! Token isolation: the child never sees the real token while upstream gets it on every
//! request, and an unmocked model without a token fails before anything runs.

use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::run_local::{CancellationToken, RunError, RunInputs, RunRequest, run_locally};
use serde_json::json;

use crate::{REAL_TOKEN, config, fixture, mocked};

#[tokio::test]
async fn the_child_never_sees_the_real_token_but_upstream_gets_it_on_every_request() {
    let fake = FakeReplicate::start().await;
    fake.require_token(Some(REAL_TOKEN));
    let mut config = config(&fake, Some(REAL_TOKEN));
    // Even a token handed to the run's environment does not pass.
    config
        .extra_env
        .push(("REPLICATE_API_TOKEN".into(), REAL_TOKEN.into()));
    let request = RunRequest::new(fixture("secrets"), RunInputs::new());
    let result = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.status.as_str(), "succeeded", "{}", result.to_text());
    let seen = result.output.as_str().unwrap();
    assert!(seen.contains("echo=hello"), "{seen}");
    assert!(
        !seen.contains(REAL_TOKEN),
        "the real token reached the pipeline"
    );
    // What the child got instead: a per-run token, in the environment and the cog context.
    let env_token = seen
        .lines()
        .find_map(|l| l.strip_prefix("REPLICATE_API_TOKEN="))
        .unwrap();
    assert!(env_token.starts_with("r8_run_"), "{env_token}");
    assert!(seen.contains(&format!("context={env_token}")), "{seen}");
    let requests = fake.requests_to("/v1/");
    assert!(requests.len() >= 4, "{requests:#?}");
    for r in &requests {
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {REAL_TOKEN}").as_str()),
            "{} {}",
            r.method,
            r.path
        );
    }
    assert_eq!(result.calls.len(), 1);
    assert_eq!(result.calls[0].status.as_str(), "succeeded");
}

#[tokio::test]
async fn an_unmocked_model_without_a_token_fails_before_anything_runs() {
    let fake = FakeReplicate::start().await;
    let config = config(&fake, None);
    let mut request = RunRequest::new(fixture("branchy"), RunInputs::new());
    request.mocks = mocked(json!({"acme/chatter-3b": "safe"}));
    request.mocks.models = vec!["acme/chatter-3b".into(), "acme/echo-text".into()];
    let err = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(err, RunError::Mocks { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("acme/echo-text")
            && text.contains("`mocks`")
            && text.contains("REPLICATE_API_TOKEN"),
        "{text}"
    );
    assert!(fake.requests().is_empty());
}
