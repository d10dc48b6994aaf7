//! The automatic wiring (only `models` given) joins a list output into a `str` input whose
//! schema says it takes a separated list of URLs, with the separator the schema names — and
//! only then: a plain `prompt` never gets a joined list, and an input that says "a list"
//! without naming a separator keeps the placeholder (nothing reads the list) and a note.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod scaffold_support;

use pipelines_tools::scaffold::{ScaffoldPlan, ScaffoldRequest, scaffold};
use pipelines_tools::schema::{ModelSchema, Schemas};
use pipelines_tools::validate::{Project, ValidationReport, validate};
use scaffold_support::{fixture_schema, rulebook};
use serde_json::{Value, json};

const TO_VIDEO: &str = "chigozienri/image-urls-to-video";

fn schemas_with(video: ModelSchema) -> Schemas {
    ["acme/pixel-forge", "acme/chatter-3b", "acme/echo-text"]
        .iter()
        .map(|m| fixture_schema(m))
        .chain([video])
        .collect()
}

fn plan(req: Value, schemas: &Schemas) -> ScaffoldPlan {
    let req: ScaffoldRequest = serde_json::from_value(req).unwrap();
    scaffold(&req, &rulebook(), schemas).unwrap_or_else(|e| panic!("{e}"))
}

/// Images from pixel-forge into the image-urls-to-video model, its video returned.
fn slides(schemas: &Schemas) -> ScaffoldPlan {
    plan(
        json!({
            "name": "slides",
            "models": ["acme/pixel-forge", TO_VIDEO],
            "output_fields": {"video": {"step": TO_VIDEO, "pick": "video"}}
        }),
        schemas,
    )
}

fn codes(plan: &ScaffoldPlan, schemas: &Schemas) -> Vec<String> {
    let project = Project::from_files(&plan.file_map()).unwrap();
    let report = ValidationReport::new(validate(&project, &rulebook(), schemas));
    report.diagnostics.iter().map(|d| d.code.clone()).collect()
}

/// The recorded image-urls-to-video schema: `image_urls: str`, "A comma-separated list of
/// input urls".
#[test]
fn a_described_comma_separated_url_list_gets_the_images_joined() {
    let schemas = schemas_with(fixture_schema(TO_VIDEO));
    let plan = slides(&schemas);
    let main = plan.main_py();
    assert_eq!(
        serde_json::to_value(&plan.steps[1].inputs["image_urls"]).unwrap(),
        json!({"step": "acme/pixel-forge", "join": ","}),
        "{main}"
    );
    assert!(
        main.contains("image_urls=\",\".join(get_path_url(file) for file in pixel_forge_output)"),
        "{main}"
    );
    assert!(
        main.contains("from replicate import get_path_url"),
        "{main}"
    );
    assert!(
        plan.notes.iter().any(|n| n.contains("`image_urls`")
            && n.contains("joined with \",\"")
            && n.contains("A comma-separated list of input urls")),
        "{:?}",
        plan.notes
    );
    assert!(plan.placeholders.is_empty(), "{:?}", plan.placeholders);
    assert_eq!(codes(&plan, &schemas), Vec::<String>::new(), "{main}");
}

/// A plain `prompt: str` after a model returning files: never a joined list of files.
#[test]
fn a_plain_prompt_never_gets_a_joined_list_of_files() {
    let schemas = schemas_with(fixture_schema(TO_VIDEO));
    for models in [
        ["acme/pixel-forge", "acme/chatter-3b"],
        ["acme/pixel-forge", "acme/echo-text"],
    ] {
        let plan = plan(json!({"name": "p", "models": models}), &schemas);
        let main = plan.main_py();
        assert!(!main.contains(".join("), "{main}");
        for step in &plan.steps {
            for source in step.inputs.values() {
                assert!(source.get("join").is_none(), "{source} in {main}");
            }
        }
    }
}

/// The same model with a description that says "URLs" but no separator: no join (the
/// scaffold never guesses one), a note naming the fix, and the unread images keep their
/// placeholder.
#[test]
fn no_separator_in_the_schema_keeps_the_placeholder() {
    let mut video = fixture_schema(TO_VIDEO);
    for input in &mut video.inputs {
        if input.name == "image_urls" {
            input.description = Some("The input image URLs".into());
        }
    }
    let schemas = schemas_with(video);
    let plan = slides(&schemas);
    let main = plan.main_py();
    assert!(!main.contains(".join("), "{main}");
    assert!(plan.steps[1].inputs["image_urls"].get("join").is_none());
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("does not say how they are separated")
                && n.contains("\"join\": \"<separator>\"")),
        "{:?}",
        plan.notes
    );
    assert!(
        plan.placeholders
            .iter()
            .any(|p| p.contains("use pixel_forge_output")),
        "{:?}",
        plan.placeholders
    );
    assert!(codes(&plan, &schemas).contains(&"PY032".to_string()));
}

/// An LLM's text is not a list of URLs: with a text model and an image model before it, the
/// URL list gets the images joined, never the text chained as is.
#[test]
fn a_url_list_gets_the_images_not_an_earlier_text() {
    let schemas = schemas_with(fixture_schema(TO_VIDEO));
    let plan = plan(
        json!({
            "name": "story",
            "models": ["acme/chatter-3b", "acme/pixel-forge", TO_VIDEO],
            "output_fields": {"video": {"step": TO_VIDEO, "pick": "video"}}
        }),
        &schemas,
    );
    let main = plan.main_py();
    assert_eq!(
        serde_json::to_value(&plan.steps[2].inputs["image_urls"]).unwrap(),
        json!({"step": "acme/pixel-forge", "join": ","}),
        "{main}"
    );
    assert_eq!(codes(&plan, &schemas), Vec::<String>::new(), "{main}");
}

/// Two steps' images into ONE comma-separated `str` input: `{"list": [...], "join": ","}`.
#[test]
fn a_joined_list_of_two_steps_images_fills_one_str_input() {
    let schemas = schemas_with(fixture_schema(TO_VIDEO));
    let steps = json!([
        {"model": "acme/pixel-forge", "id": "a", "inputs": {"prompt": {"input": "first_prompt"}}},
        {"model": "acme/pixel-forge", "id": "b", "inputs": {"prompt": {"input": "second_prompt"}}},
    ]);
    let mut with_join = steps.clone();
    with_join
        .as_array_mut()
        .unwrap()
        .push(json!({"model": TO_VIDEO, "inputs": {
        "image_urls": {"list": [{"step": "a", "pick": "first"}, {"step": "b", "pick": "first"}],
                       "join": ","}}}));
    let video = json!({"video": {"step": TO_VIDEO, "pick": "video"}});
    let plan = plan(
        json!({"steps": with_join, "output_fields": video}),
        &schemas,
    );
    let main = plan.main_py();
    assert!(
        main.contains("\",\".join([get_path_url(a[0]), get_path_url(b[0])])"),
        "{main}"
    );
    assert_eq!(codes(&plan, &schemas), Vec::<String>::new(), "{main}");

    let mut without = steps;
    without.as_array_mut().unwrap().push(json!({"model": TO_VIDEO, "inputs": {
        "image_urls": {"list": [{"step": "a", "pick": "first"}, {"step": "b", "pick": "first"}]}}}));
    let req: ScaffoldRequest = serde_json::from_value(json!({"steps": without})).unwrap();
    let err = scaffold(&req, &rulebook(), &schemas)
        .unwrap_err()
        .to_string();
    for needle in [
        "`image_urls` (str",
        "comma-separated",
        "add \"join\": \",\"",
    ] {
        assert!(err.contains(needle), "{needle:?} not in: {err}");
    }
}
