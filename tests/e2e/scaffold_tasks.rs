//! The tasks of issue 19 through the real binary over MCP (the Python SDK over stdio), with
//! the steps an agent would send: each scaffolds in one call, validates clean (after the
//! agent's own code where the task needs some: a computed duration, a gate and a webhook),
//! and runs locally with every model mocked, returning outputs of the right types.

use std::path::Path;

use serde_json::{Value, json};

use crate::{
    fakes::Fakes,
    py,
    run_tools::{run_call, run_sandbox, stdio_run},
};

fn call(name: &str, args: Value) -> Value {
    json!({"op": "call_tool", "name": name, "args": args})
}

fn ok(doc: &Value, index: usize) -> &Value {
    let r = py::result(doc, index);
    assert!(!py::is_error(r), "operation {index}: {}", py::tool_text(r));
    &r["structuredContent"]
}

/// Scaffolds `args` into `cwd/dir` and validates it: (scaffold report, validation report).
fn scaffold_and_validate(fakes: &Fakes, cwd: &Path, dir: &str, mut args: Value) -> (Value, Value) {
    args["path"] = json!(dir);
    let doc = stdio_run(
        &run_sandbox(fakes),
        cwd,
        json!([
            call("scaffold_pipeline", args),
            call("validate_pipeline", json!({"path": dir})),
        ]),
    );
    (ok(&doc, 0).clone(), ok(&doc, 1).clone())
}

/// Validates `cwd/dir` again and runs it with every model mocked (`extra` mocks first).
fn validate_and_run(
    fakes: &Fakes,
    cwd: &Path,
    dir: &str,
    inputs: Value,
    mocks: Value,
) -> (Value, Value) {
    let doc = stdio_run(
        &run_sandbox(fakes),
        cwd,
        json!([
            call("validate_pipeline", json!({"path": dir})),
            run_call(json!({"path": dir, "inputs": inputs, "mocks": mocks, "mock_latency_ms": 50})),
        ]),
    );
    (ok(&doc, 0).clone(), ok(&doc, 1).clone())
}

