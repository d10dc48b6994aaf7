//! The tasks of issue 19, scaffolded from the steps an agent would send: each main.py is
//! right by construction (validates clean) or carries exactly the placeholders the task
//! leaves to the agent; and the refusals (a list into one string, two sources for one
//! input, a pick that does not fit) name the step, the input, the shapes and the fix.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod scaffold_support;

use pipelines_tools::scaffold::{ScaffoldPlan, ScaffoldRequest, scaffold};
use pipelines_tools::schema::Schemas;
use pipelines_tools::validate::{Project, ValidationReport, validate};
use scaffold_support::{fixture_schema, rulebook};
use serde_json::{Value, json};

fn schemas() -> Schemas {
    let mut models = scaffold_support::MODELS.to_vec();
    models.extend([
        "chigozienri/image-urls-to-video",
        "andreasjansson/blip-2",
        "tasks/outpainter",
        "tasks/voice-convert",
        "tasks/nano-banana",
    ]);
    models.iter().map(|m| fixture_schema(m)).collect()
}

fn plan(req: Value) -> ScaffoldPlan {
    let req: ScaffoldRequest = serde_json::from_value(req).unwrap();
    scaffold(&req, &rulebook(), &schemas()).unwrap_or_else(|e| panic!("{e}"))
}

fn refusal(req: Value) -> String {
    let req: ScaffoldRequest = serde_json::from_value(req).unwrap();
    match scaffold(&req, &rulebook(), &schemas()) {
        Ok(plan) => panic!("not refused:\n{}", plan.main_py()),
        Err(e) => e.to_string(),
    }
}

/// The codes of the validator's findings.
fn codes(plan: &ScaffoldPlan) -> Vec<String> {
    let project = Project::from_files(&plan.file_map()).unwrap();
    let report = ValidationReport::new(validate(&project, &rulebook(), &schemas()));
    report.diagnostics.iter().map(|d| d.code.clone()).collect()
}

/// An SDXL-style slideshow: images for three prompts in parallel, joined as one
/// comma-separated string of URLs into `image_urls`; Output.video is the object's `video`.
pub fn slideshow() -> Value {
    json!({
        "name": "slideshow",
        "steps": [
            {"model": "acme/pixel-forge", "id": "frames",
             "inputs": {"prompt": {"input": "prompt"}},
             "over": {"input": "aspect_ratio", "values": ["1:1", "16:9", "9:16"]}},
            {"model": "chigozienri/image-urls-to-video", "id": "slideshow",
             "inputs": {"image_urls": {"step": "frames", "pick": "all", "join": ","}}}
        ],
        "output_fields": {"video": {"step": "slideshow", "pick": "video"}}
    })
}

#[test]
fn slideshow_joins_the_fan_out_into_one_string_of_urls() {
    let plan = plan(slideshow());
    let main = plan.main_py();
    assert!(
        main.contains(
            "        image_urls=\",\".join(\n            get_path_url(file) for files in frames_outputs for file in files\n        ),"
        ),
        "{main}"
    );
    assert!(main.contains("video=Path(slideshow[\"video\"])"), "{main}");
    assert!(
        !main.contains("json.dumps") && !main.contains("write_text"),
        "{main}"
    );
    assert_eq!(codes(&plan), Vec::<String>::new(), "{main}");
}

/// Outpaint then caption with `models` only: the caption model gets the outpainter's
/// output (chained), not the run() input; the notes give the steps for the other reading.
#[test]
fn models_alone_chain_the_outpainted_image_into_the_captioner() {
    let plan = plan(json!({
        "name": "widen-and-caption",
        "models": ["tasks/outpainter", "andreasjansson/blip-2"],
        "inputs": [{"name": "image", "type": "Path", "description": "A photo."}]
    }));
    let main = plan.main_py();
    assert!(main.contains("outpainter(image=image)"), "{main}");
    assert!(main.contains("blip_2(image=outpainter_output)"), "{main}");
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("chained") && n.contains("{\"input\": \"image\"}")),
        "{:?}",
        plan.notes
    );
    assert_eq!(plan.steps.len(), 2);
    assert_eq!(
        plan.steps[1].inputs["image"],
        json!({"step": "tasks/outpainter"})
    );
    assert_eq!(codes(&plan), Vec::<String>::new(), "{main}");
}

/// Voice conversion returning the audio and its duration: the duration is the agent's code,
/// typed in Output and left as the one placeholder (PY032), in the order given.
pub fn voice() -> Value {
    json!({
        "name": "voice",
        "steps": [{"model": "tasks/voice-convert", "id": "voice",
                   "inputs": {"audio": {"input": "audio"}, "target_voice": {"value": "tenor"}}}],
        "output_fields": {
            "audio": "voice",
            "duration": {"type": "float", "description": "the converted audio's length in seconds"}
        }
    })
}

