//! The scaffolder: generated files (insta snapshots) and the round trip through the validator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod scaffold_support;

use pipelines_tools::scaffold::{OutputChoice, ScaffoldRequest, scaffold};
use pipelines_tools::validate::{Project, Schemas, ValidationReport, validate};
use scaffold_support::{image_inputs, request, rulebook, schemas};

/// Every file of a plan, with headers, plus its notes: what the snapshots hold.
fn render_plan(req: &ScaffoldRequest) -> String {
    let plan = scaffold(req, &rulebook(), &schemas()).unwrap();
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

/// Validates a plan with the real validator and the same schemas.
fn validate_plan(req: &ScaffoldRequest) -> ValidationReport {
    let plan = scaffold(req, &rulebook(), &schemas()).unwrap();
    let project = Project::from_files(&plan.file_map()).unwrap();
    let schemas: Schemas = schemas().into_values().collect();
    ValidationReport::new(validate(&project, &rulebook(), &schemas))
}

#[test]
fn snapshot_text_llm() {
    let req = request(&["acme/chatter-3b"], None, None);
    insta::assert_snapshot!(render_plan(&req));
}

#[test]
fn snapshot_image_model_with_enum_inputs() {
    let req = request(&["acme/pixel-forge"], Some(image_inputs()), None);
    insta::assert_snapshot!(render_plan(&req));
}

#[test]
fn snapshot_image_then_caption_chained() {
    let req = request(&["acme/pixel-forge", "acme/quick-caption"], None, None);
    insta::assert_snapshot!(render_plan(&req));
}

#[test]
fn snapshot_llm_then_image_then_upscale_output_class() {
    let req = request(
        &["acme/chatter-3b", "acme/pixel-forge", "acme/upscale.x2"],
        None,
        Some(OutputChoice::Output),
    );
    insta::assert_snapshot!(render_plan(&req));
}

#[test]
fn probe() {
    for req in [
        request(&["acme/chatter-3b"], None, None),
        request(&["acme/pixel-forge"], Some(image_inputs()), None),
        request(&["acme/pixel-forge", "acme/quick-caption"], None, None),
        request(
            &["acme/chatter-3b", "acme/pixel-forge", "acme/upscale.x2"],
            None,
            Some(OutputChoice::Output),
        ),
    ] {
        let r = validate_plan(&req);
        eprintln!("{}", r.to_text());
    }
}
