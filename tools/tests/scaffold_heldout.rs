//! Held-out check over real schemas: for every ordered pair of the real recorded model
//! versions in `fixtures_real_schemas/` that a chain can join (one model's output kind into
//! an input kind of the other), the scaffold is either right by construction (validates with
//! no finding at all) or carries PY032 placeholders and nothing else — never a clean project
//! holding an invented conversion. The pairs are generated, not hand-picked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod scaffold_support;

use std::path::PathBuf;

use pipelines_tools::scaffold::{OutputChoice, ScaffoldRequest, scaffold};
use pipelines_tools::schema::{ModelRef, ModelSchema, Schemas, render};
use pipelines_tools::validate::{Project, ValidationReport, validate};
use scaffold_support::rulebook;
use serde_json::Value;

fn real_schemas() -> Vec<ModelSchema> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures_real_schemas");
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for file in files {
        let stem = file
            .file_stem()
            .unwrap()
            .to_str()
            .unwrap()
            .replace("__", "/");
        let version: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let reference = ModelRef::parse(&stem).unwrap();
        let mut schema = render(
            &reference,
            &version["openapi_schema"],
            version["id"].as_str().map(str::to_owned),
        );
        schema.fetched_at = "2026-01-01T00:00:00Z".into();
        out.push(schema);
    }
    out
}

/// What a model's output is, coarsely: text, files, or something else.
fn output_kinds(s: &ModelSchema) -> (bool, bool) {
    let shape = s.output.shape.as_ref();
    let files = shape.is_some_and(|sh| sh.has_files());
    let text = s.output.python_type == "str";
    (text, files)
}

/// Whether a chain can join `a` into `b`: text into a text input, or files into a file input.
fn joinable(a: &ModelSchema, b: &ModelSchema) -> bool {
    let (text, files) = output_kinds(a);
    b.inputs.iter().any(|i| {
        let t = i.python_type.to_string();
        (text && t.starts_with("str"))
            || (files && (t.starts_with("Path") || t.starts_with("list[Path]")))
    })
}

#[test]
fn every_joinable_real_pair_is_right_or_carries_placeholders() {
    let all = real_schemas();
    assert!(all.len() >= 10, "{} real schemas", all.len());
    let schemas: Schemas = all.iter().cloned().collect();
    let mut pairs = 0;
    let mut with_todos = 0;
    let mut failures = Vec::new();
    for a in &all {
        for b in &all {
            if a.model == b.model || !joinable(a, b) {
                continue;
            }
            for output in [None, Some(OutputChoice::Output), Some(OutputChoice::Path)] {
                pairs += 1;
                let req = ScaffoldRequest {
                    models: Some(vec![a.model.clone(), b.model.clone()]),
                    output,
                    ..ScaffoldRequest::default()
                };
                let plan = match scaffold(&req, &rulebook(), &schemas) {
                    Ok(plan) => plan,
                    Err(e) => {
                        failures.push(format!(
                            "{} → {} ({output:?}): refused: {e}",
                            a.model, b.model
                        ));
                        continue;
                    }
                };
                let main = plan.main_py();
                for invented in ["json.dumps", "write_text", "hello world", "str(", "\"your "] {
                    if main.contains(invented) {
                        failures.push(format!(
                            "{} → {} ({output:?}): main.py holds {invented:?}\n{main}",
                            a.model, b.model
                        ));
                    }
                }
                let project = Project::from_files(&plan.file_map()).unwrap();
                let report = ValidationReport::new(validate(&project, &rulebook(), &schemas));
                let todos = report
                    .diagnostics
                    .iter()
                    .filter(|d| d.code == "PY032")
                    .count();
                let others: Vec<_> = report
                    .diagnostics
                    .iter()
                    .filter(|d| d.code != "PY032")
                    .collect();
                if todos > 0 {
                    with_todos += 1;
                }
                if !others.is_empty() || todos != plan.placeholders.len() {
                    failures.push(format!(
                        "{} → {} ({output:?}):\n{}\n{main}",
                        a.model,
                        b.model,
                        report.to_text()
                    ));
                }
            }
        }
    }
    eprintln!("{pairs} scaffolds of joinable real pairs, {with_todos} with placeholders");
    assert!(pairs >= 30, "only {pairs} joinable pairs");
    assert!(with_todos < pairs, "every pair needed a placeholder");
    assert!(
        failures.is_empty(),
        "{} of {pairs} scaffolds:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// A model left unchained says why truly: meta/llama-2-7b-chat's text would fit
/// fofr/latent-consistency-model's `prompt` as is, but every input of that model is optional
/// (a real schema: defaults everywhere), so the note names the optional inputs and the step
/// that chains them — not "none of its inputs takes" the output.
#[test]
fn an_unchained_model_names_the_optional_inputs_that_would_take_the_output() {
    let all = real_schemas();
    let schemas: Schemas = all.iter().cloned().collect();
    let req = ScaffoldRequest {
        models: Some(vec![
            "meta/llama-2-7b-chat".to_string(),
            "fofr/latent-consistency-model".to_string(),
        ]),
        output: Some(OutputChoice::Output),
        ..ScaffoldRequest::default()
    };
    let plan = scaffold(&req, &rulebook(), &schemas).unwrap();
    let note = plan
        .notes
        .iter()
        .find(|n| n.contains("is not chained to"))
        .unwrap_or_else(|| panic!("{:#?}", plan.notes));
    assert!(!note.contains("none of its inputs"), "{note}");
    assert!(note.contains("(`prompt`"), "{note}");
    assert!(
        note.contains(r#""prompt": {"step": "meta/llama-2-7b-chat"}"#),
        "{note}"
    );
}
