//! How `scaffold_pipeline` wires models, through the real binary: no model is called without
//! arguments, `steps` (fan-out, image → vision LLM) and `output_fields` through the MCP tool
//! and the CLI's `--steps @file.json` / `--output-field`.

use serde_json::json;

use crate::{
    fakes::Fakes,
    py,
    scaffold_tools::{IMAGE, LLM, assert_clean, call, file, read, report},
    support,
};

/// A model whose schema requires nothing is never called without arguments: the scaffold
/// adds a run() input for its prompt (and validates clean), or, when the declared inputs
/// leave nothing to pass, refuses with the model's inputs. `Output` fields are named by what
/// they hold; the README's example passes an audio file for an audio input.
#[test]
fn wiring_never_calls_a_model_without_arguments() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    let doc = py::stdio_in(
        &fakes.sandbox(),
        work.path(),
        json!([
            call(
                "fetch_model_schema",
                json!({"models": ["shapes/vision-chat", "shapes/transcriber", IMAGE, LLM]})
            ),
            call(
                "scaffold_pipeline",
                json!({"path": "vision", "models": ["shapes/vision-chat"]})
            ),
            call("validate_pipeline", json!({"path": "vision"})),
            call(
                "scaffold_pipeline",
                json!({"inline": true, "models": ["shapes/vision-chat"], "inputs": []})
            ),
            call(
                "scaffold_pipeline",
                json!({"inline": true, "models": ["shapes/transcriber", LLM], "output": "Output"})
            ),
        ]),
    );
    let main = std::fs::read_to_string(work.path().join("vision/main.py")).unwrap();
    assert!(main.contains("vision_chat(prompt=prompt)"), "{main}");
    let validated = report(&doc, 2);
    assert_eq!(validated["summary"]["errors"], 0, "{validated}");
    assert_eq!(validated["summary"]["warnings"], 0, "{validated}");

    // No run() input to give it: its main input is a placeholder that cannot ship (PY032),
    // listed by line; never a call without arguments nor a made-up value.
    let placeheld = report(&doc, 3);
    let main = placeheld["main_py"].as_str().unwrap();
    assert!(
        main.contains("prompt=TODO(\n            \"choose shapes/vision-chat's `prompt` (str)"),
        "{main}"
    );
    assert!(
        placeheld["placeholders"][0]
            .as_str()
            .is_some_and(|p| p.starts_with("main.py:")),
        "{placeheld}"
    );

    let audio = report(&doc, 4);
    let main = file(audio, "main.py")["content"].as_str().unwrap();
    assert!(main.contains("    text: str"), "{main}");
    assert!(!main.contains("chatter_3b: str"), "{main}");
    let readme = file(audio, "README.md")["content"].as_str().unwrap();
    assert!(readme.contains("-i audio=@input.wav"), "{readme}");
}

/// `steps` through the real binary: the MCP tool writes a fan-out and an image → vision
/// LLM project that validate clean; the CLI takes `--steps @file.json` and
/// `--output-field`, and a bad step is an actionable error.
#[test]
fn steps_and_output_fields_through_the_tool_and_the_cli() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    let fan_out = json!([
        {"model": "acme/quick-caption", "id": "captions",
         "inputs": {"image": {"input": "image"}},
         "over": {"input": "style", "values": ["plain", "poetic", "technical"]}}
    ]);
    let doc = py::stdio_in(
        &fakes.sandbox(),
        work.path(),
        json!([
            call(
                "scaffold_pipeline",
                json!({"path": "fan", "steps": fan_out})
            ),
            call("validate_pipeline", json!({"path": "fan"})),
            call(
                "scaffold_pipeline",
                json!({"inline": true, "steps": [
                    {"model": "acme/pixel-forge", "inputs": {"prompt": {"input": "prompt"}}},
                    {"model": "acme/nope-not-fetched", "inputs": {}}
                ]})
            ),
            call(
                "scaffold_pipeline",
                json!({"inline": true, "steps": [
                {"model": IMAGE, "inputs": {"prompt": {"input": "prompt"}}},
                {"model": "shapes/vision-chat", "id": "describe", "inputs": {
                    "image": {"step": IMAGE, "pick": "first"},
                    "prompt": {"value": "Describe this image."}}}
            ], "output_fields": {"picture": IMAGE, "caption": "describe"}})
            ),
        ]),
    );
    let main = std::fs::read_to_string(work.path().join("fan/main.py")).unwrap();
    assert!(
        main.contains("quick_caption.create(image=image, style=style)")
            && main.contains("for style in [\"plain\", \"poetic\", \"technical\"]"),
        "{main}"
    );
    assert_clean(report(&doc, 1), "fan-out");
    assert!(
        py::is_error(py::result(&doc, 2)),
        "{}",
        py::tool_text(py::result(&doc, 2))
    );
    let chain = report(&doc, 3);
    let main = file(chain, "main.py")["content"].as_str().unwrap();
    assert!(main.contains("prompt=\"Describe this image.\""), "{main}");
    assert!(main.contains("image=pixel_forge_output[0]"), "{main}");
    assert!(
        main.contains("    caption: str\n    picture: Path"),
        "{main}"
    );

    // The CLI: --steps @file.json and --output-field.
    let sandbox = fakes.sandbox();
    let steps_file = sandbox.scratch().join("steps.json");
    std::fs::write(
        &steps_file,
        json!([
            {"model": "shapes/safety-check", "id": "verdict", "inputs": {"prompt": {"input": "prompt"}}},
            {"model": LLM, "id": "answer", "inputs": {"prompt": {"input": "prompt"}}}
        ])
        .to_string(),
    )
    .unwrap();
    let dir = sandbox.scratch().join("guarded");
    let dir_arg = dir.display().to_string();
    let steps_arg = format!("@{}", steps_file.display());
    let out = support::run_to_end(
        &mut sandbox.command(&[
            "scaffold",
            &dir_arg,
            "--steps",
            &steps_arg,
            "--output-field",
            "verdict=verdict",
            "--output-field",
            "answer=answer",
        ]),
        b"",
        "mcp-pipelines scaffold --steps",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let main = read(&dir, "main.py");
    // Independent checks start together; the fields keep the order given.
    assert!(
        main.contains("verdict_prediction = safety_check.create(prompt=prompt)"),
        "{main}"
    );
    assert!(
        main.contains("return Output(verdict=verdict, answer=answer)"),
        "{main}"
    );
    let out = support::run_to_end(
        &mut sandbox.command(&["validate", &dir_arg, "--format", "json"]),
        b"",
        "mcp-pipelines validate",
    );
    assert_eq!(out.status.code(), Some(0));
    let bad = support::run_to_end(
        &mut sandbox.command(&["scaffold", &dir_arg, "--steps", "[{\"model\": 3}]"]),
        b"",
        "mcp-pipelines scaffold --steps bad",
    );
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--steps"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
