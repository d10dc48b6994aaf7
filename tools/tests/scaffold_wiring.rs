//! Automatic wiring that never calls a model with no arguments, `Output` fields named by
//! what they hold, README examples that match the input types (no network).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod scaffold_support;

use pipelines_tools::scaffold::{OutputChoice, scaffold};
use pipelines_tools::schema::Schemas;
use scaffold_support::{fixture_schema, input, request, rulebook};

fn schemas(models: &[&str]) -> Schemas {
    models.iter().map(|m| fixture_schema(m)).collect()
}

fn file(plan: &pipelines_tools::scaffold::ScaffoldPlan, name: &str) -> String {
    plan.files
        .iter()
        .find(|f| f.path == name)
        .map(|f| f.content.clone())
        .unwrap()
}

#[test]
fn a_model_without_required_inputs_gets_a_run_input() {
    let models = ["shapes/vision-chat"];
    let plan = scaffold(
        &request(&models, None, None),
        &rulebook(),
        &schemas(&models),
    )
    .unwrap();
    let main = file(&plan, "main.py");
    assert!(main.contains("vision_chat(prompt=prompt)"), "{main}");
    assert!(!main.contains("vision_chat()"), "{main}");
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("added run() input `prompt`")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn a_declared_input_fills_it_with_a_note_to_confirm() {
    let models = ["shapes/vision-chat"];
    let inputs = vec![input("question", "str", "What to ask.")];
    let plan = scaffold(
        &request(&models, Some(inputs), None),
        &rulebook(),
        &schemas(&models),
    )
    .unwrap();
    let main = file(&plan, "main.py");
    assert!(main.contains("vision_chat(prompt=question)"), "{main}");
    assert!(
        plan.notes.iter().any(|n| n.contains("confirm")),
        "{:?}",
        plan.notes
    );
}

/// Nothing to give a model that requires no input: its main input gets a placeholder that
/// cannot ship (PY032), never a call without arguments nor a made-up value.
#[test]
fn nothing_to_fill_it_with_is_a_placeholder() {
    let models = ["shapes/vision-chat"];
    let plan = scaffold(
        &request(&models, Some(vec![]), None),
        &rulebook(),
        &schemas(&models),
    )
    .unwrap();
    let main = file(&plan, "main.py");
    assert!(
        main.contains("prompt=TODO(\n            \"choose shapes/vision-chat's `prompt` (str)"),
        "{main}"
    );
    assert!(main.contains("def TODO(what: str, *about):"), "{main}");
    assert_eq!(plan.placeholders.len(), 1, "{:?}", plan.placeholders);
    assert!(
        plan.placeholders[0].starts_with("main.py:"),
        "{:?}",
        plan.placeholders
    );
}

#[test]
fn output_fields_are_named_by_what_they_hold() {
    let models = ["acme/chatter-3b", "acme/pixel-forge", "acme/upscale.x2"];
    let plan = scaffold(
        &request(&models, None, Some(OutputChoice::Output)),
        &rulebook(),
        &schemas(&models),
    )
    .unwrap();
    let main = file(&plan, "main.py");
    for field in ["    text: str", "    image: Path", "    image_2: Path"] {
        assert!(main.contains(field), "{field}:\n{main}");
    }
    for model_named in ["chatter_3b:", "pixel_forge:", "upscale_x2:"] {
        assert!(!main.contains(model_named), "{model_named}:\n{main}");
    }
}

#[test]
fn readme_examples_match_input_types() {
    let models = ["shapes/transcriber"];
    let plan = scaffold(
        &request(&models, None, None),
        &rulebook(),
        &schemas(&models),
    )
    .unwrap();
    let readme = file(&plan, "README.md");
    assert!(readme.contains("-i audio=@input.wav"), "{readme}");
    assert!(!readme.contains("@input.png"), "{readme}");
    let models = ["acme/quick-caption"];
    let plan = scaffold(
        &request(&models, None, None),
        &rulebook(),
        &schemas(&models),
    )
    .unwrap();
    assert!(file(&plan, "README.md").contains("-i image=@input.png"));
}

/// Every file of a plan plus its notes, after checking the project validates clean.
fn checked_plan(req: &pipelines_tools::scaffold::ScaffoldRequest) -> String {
    use pipelines_tools::validate::{Project, ValidationReport, validate};
    let schema_set = scaffold_support::schemas();
    let plan = scaffold(req, &rulebook(), &schema_set).unwrap();
    let project = Project::from_files(&plan.file_map()).unwrap();
    // Only the placeholders the plan lists may be found (PY032): `snapshot_audio_input`
    // asks for a transcript nothing reads, which gets one instead of a paid-for nothing.
    let all = validate(&project, &rulebook(), &schema_set);
    let placeholders = all.iter().filter(|d| d.code == "PY032").count();
    assert_eq!(
        placeholders,
        plan.placeholders.len(),
        "{:?}",
        plan.placeholders
    );
    let diagnostics: Vec<_> = all.into_iter().filter(|d| d.code != "PY032").collect();
    let report = ValidationReport::new(diagnostics);
    assert!(
        report.diagnostics.is_empty(),
        "{}\n{}",
        report.to_text(),
        plan.file_map()["main.py"]
    );
    let mut out = String::new();
    for f in &plan.files {
        out.push_str(&format!("===== {} =====\n{}\n", f.path, f.content));
    }
    out.push_str("===== notes =====\n");
    for n in &plan.notes {
        out.push_str(&format!("- {n}\n"));
    }
    out
}

fn steps(value: serde_json::Value) -> pipelines_tools::scaffold::ScaffoldRequest {
    serde_json::from_value(value).unwrap()
}

#[test]
fn snapshot_image_then_vision_llm_with_a_fixed_instruction() {
    let req = steps(serde_json::json!({
        "name": "draw-and-describe",
        "steps": [
            {"model": "acme/pixel-forge", "inputs": {"prompt": {"input": "prompt"}}},
            {"model": "shapes/vision-chat", "id": "describe", "inputs": {
                "image": {"step": "acme/pixel-forge", "pick": "first"},
                "prompt": {"value": "Describe this image in one sentence."}
            }}
        ],
        "output_fields": {"image": "acme/pixel-forge", "caption": "describe"}
    }));
    insta::assert_snapshot!(checked_plan(&req));
}

#[test]
fn snapshot_fan_out_over_three_styles() {
    let req = steps(serde_json::json!({
        "name": "three-captions",
        "steps": [
            {"model": "acme/quick-caption", "id": "captions",
             "inputs": {"image": {"input": "image"}},
             "over": {"input": "style", "values": ["plain", "poetic", "technical"]}}
        ]
    }));
    let text = checked_plan(&req);
    assert!(
        text.contains("quick_caption.create(image=image, style=style)"),
        "{text}"
    );
    assert!(text.contains("[prediction.output() for prediction in captions_predictions]"));
    insta::assert_snapshot!(text);
}

#[test]
fn snapshot_classifier_gating_an_llm() {
    let req = steps(serde_json::json!({
        "name": "guarded-chat",
        "steps": [
            {"model": "shapes/safety-check", "id": "verdict", "inputs": {"prompt": {"input": "prompt"}}},
            {"model": "acme/chatter-3b", "id": "answer", "inputs": {"prompt": {"input": "prompt"}}}
        ],
        "output_fields": {"verdict": "verdict", "answer": "answer"}
    }));
    insta::assert_snapshot!(checked_plan(&req));
}

#[test]
fn snapshot_audio_input() {
    let req = steps(serde_json::json!({
        "name": "transcribe-and-summarise",
        "steps": [
            {"model": "shapes/transcriber", "inputs": {"audio": {"input": "audio"}}},
            {"model": "acme/chatter-3b", "inputs": {
                "prompt": {"value": "Summarise the transcript."},
                "system_prompt": {"input": "system_prompt"}
            }}
        ]
    }));
    let text = checked_plan(&req);
    assert!(text.contains("-i audio=@input.wav"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn bad_steps_get_actionable_errors() {
    let all = scaffold_support::schemas();
    let cases = [
        (
            serde_json::json!({"steps": [{"model": "acme/pixel-forge", "inputs": {"nope": {"value": 1}}}]}),
            "has no input \"nope\"; its inputs: prompt",
        ),
        (
            serde_json::json!({"steps": [{"model": "acme/pixel-forge", "inputs": {"prompt": {"input": "prompt"}, "num_outputs": {"value": 2}},
                "over": {"input": "num_outputs", "values": [1, 2]}}]}),
            "has two sources",
        ),
        (
            serde_json::json!({"steps": [
                {"model": "acme/scene-inspector", "inputs": {"image": {"input": "image"}, "question": {"input": "question"}}},
                {"model": "acme/chatter-3b", "inputs": {"prompt": {"step": "acme/scene-inspector", "pick": "answr"}}}
            ]}),
            "its fields: answer",
        ),
        (
            serde_json::json!({"steps": [{"model": "acme/pixel-forge", "inputs": {"prompt": {"input": "prompt"}}}],
                               "output_fields": {"image": "acme/nope"}}),
            "step is named \"acme/nope\"",
        ),
    ];
    for (req, needle) in cases {
        let err = scaffold(&steps(req), &rulebook(), &all)
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{needle}: {err}");
    }
}

/// A step input taken from a run() input that defaults to None (the model's `seed` has no
/// default) is passed only when given: sending None would be refused by the API (PY031).
#[test]
fn an_optional_run_input_reaches_the_model_only_when_given() {
    let req = steps(serde_json::json!({
        "name": "seeded-draw",
        "steps": [
            {"model": "acme/pixel-forge", "inputs": {
                "prompt": {"input": "prompt"},
                "seed": {"input": "seed"}
            }}
        ],
        "output": "Path"
    }));
    let text = checked_plan(&req);
    assert!(text.contains("seed: int | None"), "{text}");
    assert!(
        text.contains("pixel_forge(prompt=prompt, **given(seed=seed))"),
        "{text}"
    );
}

/// A declared run() input with `"default": null` is the same as no default: it may be None,
/// so it reaches the model only when given.
#[test]
fn a_declared_input_defaulting_to_null_is_passed_only_when_given() {
    let req = steps(serde_json::json!({
        "name": "seeded",
        "models": ["acme/pixel-forge"],
        "inputs": [
            {"name": "prompt", "type": "str", "description": "What to draw."},
            {"name": "seed", "type": "int | None", "description": "Seed.", "default": null}
        ]
    }));
    let text = checked_plan(&req);
    assert!(text.contains("**given(seed=seed)"), "{text}");
}