#[test]
fn a_computed_field_is_typed_and_left_as_a_placeholder() {
    let plan = plan(voice());
    let main = plan.main_py();
    assert!(
        main.contains("    audio: Path\n    duration: float\n"),
        "{main}"
    );
    assert!(
        main.contains(
            "duration=TODO(\n            \"compute Output.duration (float): the converted audio's length in seconds\",\n        ),"
        ),
        "{main}"
    );
    assert_eq!(plan.placeholders.len(), 1, "{:?}", plan.placeholders);
    assert_eq!(codes(&plan), ["PY032"], "{main}");
}

/// A safety-gated LLM posting to a webhook: the webhook URL and token are declared for the
/// agent's own code (not refused); the two model calls are independent, so started together.
pub fn gated() -> Value {
    json!({
        "name": "gated",
        "inputs": [
            {"name": "prompt", "type": "str", "description": "The question."},
            {"name": "webhook_url", "type": "str", "description": "Where to post the answer."},
            {"name": "webhook_token", "type": "Secret", "description": "The webhook's token."}
        ],
        "steps": [
            {"model": "shapes/safety-check", "id": "safety", "inputs": {"prompt": {"input": "prompt"}}},
            {"model": "acme/chatter-3b", "id": "answer", "inputs": {"prompt": {"input": "prompt"}}}
        ],
        "output": "str"
    })
}

#[test]
fn inputs_for_the_agents_own_code_are_declared_and_noted() {
    let plan = plan(gated());
    let main = plan.main_py();
    assert!(main.contains("webhook_token: Secret = Input("), "{main}");
    for name in ["webhook_url", "webhook_token"] {
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains(&format!("`{name}` is not used by any step"))),
            "{:?}",
            plan.notes
        );
    }
    assert!(
        main.contains("safety_prediction = safety_check.create(prompt=prompt)"),
        "{main}"
    );
    assert!(
        main.contains("safety = safety_prediction.output()"),
        "{main}"
    );
    // The check's verdict is read by nothing the steps say: the gate is the agent's code,
    // so the scaffold leaves a placeholder instead of a prediction paid for nothing.
    assert!(
        main.contains(
            "    TODO(\n        \"use safety (str) or remove the shapes/safety-check call"
        ),
        "{main}"
    );
    assert_eq!(codes(&plan), ["PY029", "PY029", "PY032"], "{main}");
}

/// Two images blended by a model taking a list of images: the list is built from both
/// steps, files as their URLs; the independent image calls are started together.
pub fn blend() -> Value {
    json!({
        "name": "blend",
        "steps": [
            {"model": "acme/pixel-forge", "id": "landscape", "inputs": {"prompt": {"input": "landscape_prompt"}}},
            {"model": "acme/pixel-forge", "id": "portrait", "inputs": {"prompt": {"input": "portrait_prompt"}}},
            {"model": "tasks/nano-banana", "id": "blend", "inputs": {
                "prompt": {"value": "Blend the two images into one scene."},
                "image_input": {"list": [{"step": "landscape", "pick": "first"}, {"step": "portrait", "pick": "first"}]}
            }}
        ],
        "output": "Path"
    })
}

#[test]
fn a_list_input_is_built_from_several_steps() {
    let plan = plan(blend());
    let main = plan.main_py();
    assert!(
        main.contains("image_input=[get_path_url(landscape[0]), get_path_url(portrait[0])]"),
        "{main}"
    );
    assert!(
        main.contains("landscape_prediction = pixel_forge.create("),
        "{main}"
    );
    assert!(main.contains("return Path(blend)"), "{main}");
    assert_eq!(codes(&plan), Vec::<String>::new(), "{main}");
}

/// No invented conversion anywhere: an object with two files returned as `Path`, an object
/// field, a required input with no source — each is a placeholder naming the choices.
#[test]
fn undecidable_values_become_placeholders_naming_the_choices() {
    let plan = plan(json!({
        "steps": [
            {"model": "chigozienri/image-urls-to-video", "id": "video",
             "inputs": {"image_urls": {"input": "urls"}}},
            {"model": "acme/chatter-3b", "id": "talk", "inputs": {"system_prompt": {"value": "Be brief."}}}
        ],
        "output_fields": {"video": "video", "text": "talk"}
    }));
    let main = plan.main_py();
    assert!(
        !main.contains("json.dumps") && !main.contains("hello world"),
        "{main}"
    );
    assert!(
        main.contains(
            "video=TODO(\n            'choose what Output.video gets (Path) from video (dict{video: Path, zip?: Path}): video[\"video\"] (Path), video[\"zip\"] (Path)',\n            video,\n        ),"
        ),
        "{main}"
    );
    assert!(
        main.contains("prompt=TODO(\n            \"choose acme/chatter-3b's `prompt` (str)"),
        "{main}"
    );
    assert_eq!(codes(&plan), ["PY032", "PY032"], "{main}");
}

