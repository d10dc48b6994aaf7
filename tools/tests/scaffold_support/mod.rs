//! Shared by the scaffold tests: fixture schemas, the Rulebook, request builders.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use pipelines_docs_cache::Rulebook;
use pipelines_tools::scaffold::{InputSpec, OutputChoice, ScaffoldRequest};
use pipelines_tools::schema::{ModelRef, ModelSchema, Schemas, render};
use serde_json::{Value, json};

/// The fake Replicate API's fixture models.
pub const MODELS: &[&str] = &[
    "acme/echo-text",
    "acme/chatter-3b",
    "acme/pixel-forge",
    "acme/quick-caption",
    "acme/scene-inspector",
    "acme/upscale.x2",
    "acme/story-board",
    "acme/tile-grid",
    "acme/either-way",
    "shapes/vision-chat",
    "shapes/safety-check",
    "shapes/transcriber",
    "shapes/tree-parser",
    "shapes/embedder",
];

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fakes/fixtures/replicate/models")
}

/// A fixture model's schema, rendered by the schema module as `fetch_model_schema` would.
pub fn fixture_schema(model: &str) -> ModelSchema {
    let file = fixtures_dir().join(format!("{}.json", model.replace('/', "__")));
    let parsed: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let version = &parsed["versions"][0];
    let id = if parsed["versionless"].as_bool() == Some(true) {
        None
    } else {
        version["id"].as_str().map(str::to_owned)
    };
    let mut schema = render(
        &ModelRef::parse(model).unwrap(),
        &version["openapi_schema"],
        id,
    );
    schema.fetched_at = "2026-01-01T00:00:00Z".into();
    schema
}

/// Every fixture schema, as its model's latest.
pub fn schemas() -> Schemas {
    MODELS.iter().map(|m| fixture_schema(m)).collect()
}

/// The built-in Rulebook (what the scaffold uses when nothing is cached).
pub fn rulebook() -> Rulebook {
    Rulebook::defaults()
}

pub fn request(
    models: &[&str],
    inputs: Option<Vec<InputSpec>>,
    output: Option<OutputChoice>,
) -> ScaffoldRequest {
    ScaffoldRequest {
        name: Some("test-pipeline".into()),
        models: Some(models.iter().map(|m| (*m).to_string()).collect()),
        inputs,
        output,
        ..ScaffoldRequest::default()
    }
}

pub fn input(name: &str, ty: &str, description: &str) -> InputSpec {
    InputSpec {
        name: name.into(),
        python_type: ty.into(),
        description: description.into(),
        ..InputSpec::default()
    }
}

/// Inputs for the image model: a prompt and enum inputs matching its schema.
pub fn image_inputs() -> Vec<InputSpec> {
    vec![
        input("prompt", "str", "What to draw."),
        InputSpec {
            default: Some(json!("1:1")),
            choices: Some(vec![json!("1:1"), json!("16:9"), json!("9:16")]),
            ..input("aspect_ratio", "str", "Width to height ratio.")
        },
        InputSpec {
            default: Some(json!("png")),
            choices: Some(vec![json!("webp"), json!("png")]),
            ..input("output_format", "str", "Image file format.")
        },
        InputSpec {
            default: Some(json!(1)),
            ge: Some(1.0),
            le: Some(4.0),
            ..input("num_outputs", "int", "How many images.")
        },
        input("seed", "int | None", "Random seed; empty for a random one."),
    ]
}

/// Inputs of every other kind: a file, a secret, lists, a float with bounds, a bool, an int
/// enum, and names matching the fixtures' inputs (`text`, `image`, `question`, `temperature`).
pub fn misc_inputs() -> Vec<InputSpec> {
    vec![
        input("text", "str", "Text to echo."),
        input("image", "Path", "An image to look at."),
        input("question", "str", "What to ask about the image."),
        InputSpec {
            default: Some(json!(0.5)),
            ge: Some(0.0),
            le: Some(2.0),
            ..input("temperature", "float", "Sampling temperature.")
        },
        InputSpec {
            default: Some(json!(2)),
            choices: Some(vec![json!(2), json!(4)]),
            ..input("scale", "int", "Upscaling factor.")
        },
        InputSpec {
            default: Some(json!(false)),
            ..input("uppercase", "bool", "Upper-case the echo.")
        },
        input("stop_sequences", "list[str] | None", "Where to stop."),
        input("extra_images", "list[Path] | None", "More images."),
        input("service_token", "Secret", "A token for another service."),
    ]
}
