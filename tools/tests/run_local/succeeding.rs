//! Runs that succeed: a trivial pipeline (and the second run reusing its venv), and a chain
//! of models called through the real client with the context token.

use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::run_local::{CancellationToken, RunRequest, run_locally};
use serde_json::json;

use crate::{CONTEXT_TOKEN, config, fixture, inputs, messages, recorder, shared_cache};

#[tokio::test]
async fn trivial_pipeline_runs_and_the_second_run_reuses_the_venv() {
    let config = config();
    let (progress, seen) = recorder();
    let request = RunRequest::new(
        fixture("trivial"),
        inputs(json!({"word": "hello", "times": 3})),
    );
    let first = run_locally(
        request.clone(),
        &config,
        Some(progress),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(first.status.as_str(), "succeeded", "{}", first.to_text());
    assert_eq!(first.output, json!("hello hello hello"));
    assert!(first.files.is_empty());
    assert!(first.venv.path.starts_with(shared_cache()));
    assert_eq!(first.venv.cog_version, "0.15.3");
    // cog's own schema generator (cog <= 0.16) wrote the schema cog checks inputs against.
    assert!(
        !first.warnings.iter().any(|w| w.contains("openapi_schema")),
        "{:?}",
        first.warnings
    );
    assert_eq!(first.runtime.runtime.as_str(), "latest");
    let first_messages = messages(&seen);
    assert!(
        first_messages.iter().any(|m| m == "running the prediction"),
        "{first_messages:#?}"
    );
    assert!(
        first_messages
            .iter()
            .any(|m| m.contains("repeating hello 3 times")),
        "{first_messages:#?}"
    );
    let values: Vec<f64> = seen.lock().unwrap().iter().map(|p| p.progress).collect();
    assert!(values.windows(2).all(|w| w[0] < w[1]), "{values:?}");

    let (progress, seen) = recorder();
    let second = run_locally(request, &config, Some(progress), CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(second.output, json!("hello hello hello"));
    assert!(second.venv.reused);
    assert_eq!(second.venv.path, first.venv.path);
    let second_messages = messages(&seen);
    assert!(
        !second_messages.iter().any(|m| m.starts_with("installing")),
        "{second_messages:#?}"
    );
    assert!(second.to_text().contains("status: succeeded"));
}

#[tokio::test]
async fn chained_models_run_through_the_real_client_with_the_context_token() {
    let fake = FakeReplicate::start().await;
    let mut config = config();
    config.replicate_base_url = Some(fake.base_url.clone());
    config.replicate_api_token = Some(CONTEXT_TOKEN.into());
    // The token must come from the prediction context, not from the environment.
    config.extra_env = vec![
        (
            "REPLICATE_API_TOKEN".into(),
            "r8_env_token_must_not_be_used".into(),
        ),
        ("REPLICATE_POLL_INTERVAL".into(), "0".into()),
    ];
    let out = tempfile::tempdir().unwrap();
    let mut request = RunRequest::new(fixture("chain"), inputs(json!({"prompt": "a red fox"})));
    request.output_dir = Some(out.path().to_path_buf());
    let result = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.status.as_str(), "succeeded", "{}", result.to_text());

    // The file came back as a file, and the output names it.
    assert_eq!(result.files.len(), 1, "{}", result.to_text());
    let file = &result.files[0];
    assert!(file.starts_with(out.path()));
    assert_eq!(result.output, json!(file.display().to_string()));
    let bytes = std::fs::read(file).unwrap();
    assert!(!bytes.is_empty());
    assert!(
        result.logs.contains("drawing: a red fox"),
        "{}",
        result.logs
    );

    // Both models were called, in order, each with the context token.
    let created: Vec<_> = fake.predictions();
    let models: Vec<&str> = created
        .iter()
        .map(|p| p["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        models,
        ["acme/pixel-forge", "acme/upscale.x2"],
        "{created:#?}"
    );
    assert_eq!(created[0]["input"]["prompt"], "a red fox");
    let api_calls = fake.requests_to("/v1/");
    assert!(!api_calls.is_empty());
    for call in &api_calls {
        assert_eq!(
            call.authorization.as_deref(),
            Some(format!("Bearer {CONTEXT_TOKEN}").as_str()),
            "{} {}",
            call.method,
            call.path
        );
    }
}
