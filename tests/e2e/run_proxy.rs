//! The run's Replicate proxy through the real binary: on a hosted server (`serve --http
//! --allow-run`) the pipeline gets a per-run token, never the server's; the trace comes back
//! in the structured result; `run --mock '*=auto'` runs a chain offline, without a token,
//! and prints the trace in JSON and as a table.

use serde_json::{Value, json};

use crate::{
    fakes::{Fakes, REPLICATE_TOKEN},
    py,
    run_tools::{CALL_TIMEOUT_S, project_files, run_sandbox, write_project},
    support::{self, HttpServer},
};

const HTTP_TOKEN: &str = "e2e-proxy-token-5c1e";

/// Reports every place in its own process tree a token could be read from, then calls a model.
const SECRETS_MAIN: &str = r#""""Dumps what the pipeline can read, then echoes."""

import os

import cog
import replicate

echo = replicate.use("acme/echo-text")


def run() -> str:
    seen = ["context=" + str(cog.current_scope().context.get("replicate_api_token"))]
    for pid in ("self", str(os.getppid())):
        for name in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as f:
                    seen.extend(f.read().decode(errors="replace").split("\0"))
            except OSError:
                pass
    seen.append("echo=" + str(echo(text="hello")))
    return "\n".join(seen)
"#;

/// Draws a picture with one model, has another describe it.
const CHAIN_MAIN: &str = r#""""Draws a picture, then has a chat model describe it."""

import replicate
from cog import BaseModel, Input, Path

draw = replicate.use("acme/pixel-forge")
describe = replicate.use("acme/chatter-3b")


class Output(BaseModel):
    image: Path
    caption: str


def run(prompt: str = Input(description="What to draw.")) -> Output:
    images = draw(prompt=prompt, num_outputs=1)
    caption = describe(prompt=f"Describe: {prompt}", image=images[0])
    return Output(image=Path(images[0]), caption=caption)
"#;

#[test]
fn hosted_runs_go_through_the_proxy_and_never_see_the_server_token() {
    let fakes = Fakes::start();
    fakes.replicate.require_token(Some(REPLICATE_TOKEN));
    let server = HttpServer::start_in(
        run_sandbox(&fakes).var("MCP_PIPELINES_AUTH_TOKENS", HTTP_TOKEN),
        &["--allow-run"],
    );
    let mut script = py::http_script(
        &server,
        Some(HTTP_TOKEN),
        "auto",
        json!([{"op": "call_tool", "name": "run_locally",
                "args": {"files": project_files(SECRETS_MAIN)}, "timeout_s": CALL_TIMEOUT_S}]),
    );
    script["timeout_s"] = json!(CALL_TIMEOUT_S);
    let doc = py::run_script(&script);
    let result = py::result(&doc, 0);
    let run = &result["structuredContent"];
    assert_eq!(run["status"], "succeeded", "{result:#}");
    let seen = run["output"].as_str().unwrap();
    assert!(seen.contains("echo=hello"), "{seen}");
    assert!(
        !seen.contains(REPLICATE_TOKEN),
        "the server's token reached the pipeline"
    );
    let env_token = seen
        .lines()
        .find_map(|l| l.strip_prefix("REPLICATE_API_TOKEN="))
        .expect("a per-run token in the environment");
    assert!(env_token.starts_with("r8_run_"), "{env_token}");
    assert!(seen.contains(&format!("context={env_token}")), "{seen}");

    // Upstream saw the real token on every request.
    let requests = fakes.replicate.requests_to("/v1/");
    assert!(
        requests
            .iter()
            .any(|r| r.method == "POST" && r.path == "/v1/predictions"),
        "{requests:#?}"
    );
    let bearer = format!("Bearer {REPLICATE_TOKEN}");
    for r in &requests {
        assert_eq!(
            r.authorization.as_deref(),
            Some(bearer.as_str()),
            "{} {}",
            r.method,
            r.path
        );
    }
    // The trace is in the structured result.
    let calls = run["calls"].as_array().expect("calls");
    assert_eq!(calls.len(), 1, "{run:#}");
    assert_eq!(calls[0]["model"], "acme/echo-text");
    assert_eq!(calls[0]["mocked"], false);
    assert_eq!(calls[0]["inputs"], json!({"text": "hello"}));
    assert_eq!(calls[0]["status"], "succeeded");
    assert_eq!(calls[0]["output"]["kind"], "text");
    assert!(calls[0]["started_ms"].as_u64().unwrap() <= calls[0]["ended_ms"].as_u64().unwrap());
    drop(server);
}

