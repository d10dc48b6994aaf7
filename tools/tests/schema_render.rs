//! Rendering fixture schemas to Python: signatures, hints, inputs, outputs (no network).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use pipelines_tools::schema::{ModelRef, ModelSchema, OutputKind, render};
use serde_json::{Value, json};

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fakes/fixtures/replicate/models")
}

/// (owner/name, latest version's openapi schema, all versions) of a fixture file.
fn fixture(model: &str) -> (String, Value, Vec<Value>) {
    let file = fixtures_dir().join(format!("{}.json", model.replace('/', "__")));
    let parsed: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let versions = parsed["versions"].as_array().unwrap().clone();
    (
        model.to_owned(),
        versions[0]["openapi_schema"].clone(),
        versions,
    )
}

fn rendered(model: &str) -> ModelSchema {
    let (reference, openapi, versions) = fixture(model);
    let id = versions[0]["id"].as_str().map(str::to_owned);
    render(&ModelRef::parse(&reference).unwrap(), &openapi, id)
}

const MODELS: &[&str] = &[
    "acme/echo-text",
    "acme/chatter-3b",
    "acme/pixel-forge",
    "acme/quick-caption",
    "acme/scene-inspector",
    "acme/upscale.x2",
];

#[test]
fn signatures_and_hints_of_every_fixture() {
    for model in MODELS {
        let schema = rendered(model);
        let text = format!(
            "{}\n\n{}\n\nOutput: {:?} {} — {}\n",
            schema.signature,
            schema.hint,
            schema.output.kind,
            schema.output.python_type,
            schema.output.usage
        );
        insta::assert_snapshot!(
            format!("render_{}", model.replace(['/', '.', '-'], "_")),
            text
        );
    }
}

#[test]
fn text_rendering_of_the_image_model() {
    let mut schema = rendered("acme/pixel-forge");
    schema.fetched_at = "2026-01-01T00:00:00Z".to_owned();
    insta::assert_snapshot!(schema.to_text());
}

#[test]
fn json_of_the_image_model_inputs() {
    let schema = rendered("acme/pixel-forge");
    insta::assert_json_snapshot!(schema.inputs);
}

#[test]
fn enums_behind_all_of_refs_are_dereferenced() {
    let schema = rendered("acme/pixel-forge");
    let aspect = schema
        .inputs
        .iter()
        .find(|i| i.name == "aspect_ratio")
        .unwrap();
    assert_eq!(aspect.python_type.to_string(), "str");
    assert_eq!(aspect.default, Some(json!("1:1")));
    assert_eq!(
        aspect.choices.as_deref().unwrap(),
        &[
            json!("1:1"),
            json!("16:9"),
            json!("9:16"),
            json!("4:3"),
            json!("3:4")
        ]
    );
    assert_eq!(
        aspect.description.as_deref(),
        Some("Width to height ratio of the image.")
    );
    let format = schema
        .inputs
        .iter()
        .find(|i| i.name == "output_format")
        .unwrap();
    assert_eq!(format.choices.as_ref().unwrap().len(), 3);
    assert!(schema.signature.contains("output_format: str = \"webp\""));
}

#[test]
fn inputs_follow_x_order_not_the_alphabet() {
    let names: Vec<String> = rendered("acme/pixel-forge")
        .inputs
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(
        names,
        [
            "prompt",
            "aspect_ratio",
            "num_outputs",
            "seed",
            "output_format",
            "output_quality",
            "reference_images",
            "go_fast"
        ]
    );
}

#[test]
fn output_kinds() {
    let kinds: Vec<(OutputKind, String)> = MODELS
        .iter()
        .map(|m| {
            let s = rendered(m);
            (s.output.kind, s.output.python_type)
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (OutputKind::Value, "str".to_owned()),
            (OutputKind::ConcatenatedString, "str".to_owned()),
            (OutputKind::PathList, "list[Path]".to_owned()),
            (OutputKind::Value, "str".to_owned()),
            (OutputKind::Dict, "dict".to_owned()),
            (OutputKind::Path, "Path".to_owned()),
        ]
    );
}

#[test]
fn older_version_of_the_versioned_model_renders_its_own_inputs() {
    let (reference, _, versions) = fixture("acme/echo-text");
    let old = render(
        &ModelRef::parse(&reference).unwrap(),
        &versions[1]["openapi_schema"],
        None,
    );
    assert_eq!(
        old.signature,
        "def echo_text(text: str, repeat: int = 1) -> str: ..."
    );
}

