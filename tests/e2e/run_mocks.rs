//! Realistic mocks and a readable trace, through the real binary, offline (every model
//! mocked, no token): `"auto"` answers with the model's own example (a classifier's
//! vocabulary), makes the files the call asks for (an `mp4: true` clip is an MP4,
//! `output_format: "wav"` a WAV, `num_outputs: 3` three pictures), refuses what the API
//! refuses (a real schema's bounds); fixed mocks give files as `data:` URIs or local paths,
//! `{"sequence": [..]}` answers a retry; the text marks calls `real`/`mock` with their inputs
//! whole, and a failed run shows the last log lines after its error; a relative file input is
//! found in the client's root, and one found nowhere names the paths tried.

use serde_json::{Value, json};

use crate::{
    fakes::Fakes,
    py,
    run_tools::{run_call, run_sandbox, stdio_run, write_project},
    support,
};

/// Four models answered by `"auto"`, and the same model called out of its schema's bounds.
const AUTO_MAIN: &str = r#""""Checks a prompt, animates it, sets it to music and draws it."""

import replicate
from cog import BaseModel, Input, Path

guard = replicate.use("shapes/safety-check")
animate = replicate.use("shapes/frame-animator")
compose = replicate.use("shapes/music-maker")
draw = replicate.use("shapes/stable-diffusion")


class Output(BaseModel):
    verdict: str
    clip: Path
    song: Path
    picture: Path
    refused: str


def run(prompt: str = Input(description="What to make.")) -> Output:
    verdict = guard(prompt=prompt)
    clip = animate(prompt=prompt, mp4=True)
    song = compose(prompt=prompt, output_format="wav")
    pictures = draw(prompt=prompt, num_outputs=3)
    refused = []
    for n, scale in ((8, 7.5), (1, 0)):
        try:
            draw(prompt=prompt, num_outputs=n, guidance_scale=scale)
        except Exception as e:
            refused.append(str(e))
    return Output(
        verdict=verdict,
        clip=Path(clip),
        song=Path(song),
        picture=Path(pictures[2]),
        refused="\n".join(refused),
    )
"#;

/// Upscales a picture, retrying once when the model fails, then has a chat model describe it.
const RETRY_MAIN: &str = r#""""Upscales a picture (with one retry), then describes it."""

import replicate
from cog import Input, Path
from replicate.exceptions import ModelError

upscale = replicate.use("acme/upscale.x2")
describe = replicate.use("acme/chatter-3b")


def run(
    image: Path = Input(description="The picture."),
    note: str = Input(description="What to say about it."),
) -> Path:
    big = None
    for attempt in range(2):
        try:
            big = upscale(image=image)
            break
        except ModelError as e:
            print(f"e2e-retry: attempt {attempt} failed: {e}", flush=True)
    print("e2e-retry: describing", flush=True)
    words = describe(prompt=note, image=big)
    print(f"e2e-retry: {words}", flush=True)
    return Path(big)
"#;

/// A 1×1 PNG.
const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/// The same PNG's bytes.
const PNG: &[u8] = &[
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0,
    0, 0, 31, 21, 196, 137, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 100, 248, 207, 80, 15, 0, 3,
    134, 1, 128, 90, 52, 125, 107, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

fn png_bytes() -> Vec<u8> {
    PNG.to_vec()
}

#[test]
fn auto_mocks_answer_as_the_model_would_and_refuse_what_the_api_refuses() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes);
    let models = [
        "shapes/safety-check",
        "shapes/frame-animator",
        "shapes/music-maker",
        "shapes/stable-diffusion",
    ];
    let mut args = vec!["schema"];
    args.extend(models);
    let out = support::run_to_end(&mut sandbox.command(&args), b"", "mcp-pipelines schema");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fakes.replicate.clear_requests();

    let offline = sandbox.var("REPLICATE_API_TOKEN", "");
    let work = tempfile::tempdir().unwrap();
    let project = write_project(work.path(), "maker", AUTO_MAIN);
    let dir = project.display().to_string();
    let run = |format: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            &dir,
            "-i",
            "prompt=a red fox",
            "--mock",
            "*=auto",
            "--mock-latency-ms",
            "20",
            "--format",
            format,
        ];
        args.extend(extra);
        let out = support::run_to_end(&mut offline.command(&args), b"", "mcp-pipelines run");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
        stdout
    };
    let run_json: Value = serde_json::from_str(&run("json", &[])).unwrap();
    let output = &run_json["output"];
    // The classifier's own example output, not a made-up string.
    assert_eq!(output["verdict"], "unsafe\nS2", "{run_json:#}");
    let clip = std::fs::read(output["clip"].as_str().unwrap()).unwrap();
    assert_eq!(&clip[4..8], b"ftyp", "`mp4: true` gives an MP4");
    assert!(
        output["clip"].as_str().unwrap().ends_with(".mp4"),
        "{output}"
    );
    let song = std::fs::read(output["song"].as_str().unwrap()).unwrap();
    assert!(
        song.starts_with(b"RIFF") && &song[8..12] == b"WAVE",
        "`output_format: wav`"
    );
    let picture = std::fs::read(output["picture"].as_str().unwrap()).unwrap();
    assert!(picture.starts_with(b"\x89PNG"));
    let calls = run_json["calls"].as_array().unwrap();
    assert_eq!(
        calls[3]["output"]["count"], 3,
        "num_outputs files: {:#}",
        calls[3]
    );
    // Out of the real schema's bounds: the API's 422, for both calls.
    let refused = output["refused"].as_str().unwrap();
    assert!(
        refused.contains("input.num_outputs: Must be less than or equal to 4")
            && refused.contains("input.guidance_scale: Must be greater than or equal to 1"),
        "{refused}"
    );
    assert_eq!(calls.len(), 6, "{run_json:#}");
    assert!(
        calls[4..]
            .iter()
            .all(|c| c["status"] == "failed" && c["mocked"] == true),
        "{calls:#?}"
    );
    assert!(
        fakes.replicate.requests().is_empty(),
        "nothing left the machine"
    );

    // The text: every call marked, inputs whole; `--harness-logs` shows cog's lines.
    let text = run("text", &["--harness-logs", "--trace", "full"]);
    assert!(text.contains("model calls (6):"), "{text}");
    let mock_rows = text
        .lines()
        .filter(|l| l.contains("shapes/") && l.contains(" mock "))
        .count();
    assert_eq!(mock_rows, 6, "{text}");
    assert!(
        text.contains("inputs: mp4=true, prompt=\"a red fox\""),
        "{text}"
    );
    assert!(text.contains("harness logs (cog and the harness"), "{text}");
}

