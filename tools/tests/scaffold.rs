//! The scaffolder: generated files (insta snapshots) and the round trip through the validator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod scaffold_support;

use pipelines_docs_cache::{Fact, FactSource, Rulebook};
use pipelines_tools::scaffold::InputSpec;
use pipelines_tools::scaffold::{OutputChoice, ScaffoldRequest, scaffold};
use pipelines_tools::validate::{Project, Schemas, ValidationReport, validate};
use scaffold_support::{image_inputs, misc_inputs, request, rulebook, schemas};

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

/// The model sets the round trip covers: none, each fixture alone, and chains.
const MODEL_SETS: &[&[&str]] = &[
    &[],
    &["acme/echo-text"],
    &["acme/chatter-3b"],
    &["acme/pixel-forge"],
    &["acme/quick-caption"],
    &["acme/scene-inspector"],
    &["acme/upscale.x2"],
    &["acme/pixel-forge", "acme/quick-caption"],
    &["acme/chatter-3b", "acme/pixel-forge", "acme/upscale.x2"],
    &["acme/pixel-forge", "acme/scene-inspector", "acme/echo-text"],
    &["acme/quick-caption", "acme/chatter-3b"],
    &["acme/story-board"],
    &["acme/tile-grid", "acme/upscale.x2"],
    &["acme/either-way", "acme/story-board", "acme/pixel-forge"],
    &[
        "acme/scene-inspector",
        "acme/upscale.x2:291a1dee3afe0277861647f199bfccab807f160e12281a64bd5721bec728fa64",
    ],
    &[
        "acme/echo-text",
        "acme/chatter-3b",
        "acme/pixel-forge",
        "acme/quick-caption",
        "acme/scene-inspector",
        "acme/upscale.x2",
    ],
    &["shapes/vision-chat"],
    &["acme/pixel-forge", "shapes/vision-chat"],
    &["shapes/safety-check", "acme/chatter-3b"],
    &["shapes/transcriber", "acme/chatter-3b"],
    &["shapes/tree-parser", "shapes/embedder"],
];

const OUTPUTS: &[Option<OutputChoice>] = &[
    None,
    Some(OutputChoice::Str),
    Some(OutputChoice::Path),
    Some(OutputChoice::PathList),
    Some(OutputChoice::Output),
];

/// A Rulebook as if read from a newer cached spec: other pins, cited sections.
fn newer_rulebook() -> Rulebook {
    let mut rb = rulebook();
    rb.cog_requirement.value = ">=0.16.2".into();
    rb.replicate_requirement.value = ">=1.1.0b3,<2.0.0a1".into();
    rb
}

fn with_python_version(mut rb: Rulebook) -> Rulebook {
    rb.python_version = Some(Fact {
        value: "3.13".into(),
        source: FactSource {
            document: "pipelines".into(),
            section: "runtime".into(),
        },
    });
    rb
}

/// Scaffolds every combination of models × inputs × output with each Rulebook and returns
/// (how many were checked, the failures with their findings and main.py).
fn round_trip(rulebooks: &[Rulebook]) -> (usize, Vec<String>) {
    let (checked, with_todos, failures) = round_trip_counted(rulebooks);
    // Most combinations must be complete: placeholders are the exception.
    assert!(
        with_todos * 4 < checked * 3,
        "{with_todos} of {checked} scaffolds carry placeholders"
    );
    (checked, failures)
}

/// [`round_trip`], also counting the projects that carry placeholders.
fn round_trip_counted(rulebooks: &[Rulebook]) -> (usize, usize, Vec<String>) {
    let input_sets: Vec<Option<Vec<InputSpec>>> = vec![
        None,
        Some(vec![]),
        Some(image_inputs()),
        Some(misc_inputs()),
    ];
    let schema_set: Schemas = schemas();
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut refused_unused = 0;
    for models in MODEL_SETS {
        for inputs in &input_sets {
            for output in OUTPUTS {
                for rb in rulebooks {
                    let req = request(models, inputs.clone(), *output);
                    let plan = match scaffold(&req, rb, &schemas()) {
                        Ok(plan) => plan,
                        Err(e) => panic!("models={models:?}: {e}"),
                    };
                    let main = &plan.file_map()["main.py"];
                    let zero_arg = models.iter().find(|m| {
                        let name = m.split(['/', ':']).nth(1).unwrap_or_default();
                        main.contains(&format!("{}()", name.replace(['-', '.'], "_")))
                    });
                    if let Some(m) = zero_arg {
                        failures.push(format!(
                            "models={models:?}: {m} called with no arguments\n{main}"
                        ));
                    }
                    let project = Project::from_files(&plan.file_map()).unwrap();
                    // A model whose output nothing reads gets a placeholder (PY032), so
                    // PY035 is not tolerated here.
                    let report = ValidationReport::new(validate(&project, rb, &schema_set));
                    checked += 1;
                    // Allowed: PY032 at each placeholder (a decision left to the author, that
                    // cannot ship) and PY029 for each declared input the notes list as used
                    // by no step. Nothing else, ever.
                    let unexpected: Vec<_> = report
                        .diagnostics
                        .iter()
                        .filter(|d| match d.code.as_str() {
                            "PY032" => false,
                            "PY029" => !plan.notes.iter().any(|n| {
                                n.contains("is not used by any step")
                                    && d.message.contains(n.split('`').nth(1).unwrap_or("\u{0}"))
                            }),
                            _ => true,
                        })
                        .collect();
                    let todos = report
                        .diagnostics
                        .iter()
                        .filter(|d| d.code == "PY032")
                        .count();
                    if todos > 0 {
                        refused_unused += 1;
                    }
                    if !unexpected.is_empty() || todos != plan.placeholders.len() {
                        failures.push(format!(
                            "models={models:?} inputs={} output={output:?} cog{}\n{}\n{}",
                            inputs
                                .as_ref()
                                .map_or("none".to_string(), |i| i.len().to_string()),
                            rb.cog_requirement.value,
                            report.to_text(),
                            plan.file_map()["main.py"],
                        ));
                    }
                }
            }
        }
    }
    (checked, refused_unused, failures)
}