#[test]
fn refusals_name_the_step_the_shapes_and_the_fix() {
    let cases = [
        // A list into one string without `join`.
        json!({"steps": [
            {"model": "acme/pixel-forge", "id": "frames", "inputs": {"prompt": {"input": "prompt"}}},
            {"model": "chigozienri/image-urls-to-video", "inputs": {"image_urls": {"step": "frames", "pick": "all"}}}
        ]}),
        // Two sources for one model input.
        json!({"steps": [
            {"model": "acme/pixel-forge", "inputs": {"prompt": {"input": "prompt"}, "seed": {"value": 1}},
             "over": {"input": "seed", "values": [1, 2]}}
        ]}),
        // A pick that does not fit the input.
        json!({"steps": [
            {"model": "acme/scene-inspector", "id": "look", "inputs": {"image": {"input": "image"}, "question": {"input": "question"}}},
            {"model": "acme/upscale.x2", "inputs": {"image": {"step": "look", "pick": "answer"}}}
        ]}),
        // `join` into an input that is not a string.
        json!({"steps": [
            {"model": "acme/pixel-forge", "id": "frames", "inputs": {"prompt": {"input": "prompt"}}},
            {"model": "tasks/nano-banana", "inputs": {"prompt": {"value": "x"}, "image_input": {"step": "frames", "join": ","}}}
        ]}),
    ];
    let text: Vec<String> = cases.into_iter().map(refusal).collect();
    assert!(text[0].contains("add \"join\": \",\""), "{}", text[0]);
    assert!(
        text[0].contains("list[Path]") && text[0].contains("(str"),
        "{}",
        text[0]
    );
    assert!(text[1].contains("two sources"), "{}", text[1]);
    insta::assert_snapshot!(text.join("\n\n"));
}

/// `output_fields` keeps the order given; a list of one-entry objects keeps it even where
/// JSON objects arrive with sorted keys (MCP), and a field given twice is refused.
#[test]
fn output_fields_keep_the_order_given() {
    let mut req = voice();
    req["output_fields"] = json!([
        {"duration": {"type": "float", "description": "seconds"}},
        {"audio": "voice"}
    ]);
    let main = plan(req).main_py();
    assert!(
        main.contains("    duration: float\n    audio: Path\n"),
        "{main}"
    );
    let twice: Result<ScaffoldRequest, _> =
        serde_json::from_str(r#"{"output_fields": [{"audio": "voice"}, {"audio": "voice"}]}"#);
    assert!(twice.unwrap_err().to_string().contains("given twice"));
    let twice_in_inputs: Result<ScaffoldRequest, _> = serde_json::from_str(
        r#"{"steps": [{"model": "a/b", "inputs": {"seed": {"value": 1}, "seed": {"value": 2}}}]}"#,
    );
    assert!(
        twice_in_inputs
            .unwrap_err()
            .to_string()
            .contains("given twice")
    );
}

/// A list of objects into a text input: the refusal suggests the nested pick that fits (no
/// `join`, which only joins texts and files); a picked field the schema does not require is
/// noted as possibly absent.
#[test]
fn nested_picks_are_suggested_and_optional_fields_noted() {
    let steps = |pick: &str| {
        json!({"steps": [
            {"model": "shapes/transcriber", "id": "transcript", "inputs": {"audio": {"input": "audio"}}},
            {"model": "acme/chatter-3b", "inputs": {"prompt": {"step": "transcript", "pick": pick}}}
        ], "output_fields": {"subtitles": {"step": "transcript", "pick": "srt_file"}}})
    };
    let refused = refusal(steps("segments"));
    assert!(
        refused.contains("{\"step\": \"transcript\", \"pick\": \"segments.0.text\"}"),
        "{refused}"
    );
    assert!(!refused.contains("add \"join\""), "{refused}");
    let plan = plan(steps("segments.0.text"));
    assert!(
        plan.main_py()
            .contains("prompt=transcript[\"segments\"][0][\"text\"]"),
        "{}",
        plan.main_py()
    );
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("`transcript[\"srt_file\"]` may be absent")),
        "{:?}",
        plan.notes
    );
}