/// A required input after an optional one would be invalid positional Python: the
/// signature becomes keyword-only. Also: `$ref` chains, nested `$ref` in arrays, a
/// `$ref` cycle, `anyOf` with null, and an iterator without concatenation.
#[test]
fn tricky_schema() {
    let openapi = json!({
        "components": {"schemas": {
            "Input": {"$ref": "#/components/schemas/RealInput"},
            "RealInput": {"type": "object", "required": ["b"], "properties": {
                "a": {"type": "integer", "default": 3, "x-order": 0},
                "b": {"allOf": [{"$ref": "#/components/schemas/mode"}], "x-order": 1},
                "c": {"type": "array", "items": {"$ref": "#/components/schemas/file"}, "x-order": 2},
                "d": {"anyOf": [{"type": "string"}, {"type": "null"}], "x-order": 3, "default": null},
                "e": {"$ref": "#/components/schemas/loop", "x-order": 4},
                "class": {"type": "boolean", "x-order": 5, "default": true}
            }},
            "mode": {"$ref": "#/components/schemas/mode2"},
            "mode2": {"type": "string", "enum": ["x", "y"]},
            "file": {"type": "string", "format": "uri"},
            "loop": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/loop"}}},
            "Output": {"type": "array", "items": {"type": "string"}, "x-cog-array-type": "iterator"}
        }}
    });
    let schema = render(&ModelRef::parse("o/3d-model").unwrap(), &openapi, None);
    assert_eq!(
        schema.signature,
        "def _3d_model(\n    *,\n    a: int = 3,\n    b: str,\n    c: list[Path] | None = None,\n    d: str | None = None,\n    e: dict | None = None,\n    class_: bool = True\n) -> list[str]: ..."
    );
    assert_eq!(schema.output.kind, OutputKind::List);
    let b = &schema.inputs[1];
    assert!(b.required);
    assert_eq!(b.choices.as_ref().unwrap(), &[json!("x"), json!("y")]);
}

#[test]
fn tool_types_have_json_schemas_with_docs() {
    let report =
        serde_json::to_value(schemars::schema_for!(pipelines_tools::schema::SchemaReport)).unwrap();
    let text = report.to_string();
    assert!(text.contains("Optional typing help"), "{text}");
    assert!(text.contains("concatenated_string"));
    let args = serde_json::to_value(schemars::schema_for!(
        pipelines_tools::args::FetchModelSchemaArgs
    ))
    .unwrap();
    assert_eq!(args["required"], json!(["models"]));
    let search = serde_json::to_value(schemars::schema_for!(
        pipelines_tools::schema::SearchResults
    ))
    .unwrap();
    assert!(search["$defs"]["ModelSummary"]["properties"]["ref"].is_object());
    let parsed: pipelines_tools::args::FetchModelSchemaArgs =
        serde_json::from_value(json!({"models": ["acme/x"], "refresh": true})).unwrap();
    assert_eq!(parsed.refresh, Some(true));
}

/// The output shapes of the `shapes/*` fixtures: an object with list-of-object fields
/// behind `$ref`/`allOf`, a cycle, a list of lists, an `anyOf`.
#[test]
fn nested_output_shapes() {
    let mut text = String::new();
    for model in [
        "shapes/transcriber",
        "shapes/tree-parser",
        "shapes/embedder",
        "shapes/any-format",
    ] {
        let schema = rendered(model);
        let shape = schema.output.shape.as_ref().unwrap();
        text.push_str(&format!(
            "{model}: {}\n  usage: {}\n  compact: {}\n{}\n\n",
            schema.output.python_type,
            schema.output.usage,
            shape.compact(),
            shape.lines("output").join("\n")
        ));
    }
    insta::assert_snapshot!(text);
}

#[test]
fn default_example_is_cut_and_rendered() {
    let (_, _, _) = fixture("shapes/transcriber");
    let file = fixtures_dir().join("shapes__transcriber.json");
    let parsed: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let mut schema = rendered("shapes/transcriber");
    schema.example = pipelines_tools::schema::ModelExample::from_model(&parsed["model"]);
    schema.fetched_at = "2026-01-01T00:00:00Z".to_owned();
    let example = schema.example.as_ref().unwrap();
    assert!(example.cut);
    assert_eq!(example.output["segments"].as_array().unwrap().len(), 4);
    insta::assert_snapshot!(schema.to_text());
}

#[test]
fn brief_is_at_most_half_of_full_for_a_real_18_input_schema() {
    let mut schema = rendered("shapes/latent-consistency-model");
    schema.fetched_at = "2026-01-01T00:00:00Z".to_owned();
    assert_eq!(schema.inputs.len(), 18);
    let (brief, full) = (schema.to_brief(), schema.to_text());
    assert!(
        brief.len() * 2 <= full.len(),
        "brief {} vs full {}:\n{brief}",
        brief.len(),
        full.len()
    );
    insta::assert_snapshot!(brief);
}