/// ROUND TRIP: every combination of models, inputs, output and Rulebook the tests use
/// generates a project the real validator (schema rules included) passes with zero errors
/// and zero warnings, except one PY032 per `TODO(...)` placeholder and PY029 for declared
/// inputs no step uses (both listed in the notes).
#[test]
fn every_scaffold_validates_without_findings() {
    let (checked, failures) = round_trip(&[rulebook(), newer_rulebook()]);
    assert_eq!(checked, MODEL_SETS.len() * 4 * OUTPUTS.len() * 2);
    assert!(
        failures.is_empty(),
        "{} of {checked} scaffolds have findings:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The same round trip when the Rulebook states the runtime's Python: cog.yaml then carries
/// `build.python_version` (issue 6), which COG006 currently flags as an ignored build key.
#[test]
fn scaffold_with_python_version_validates_without_findings() {
    let (checked, failures) = round_trip(&[with_python_version(rulebook())]);
    assert!(
        failures.is_empty(),
        "{} of {checked} scaffolds have findings:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The round trip is not vacuous: the validator does flag a scaffold whose call lost a
/// required input, or whose schemas were never fetched.
#[test]
fn round_trip_detects_broken_scaffolds() {
    let req = request(&["acme/pixel-forge", "acme/quick-caption"], None, None);
    let plan = scaffold(&req, &rulebook(), &schemas()).unwrap();
    let mut files = plan.file_map();
    let main = files["main.py"].replace(
        "quick_caption(image=pixel_forge_output[0])",
        "quick_caption()",
    );
    assert_ne!(main, files["main.py"]);
    files.insert("main.py".into(), main);
    let project = Project::from_files(&files).unwrap();
    let schema_set: Schemas = schemas();
    let codes: Vec<String> = validate(&project, &rulebook(), &schema_set)
        .into_iter()
        .map(|d| d.code)
        .collect();
    // PY030 (a new rule) adds: the call also runs on the defaults of `max_words`; PY035:
    // the image the caption no longer reads was made for nothing.
    assert_eq!(codes, ["PY035", "PY018", "PY030"]);

    let project = Project::from_files(&plan.file_map()).unwrap();
    let codes: Vec<String> = validate(&project, &rulebook(), &Schemas::new())
        .into_iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(codes, ["PY016", "PY016"]);
}

/// Every model input the scaffold passes exists in the schema, and every required one is
/// passed: checked here directly, independently of the validator (which also checks that
/// nothing the schema lacks is passed).
#[test]
fn calls_pass_every_required_input() {
    let all = schemas();
    for models in MODEL_SETS {
        let plan = scaffold(&request(models, None, None), &rulebook(), &all).unwrap();
        let main = &plan.file_map()["main.py"];
        for m in *models {
            let key = m.split(':').next().unwrap();
            let schema = all.get(key).unwrap();
            // `ident = replicate.use("ref")`, or broken over lines when the ref is long.
            let at = main.find(&format!("\"{m}\"")).unwrap();
            let ident = main[..at]
                .lines()
                .rev()
                .find(|l| l.contains(" = replicate.use("))
                .and_then(|l| l.split(" = ").next())
                .unwrap();
            // Called alone, or started together with independent calls.
            let call_start = main
                .find(&format!(" = {ident}("))
                .or_else(|| main.find(&format!(" = {ident}.create(")))
                .unwrap();
            let call = &main[call_start..];
            let first_line = &call[..call.find('\n').unwrap()];
            let call = if first_line.ends_with('(') {
                &call[..call.find("\n    )").unwrap()]
            } else {
                first_line
            };
            for input in schema.inputs.iter().filter(|i| i.required) {
                assert!(call.contains(&format!("{}=", input.name)), "{m}: {call}");
            }
        }
    }
}

/// Pins and `python_version` follow the Rulebook, not constants.
#[test]
fn pins_follow_the_rulebook() {
    let req = request(&["acme/echo-text"], None, None);
    let plan = scaffold(&req, &with_python_version(newer_rulebook()), &schemas()).unwrap();
    let files = plan.file_map();
    let reqs: Vec<&str> = files["requirements.txt"]
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(reqs, ["cog>=0.16.2", "replicate>=1.1.0b3,<2.0.0a1"]);
    assert!(
        files["cog.yaml"].contains("\n  python_version: \"3.13\"\n"),
        "{}",
        files["cog.yaml"]
    );
    let plain = scaffold(&req, &rulebook(), &schemas()).unwrap();
    assert!(!plain.file_map()["cog.yaml"].contains("python_version"));
}