fn codes(validation: &Value) -> Vec<String> {
    validation["diagnostics"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|x| x["code"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn assert_clean(validation: &Value, what: &str) {
    assert_eq!(
        validation["summary"],
        json!({"errors": 0, "warnings": 0}),
        "{what}: {validation:#}"
    );
}

/// A file the run produced, with bytes.
fn assert_file(run: &Value, value: &Value) {
    let path = value
        .as_str()
        .unwrap_or_else(|| panic!("a file path: {run:#}"));
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}\n{run:#}"));
    assert!(!bytes.is_empty(), "{path}");
}

/// A 1×1 PNG.
fn tiny_png() -> Vec<u8> {
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8,
        0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    PNG.to_vec()
}

/// A quarter second of 8 kHz 16-bit mono silence.
fn tiny_wav() -> Vec<u8> {
    let samples: u32 = 2000;
    let data = samples * 2;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&16000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    out.resize(out.len() + data as usize, 0);
    out
}

fn edit(cwd: &Path, dir: &str, f: impl FnOnce(String) -> String) {
    let file = cwd.join(dir).join("main.py");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, f(text)).unwrap();
}

/// SDXL-style slideshow: images for three prompts in parallel, joined into the one
/// comma-separated `image_urls` string; Output.video is the object's `video` field.
#[test]
fn slideshow_of_fanned_out_images_into_a_video() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    let (report, validation) = scaffold_and_validate(
        &fakes,
        work.path(),
        "slideshow",
        json!({
            "steps": [
                {"model": "acme/pixel-forge", "id": "frames",
                 "inputs": {"prompt": {"input": "prompt"}},
                 "over": {"input": "aspect_ratio", "values": ["1:1", "16:9", "9:16"]}},
                {"model": "chigozienri/image-urls-to-video", "id": "slideshow",
                 "inputs": {"image_urls": {"step": "frames", "pick": "all", "join": ","}}}
            ],
            "output_fields": {"video": {"step": "slideshow", "pick": "video"}}
        }),
    );
    let main = report["main_py"].as_str().unwrap();
    assert!(
        main.contains("for files in frames_outputs for file in files"),
        "{main}"
    );
    assert_eq!(report["placeholders"], json!([]));
    assert_clean(&validation, "slideshow");
    let (_, run) = validate_and_run(
        &fakes,
        work.path(),
        "slideshow",
        json!({"prompt": "a red fox"}),
        json!({"*": "auto"}),
    );
    assert_eq!(run["status"], "succeeded", "{run:#}");
    assert_file(&run, &run["output"]["video"]);
    let calls = run["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 4, "{run:#}");
    let urls = calls[3]["inputs"]["image_urls"].as_str().unwrap();
    assert_eq!(urls.split(',').count(), 3, "one URL per image: {urls}");
}

/// The slideshow with `models` alone: the automatic wiring joins the images' URLs into
/// `image_urls` itself (its schema says "A comma-separated list of input urls"), returns that
/// step and says so in the notes; the project validates clean and runs.
#[test]
fn models_alone_join_the_images_into_a_comma_separated_url_input() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    let (report, validation) = scaffold_and_validate(
        &fakes,
        work.path(),
        "slides",
        json!({
            "models": ["acme/pixel-forge", "chigozienri/image-urls-to-video"],
            "output_fields": [{"video": {"step": "chigozienri/image-urls-to-video", "pick": "video"}}]
        }),
    );
    let main = report["main_py"].as_str().unwrap();
    assert_eq!(
        report["steps"][1]["inputs"]["image_urls"],
        json!({"step": "acme/pixel-forge", "join": ","}),
        "{main}"
    );
    assert!(
        main.contains("\",\".join(get_path_url(file) for file in pixel_forge_output)"),
        "{main}"
    );
    let notes = report["notes"].to_string();
    assert!(notes.contains("joined with"), "{notes}");
    assert_eq!(report["placeholders"], json!([]));
    assert_clean(&validation, "slides");
    let (_, run) = validate_and_run(
        &fakes,
        work.path(),
        "slides",
        json!({"prompt": "a red fox"}),
        json!({"*": "auto"}),
    );
    assert_eq!(run["status"], "succeeded", "{run:#}");
    assert_file(&run, &run["output"]["video"]);
    let calls = run["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2, "{run:#}");
    // One URL per image, comma-separated (the trace shows a lone URL as the file it names).
    let sent = &calls[1]["inputs"]["image_urls"];
    let urls = sent
        .as_str()
        .or_else(|| sent["url"].as_str())
        .unwrap_or_else(|| panic!("{run:#}"));
    assert!(
        urls.split(',').all(|u| u.starts_with("http")),
        "the images' URLs, comma-separated: {urls}"
    );
}

/// Outpaint then caption with `models` only: the captioner gets the outpainter's image.
#[test]
fn outpaint_then_caption_chains_with_models_alone() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    let (report, validation) = scaffold_and_validate(
        &fakes,
        work.path(),
        "widen",
        json!({
            "models": ["tasks/outpainter", "andreasjansson/blip-2"],
            "inputs": [{"name": "image", "type": "Path", "description": "A photo to widen."}]
        }),
    );
    let main = report["main_py"].as_str().unwrap();
    assert!(main.contains("blip_2(image=outpainter_output)"), "{main}");
    assert_eq!(
        report["steps"][1]["inputs"]["image"],
        json!({"step": "tasks/outpainter"})
    );
    assert_clean(&validation, "widen");
    let photo = work.path().join("photo.png");
    std::fs::write(&photo, tiny_png()).unwrap();
    let (_, run) = validate_and_run(
        &fakes,
        work.path(),
        "widen",
        json!({"image": photo.display().to_string()}),
        json!({"*": "auto"}),
    );
    assert_eq!(run["status"], "succeeded", "{run:#}");
    assert!(run["output"].is_string(), "{run:#}");
    let calls = run["calls"].as_array().unwrap();
    assert_eq!(calls[1]["model"], "andreasjansson/blip-2");
    assert_eq!(
        calls[1]["inputs"]["image"]["url"], calls[0]["output"]["files"][0]["url"],
        "the captioner gets the outpainter's output: {run:#}"
    );
}

/// Voice conversion returning the audio and its duration: the duration is the agent's
/// code (a placeholder PY032 reports until it is written), the fields in the order given.
#[test]
fn voice_conversion_with_a_computed_duration() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    let (report, validation) = scaffold_and_validate(
        &fakes,
        work.path(),
        "voice",
        json!({
            "steps": [{"model": "tasks/voice-convert", "id": "voice",
                       "inputs": {"audio": {"input": "audio"}, "target_voice": {"input": "target_voice"}}}],
            "output_fields": {
                "audio": "voice",
                "duration": {"type": "float", "description": "the converted audio's length in seconds"}
            }
        }),
    );
    let main = report["main_py"].as_str().unwrap();
    assert_eq!(codes(&validation), ["PY032"], "{validation:#}");
    assert_eq!(report["placeholders"].as_array().unwrap().len(), 1);
    // The agent writes the computed field.
    let placeholder = "TODO(\n            \"compute Output.duration (float): the converted audio's length in seconds\",\n        )";
    assert!(main.contains(placeholder), "{main}");
    edit(work.path(), "voice", |m| {
        m.replace(placeholder, "wav_seconds(voice)")
            .replace("import replicate\n", "import wave\n\nimport replicate\n")
            + "\n\ndef wav_seconds(path) -> float:\n    with wave.open(str(path), \"rb\") as w:\n        return w.getnframes() / w.getframerate()\n"
    });
    let wav = work.path().join("voice.wav");
    std::fs::write(&wav, tiny_wav()).unwrap();
    let (validation, run) = validate_and_run(
        &fakes,
        work.path(),
        "voice",
        json!({"audio": wav.display().to_string()}),
        json!({"*": "auto"}),
    );
    assert_clean(&validation, "voice after the agent's edit");
    assert_eq!(run["status"], "succeeded", "{run:#}");
    assert_file(&run, &run["output"]["audio"]);
    assert!(
        run["output"]["duration"].as_f64().is_some_and(|d| d > 0.0),
        "{run:#}"
    );
}

/// A safety-gated LLM posting to a webhook: the webhook inputs are declared for the agent's
/// code, the checks run together; the agent adds the gate and the post.
#[test]
fn safety_gated_llm_with_inputs_for_the_agents_code() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    let (report, validation) = scaffold_and_validate(
        &fakes,
        work.path(),
        "gated",
        json!({
            "inputs": [
                {"name": "prompt", "type": "str", "description": "The question."},
                {"name": "webhook_url", "type": "str", "description": "Where to post the answer.", "default": ""},
                {"name": "webhook_token", "type": "Secret", "description": "The webhook's token."}
            ],
            "steps": [
                {"model": "shapes/safety-check", "id": "safety", "inputs": {"prompt": {"input": "prompt"}}},
                {"model": "acme/chatter-3b", "id": "answer", "inputs": {"prompt": {"input": "prompt"}}}
            ],
            "output": "str"
        }),
    );
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("`webhook_token` is not used by any step"),
        "{notes}"
    );
    // The verdict is read by the agent's gate, not by a step: a placeholder until then.
    assert_eq!(
        codes(&validation),
        ["PY029", "PY029", "PY032"],
        "{validation:#}"
    );
    edit(work.path(), "gated", |m| {
        // The placeholder statement, broken over lines at the line width.
        let start = m.find("    TODO(\n        \"use safety (str)").unwrap();
        let end = start + m[start..].find("\n    )\n").unwrap() + "\n    )\n".len();
        let m = format!("{}{}", &m[..start], &m[end..]);
        m.replace("import replicate\n", "import urllib.request\n\nimport replicate\n")
            .replace(
                "    return answer\n",
                "    if safety.strip() != \"safe\":\n        return \"Refused: the prompt is not safe.\"\n    if webhook_url:\n        request = urllib.request.Request(\n            webhook_url,\n            data=answer.encode(),\n            headers={\"Authorization\": f\"Bearer {webhook_token.get_secret_value()}\"},\n        )\n        urllib.request.urlopen(request, timeout=10)\n    return answer\n",
            )
    });
    let (validation, run) = validate_and_run(
        &fakes,
        work.path(),
        "gated",
        json!({"prompt": "a red fox", "webhook_token": "t0ken"}),
        json!({"shapes/safety-check": "safe", "*": "auto"}),
    );
    assert_clean(&validation, "gated after the agent's edit");
    assert_eq!(run["status"], "succeeded", "{run:#}");
    assert!(
        run["output"].is_string() && run["output"] != "Refused: the prompt is not safe.",
        "{run:#}"
    );
}

