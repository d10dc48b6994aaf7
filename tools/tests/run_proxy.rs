//! The run's Replicate proxy, with real parts: cog's HTTP server and replicate-python in a
//! cached venv (shared with `run_local.rs`), the fake Replicate API behind the proxy.
//! Token isolation, the trace of model calls, mocks, and cancellation of upstream work.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::run_local::{
    CancellationToken, MockSchema, Mocks, ModelCall, PythonSearch, RunConfig, RunError, RunInputs,
    RunRequest, run_locally,
};
use serde_json::{Value, json};

const REAL_TOKEN: &str = "r8_real_token_never_in_the_child_0123";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/run_local")
        .join(name)
}

fn config(fake: &FakeReplicate, token: Option<&str>) -> RunConfig {
    let mut config = RunConfig::new(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/run-local-cache"),
        vec!["cog==0.15.3".into(), "replicate==1.1.0b3".into()],
    );
    config.python = PythonSearch::from_env(None);
    config.timeout = Duration::from_secs(180);
    config.replicate_base_url = Some(fake.base_url.clone());
    config.replicate_api_token = token.map(str::to_owned);
    config.extra_env = vec![("REPLICATE_POLL_INTERVAL".into(), "0".into())];
    config
}

fn inputs(value: Value) -> RunInputs {
    value.as_object().unwrap().clone()
}

/// The schemas of fixture models as the schema cache would hold them.
async fn schemas(
    fake: &FakeReplicate,
    models: &[&str],
) -> std::collections::HashMap<String, MockSchema> {
    models
        .iter()
        .map(|model| {
            let (version, openapi) = fake.latest_version(model).expect("a fixture model");
            let schema = MockSchema::from_openapi(Some(version), openapi, None);
            ((*model).to_owned(), schema)
        })
        .collect()
}

/// Sends a request and reads its JSON answer.
trait JsonOf {
    async fn json_of(self) -> Value;
}

impl JsonOf for reqwest::RequestBuilder {
    async fn json_of(self) -> Value {
        self.send().await.unwrap().json().await.unwrap()
    }
}

fn overlap(a: &ModelCall, b: &ModelCall) -> bool {
    a.started_ms < b.ended_ms.unwrap() && b.started_ms < a.ended_ms.unwrap()
}

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

fn mocked(outputs: Value) -> Mocks {
    Mocks {
        outputs: outputs.as_object().unwrap().clone().into_iter().collect(),
        latency_ms: Some(50),
        ..Mocks::default()
    }
}

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
