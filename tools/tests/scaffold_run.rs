//! Scaffolded pipelines really run: each generated project is written to disk and run on
//! cog's HTTP server with the real replicate client (the local runner, a venv with cog 0.15.3
//! and replicate 1.1.0b3 shared with the runner's tests) against the fake Replicate API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod scaffold_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use pipelines_docs_cache::Rulebook;
use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::run_local::{
    CancellationToken, PythonSearch, RunConfig, RunRequest, RunResult, run_locally,
};
use pipelines_tools::scaffold::{OutputChoice, ScaffoldRequest, apply, scaffold};
use scaffold_support::{image_inputs, request, schemas};
use serde_json::{Value, json};

const TOKEN: &str = "r8_scaffold_run_token";

/// The runner's shared cache, so the venv is built once per machine.
fn shared_cache() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/run-local-cache")
}

/// Exact pins, so the run uses the same venv as the runner's tests.
fn pinned_rulebook() -> Rulebook {
    let mut rb = Rulebook::defaults();
    rb.cog_requirement.value = "==0.15.3".into();
    rb.replicate_requirement.value = "==1.1.0b3".into();
    rb
}

async fn scaffold_and_run(
    req: &ScaffoldRequest,
    inputs: Value,
    fake: &FakeReplicate,
) -> (RunResult, tempfile::TempDir) {
    let plan = scaffold(req, &pinned_rulebook(), &schemas()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    apply(&plan, dir.path(), false, false).unwrap();
    let mut config = RunConfig::new(
        shared_cache(),
        vec!["cog==0.15.3".into(), "replicate==1.1.0b3".into()],
    );
    config.python = PythonSearch::from_env(None);
    config.timeout = Duration::from_secs(180);
    config.replicate_base_url = Some(fake.base_url.clone());
    config.replicate_api_token = Some(TOKEN.into());
    config.extra_env = vec![("REPLICATE_POLL_INTERVAL".into(), "0".into())];
    let mut run = RunRequest::new(dir.path(), inputs.as_object().unwrap().clone());
    run.output_dir = Some(dir.path().join("out"));
    let result = run_locally(run, &config, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.status.as_str(), "succeeded", "{}", result.to_text());
    (result, dir)
}

fn called_models(fake: &FakeReplicate) -> Vec<String> {
    fake.predictions()
        .iter()
        .map(|p| p["model"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn image_then_caption_chains_the_first_file() {
    let fake = FakeReplicate::start().await;
    let req = request(&["acme/pixel-forge", "acme/quick-caption"], None, None);
    let (result, _dir) = scaffold_and_run(&req, json!({"prompt": "a red fox"}), &fake).await;
    assert!(result.output.is_string(), "{}", result.to_text());
    assert_eq!(
        called_models(&fake),
        ["acme/pixel-forge", "acme/quick-caption"]
    );
    let predictions = fake.predictions();
    assert_eq!(predictions[0]["input"]["prompt"], "a red fox");
    // The caption model received the first image (uploaded by the client as a file URL).
    assert!(
        predictions[1]["input"]["image"].is_string(),
        "{predictions:#?}"
    );
}

#[tokio::test]
async fn llm_image_upscale_returns_an_output_object_with_files() {
    let fake = FakeReplicate::start().await;
    let req = request(
        &["acme/chatter-3b", "acme/pixel-forge", "acme/upscale.x2"],
        None,
        Some(OutputChoice::Output),
    );
    let (result, _dir) = scaffold_and_run(&req, json!({"prompt": "a red fox"}), &fake).await;
    let out = result.output.as_object().unwrap();
    assert!(out["text"].is_string());
    assert_eq!(result.files.len(), 2, "{}", result.to_text());
    assert_eq!(
        called_models(&fake),
        ["acme/chatter-3b", "acme/pixel-forge", "acme/upscale.x2"]
    );
    // The language model's answer became the image prompt.
    let predictions = fake.predictions();
    assert_eq!(predictions[1]["input"]["prompt"], out["text"]);
}

#[tokio::test]
async fn optional_inputs_are_sent_only_when_set() {
    let fake = FakeReplicate::start().await;
    let req = request(&["acme/pixel-forge"], Some(image_inputs()), None);
    let (unset, _d1) = scaffold_and_run(&req, json!({"prompt": "a fox"}), &fake).await;
    assert_eq!(unset.files.len(), 1, "{}", unset.to_text());
    let (_set, _d2) = scaffold_and_run(
        &req,
        json!({"prompt": "a fox", "seed": 7, "num_outputs": 2, "aspect_ratio": "16:9"}),
        &fake,
    )
    .await;
    let predictions = fake.predictions();
    assert_eq!(predictions.len(), 2);
    assert!(
        predictions[0]["input"].get("seed").is_none(),
        "{predictions:#?}"
    );
    assert_eq!(predictions[0]["input"]["output_format"], "png");
    assert_eq!(predictions[1]["input"]["seed"], 7);
    assert_eq!(predictions[1]["input"]["num_outputs"], 2);
    assert_eq!(predictions[1]["input"]["aspect_ratio"], "16:9");
}

/// A fan-out (`steps[].over`) really runs: one prediction per value, created in parallel,
/// each output collected with `.output()`.
#[tokio::test]
async fn fan_out_creates_one_prediction_per_value() {
    let fake = FakeReplicate::start().await;
    let req: ScaffoldRequest = serde_json::from_value(json!({
        "name": "three-tones",
        "steps": [{"model": "acme/chatter-3b", "id": "answers",
                   "inputs": {"prompt": {"input": "prompt"}},
                   "over": {"input": "system_prompt",
                            "values": ["Be terse.", "Be poetic.", "Be technical."]}}]
    }))
    .unwrap();
    let (result, _dir) = scaffold_and_run(&req, json!({"prompt": "a red fox"}), &fake).await;
    let predictions = fake.predictions();
    assert_eq!(predictions.len(), 3, "{predictions:#?}");
    let mut tones: Vec<String> = predictions
        .iter()
        .map(|p| p["input"]["system_prompt"].as_str().unwrap().to_string())
        .collect();
    tones.sort();
    assert_eq!(tones, ["Be poetic.", "Be technical.", "Be terse."]);
    assert!(
        predictions
            .iter()
            .all(|p| p["input"]["prompt"] == "a red fox")
    );
    // A list of texts is returned as `list[str]`: the scaffold does not invent a way to
    // combine them.
    let answers = result.output.as_array().unwrap();
    assert_eq!(answers.len(), 3, "{}", result.output);
    assert!(
        answers.iter().all(|a| a
            .as_str()
            .unwrap()
            .contains("Here is my answer to: a red fox")),
        "{}",
        result.output
    );
}