/// Two images blended by a model that takes a list of images: the list is built from both
/// steps as URLs, and the two independent image calls are started together.
#[test]
fn two_images_blended_through_a_list_input() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    let (report, validation) = scaffold_and_validate(
        &fakes,
        work.path(),
        "blend",
        json!({
            "steps": [
                {"model": "acme/pixel-forge", "id": "landscape", "inputs": {"prompt": {"input": "landscape_prompt"}}},
                {"model": "acme/pixel-forge", "id": "portrait", "inputs": {"prompt": {"input": "portrait_prompt"}}},
                {"model": "tasks/nano-banana", "id": "blend", "inputs": {
                    "prompt": {"value": "Blend the two images into one scene."},
                    "image_input": {"list": [{"step": "landscape", "pick": "first"}, {"step": "portrait", "pick": "first"}]}
                }}
            ],
            "output": "Path"
        }),
    );
    let main = report["main_py"].as_str().unwrap();
    assert!(
        main.contains("landscape_prediction = pixel_forge.create("),
        "{main}"
    );
    assert_clean(&validation, "blend");
    let (_, run) = validate_and_run(
        &fakes,
        work.path(),
        "blend",
        json!({"landscape_prompt": "hills", "portrait_prompt": "a face"}),
        json!({"*": "auto"}),
    );
    assert_eq!(run["status"], "succeeded", "{run:#}");
    assert_file(&run, &run["output"]);
    let calls = run["calls"].as_array().unwrap();
    let images = calls[2]["inputs"]["image_input"].as_array().unwrap();
    assert_eq!(images.len(), 2, "{run:#}");
}