#[test]
fn fixed_mocks_sequences_files_and_a_trace_an_agent_can_read() {
    let fakes = Fakes::start();
    let online = run_sandbox(&fakes);
    let out = support::run_to_end(
        &mut online.command(&["schema", "acme/upscale.x2", "acme/chatter-3b"]),
        b"",
        "mcp-pipelines schema",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sandbox = online.var("REPLICATE_API_TOKEN", "");
    let work = tempfile::tempdir().unwrap();
    let project = write_project(work.path(), "retry", RETRY_MAIN);
    // The input picture is in the workspace (the server's root), not in the project.
    std::fs::write(work.path().join("photo.png"), png_bytes()).unwrap();
    std::fs::write(project.join("take.png"), png_bytes()).unwrap();
    let note = format!("{} the end", "a long note ".repeat(120));
    let data_uri = format!("data:image/png;base64,{PNG_B64}");
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([
            run_call(json!({
                "path": "retry",
                "inputs": {"image": "photo.png", "note": note},
                "mocks": {
                    "acme/upscale.x2": {"sequence": [{"error": "GPU busy"}, data_uri]},
                    "acme/chatter-3b": "auto"
                },
                "mock_latency_ms": 20
            })),
            run_call(json!({
                "path": "retry",
                "inputs": {"image": "photo.png", "note": format!("{note}{}", "x".repeat(2_500))},
                "mocks": {"acme/upscale.x2": "./take.png", "acme/chatter-3b": {"error": "no words left"}},
                "mock_latency_ms": 20,
                "trace": "full",
            })),
            run_call(
                json!({"path": "retry", "inputs": {"image": "nope.png", "note": "x"},
                            "mocks": {"*": "auto"}})
            ),
        ]),
    );

    // 1. A retry answered by a sequence; the second answer a `data:` URI file.
    let first = py::result(&doc, 0);
    let text = py::tool_text(first);
    assert!(!py::is_error(first), "{text}");
    let run = &first["structuredContent"];
    let file = std::fs::read(run["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        file,
        png_bytes(),
        "the data: URI mock is the file the pipeline got"
    );
    let statuses: Vec<(&str, &str)> = run["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["model"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("acme/upscale.x2", "failed"),
            ("acme/upscale.x2", "succeeded"),
            ("acme/chatter-3b", "succeeded")
        ],
        "{run:#}"
    );
    assert!(
        run["logs"]
            .as_str()
            .unwrap()
            .contains("attempt 0 failed: Prediction mock-"),
        "{run:#}"
    );
    assert_eq!(run["calls"][0]["error"], "GPU busy");
    // The text shows every input whole (the note, 1,450 chars) and the upload's real type.
    assert!(text.contains(&note), "{text}");
    assert!(
        text.contains("        prompt: \""),
        "a line per input: {text}"
    );
    assert!(text.contains("(image/png, 70 bytes)"), "{text}");
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("acme/") && l.contains(" mock "))
            .count(),
        3,
        "{text}"
    );

    // 2. A local file as a mock; a failure shows the log tail after the error; "full" trace.
    let second = py::result(&doc, 1);
    let text = py::tool_text(second);
    assert!(py::is_error(second), "{text}");
    let error_at = text.find("error: ").expect("the error");
    let logs_at = text
        .find("logs (the pipeline's output)")
        .expect("the log tail");
    let calls_at = text.find("model calls").expect("the trace");
    assert!(error_at < logs_at && logs_at < calls_at, "{text}");
    if !second["structuredContent"]["harness_logs"]
        .as_str()
        .unwrap_or("")
        .trim()
        .is_empty()
    {
        let harness_at = text
            .find("harness logs (cog and the harness")
            .expect("harness tail");
        assert!(logs_at < harness_at && harness_at < calls_at, "{text}");
    }
    assert!(text.contains("e2e-retry: describing"), "{text}");
    assert!(text.contains("no words left"), "{text}");
    assert!(
        text.contains(&"x".repeat(2_500)),
        "`trace: full` is uncut: {text}"
    );

    // 3. A file found nowhere: the paths tried.
    let third = py::result(&doc, 2);
    let said = py::tool_text(third);
    assert!(py::is_error(third), "{said}");
    let project_path = project.canonicalize().unwrap().join("nope.png");
    let root_path = work.path().join("nope.png");
    assert!(
        said.contains(&project_path.display().to_string())
            && said.contains(&root_path.display().to_string()),
        "{said}"
    );
}
