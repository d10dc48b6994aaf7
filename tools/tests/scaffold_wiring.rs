//! Automatic wiring that never calls a model with no arguments, `Output` fields named by
//! what they hold, README examples that match the input types (no network).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod scaffold_support;

use std::collections::HashMap;

use pipelines_tools::scaffold::{OutputChoice, ScaffoldError, scaffold};
use pipelines_tools::schema::ModelSchema;
use scaffold_support::{fixture_schema, input, request, rulebook};

fn schemas(models: &[&str]) -> HashMap<String, ModelSchema> {
    models
        .iter()
        .map(|m| ((*m).to_string(), fixture_schema(m)))
        .collect()
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
    let plan = scaffold(&request(&models, None, None), &rulebook(), &schemas(&models)).unwrap();
    let main = file(&plan, "main.py");
    assert!(main.contains("vision_chat(prompt=prompt)"), "{main}");
    assert!(!main.contains("vision_chat()"), "{main}");
    assert!(
        plan.notes.iter().any(|n| n.contains("added run() input `prompt`")),
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

#[test]
fn nothing_to_fill_it_with_is_an_error_listing_the_inputs() {
    let models = ["shapes/vision-chat"];
    let err = scaffold(
        &request(&models, Some(vec![]), None),
        &rulebook(),
        &schemas(&models),
    )
    .unwrap_err();
    assert!(matches!(err, ScaffoldError::CallWithoutInputs { .. }));
    let text = err.to_string();
    assert!(
        text.contains("image: Path, prompt: str, max_tokens: int"),
        "{text}"
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
    let plan = scaffold(&request(&models, None, None), &rulebook(), &schemas(&models)).unwrap();
    let readme = file(&plan, "README.md");
    assert!(readme.contains("-i audio=@input.wav"), "{readme}");
    assert!(!readme.contains("@input.png"), "{readme}");
    let models = ["acme/quick-caption"];
    let plan = scaffold(&request(&models, None, None), &rulebook(), &schemas(&models)).unwrap();
    assert!(file(&plan, "README.md").contains("-i image=@input.png"));
}