#[test]
fn cli_run_with_every_model_mocked_needs_no_token_and_calls_nothing() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes);
    // The schemas are fetched once (with a token), as an agent would before writing code.
    let out = support::run_to_end(
        &mut sandbox.command(&["schema", "acme/pixel-forge", "acme/chatter-3b"]),
        b"",
        "mcp-pipelines schema",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fakes.replicate.clear_requests();

    let offline = sandbox.var("REPLICATE_API_TOKEN", "");
    let work = tempfile::tempdir().unwrap();
    let project = write_project(work.path(), "fox", CHAIN_MAIN);
    let dir = project.display().to_string();
    let out = support::run_to_end(
        &mut offline.command(&[
            "run",
            &dir,
            "-i",
            "prompt=a red fox",
            "--mock",
            "*=auto",
            "--mock-latency-ms",
            "200",
            "--format",
            "json",
        ]),
        b"",
        "mcp-pipelines run --mock",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let run: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        run["output"]["caption"], "Mock output of acme/chatter-3b.",
        "{run:#}"
    );
    // pixel-forge's `output_format` defaults to webp: a real WebP, as the model sends.
    let image = std::fs::read(run["output"]["image"].as_str().unwrap()).unwrap();
    assert!(
        image.starts_with(b"RIFF") && &image[8..12] == b"WEBP",
        "a real WebP came back"
    );
    let calls = run["calls"].as_array().unwrap();
    let models: Vec<&str> = calls.iter().map(|c| c["model"].as_str().unwrap()).collect();
    assert_eq!(models, ["acme/pixel-forge", "acme/chatter-3b"]);
    assert!(
        calls
            .iter()
            .all(|c| c["mocked"] == true && c["status"] == "succeeded"),
        "{run:#}"
    );
    assert_eq!(calls[0]["output"]["files"][0]["content_type"], "image/webp");
    // The second model got the first one's file, by URL.
    assert_eq!(
        calls[1]["inputs"]["image"]["content_type"], "image/webp",
        "{run:#}"
    );
    assert!(
        fakes.replicate.requests().is_empty(),
        "{:#?}",
        fakes.replicate.requests()
    );

    // The same with a fixed output, as a table.
    let out = support::run_to_end(
        &mut offline.command(&[
            "run",
            &dir,
            "-i",
            "prompt=a red fox",
            "--mock",
            "acme/pixel-forge=auto",
            "--mock",
            r#"acme/chatter-3b=["A fox ", "in red."]"#,
            "--format",
            "text",
        ]),
        b"",
        "mcp-pipelines run --mock --format text",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("A fox in red."), "{stdout}");
    assert!(stdout.contains("model calls (2):"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("acme/chatter-3b") && l.contains(" mock ")),
        "{stdout}"
    );

    // Without the mocks and without a token: refused upfront, naming both ways out.
    let out = support::run_to_end(
        &mut offline.command(&[
            "run",
            &dir,
            "-i",
            "prompt=a red fox",
            "--mock",
            "acme/pixel-forge=auto",
        ]),
        b"",
        "mcp-pipelines run without a token",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("acme/chatter-3b")
            && stderr.contains("mocks")
            && stderr.contains("REPLICATE_API_TOKEN"),
        "{stderr}"
    );
    assert!(fakes.replicate.requests().is_empty());
}
