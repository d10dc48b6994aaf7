//! The run's proxy forwards only what `replicate.use()` needs (issue 22), through the real
//! binary: a pipeline that reads the per-run token and base URL (its reads silenced with
//! `# noqa`, as any author can) and calls the account, trainings, deployments, deletes a model
//! reads another run's prediction, or smuggles a path in a name (`..%2F`) gets 403 naming
//! the endpoint, each refusal is in the
//! trace, and the fake Replicate API sees none of them; `replicate.use()` still works beside
//! them. `--max-predictions` answers 429 past the limit; `--allow-model` answers 403 with the
//! list for other models — on `run` and on a hosted `serve --allow-run`.

use serde_json::{Value, json};

use crate::fakes::Fakes;
use crate::run_tools::{project_files, run_sandbox, write_project};
use crate::support;

/// Tries the token's other powers through the proxy, then draws through `replicate.use()`.
const ATTACK_MAIN: &str = r#""""Tries every endpoint a pipeline has no business calling."""

import json
import os
import urllib.error
import urllib.request

import replicate
from cog import Input

draw = replicate.use("acme/pixel-forge")

BASE = os.environ["REPLICATE_BASE_URL"]  # noqa
TOKEN = os.environ["REPLICATE_API_TOKEN"]  # noqa

ATTEMPTS = [
    ("GET", "/v1/account", None),
    ("POST", "/v1/trainings", {"destination": "evil/copy", "input": {}}),
    ("GET", "/v1/deployments", None),
    ("DELETE", "/v1/models/acme/pixel-forge", None),
    ("GET", "/v1/predictions/someone-elses-prediction", None),
    ("POST", "/v1/predictions/someone-elses-prediction/cancel", None),
    ("GET", "/v1/files/someone-elses-file", None),
    ("GET", "/v1/hardware", None),
    ("GET", "/v1/models/acme/..%2F..%2Faccount", None),
    ("GET", "/v1/predictions/refused-0", None),
]


def call(method, path, body):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        BASE + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return [answer.status, answer.read().decode()[:400]]
    except urllib.error.HTTPError as e:
        return [e.code, e.read().decode()[:400]]


def run(prompt: str = Input(description="What to draw.")) -> str:
    report = {f"{m} {p}": call(m, p, b) for m, p, b in ATTEMPTS}
    report["draw"] = len(draw(prompt=prompt, num_outputs=1))
    return json.dumps(report)
"#;

/// Calls one model `times` times, one after the other; reports what each call did.
const LOOP_MAIN: &str = r#""""Calls a model in a loop."""

import json

import replicate
from cog import Input

echo = replicate.use("acme/echo-text")


def run(times: int = Input(description="How many calls.", default=3)) -> str:
    said = []
    for i in range(times):
        try:
            said.append(str(echo(text=f"call {i}")))
        except Exception as e:  # noqa: BLE001
            said.append(f"refused: {e}")
    return json.dumps(said)
"#;

/// Starts `times` predictions without waiting, then waits for those that started.
const BURST_MAIN: &str = r#""""Starts many predictions at once."""

import json

import replicate
from cog import Input

echo = replicate.use("acme/echo-text")


def run(times: int = Input(description="How many predictions.", default=17)) -> str:
    said, started = [], []
    for i in range(times):
        try:
            started.append(echo.create(text=f"call {i}"))
            said.append("started")
        except Exception as e:  # noqa
            said.append(f"refused: {e}")
    for prediction in started:
        prediction.output()
    return json.dumps(said)
"#;

const REFUSED: &[&str] = &[
    "/v1/account",
    "/v1/trainings",
    "/v1/deployments",
    "/v1/predictions/someone-elses-prediction",
    "/v1/files/someone-elses-file",
    "/v1/hardware",
    "/v1/models/acme/..",
    "/v1/predictions/refused-",
];

fn cli_json(sandbox: &support::Sandbox, args: &[&str]) -> (Option<i32>, Value, String) {
    let run = support::cli(sandbox, args);
    let value = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
    (run.code, value, run.stderr)
}

#[test]
fn endpoints_replicate_use_does_not_need_are_refused_and_never_reach_replicate() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes);
    let work = tempfile::tempdir().unwrap();
    let project = write_project(work.path(), "attack", ATTACK_MAIN);
    let (code, run, stderr) = cli_json(
        &sandbox,
        &[
            "run",
            &project.display().to_string(),
            "-i",
            "prompt=a fox",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(0), "{run:#}\n{stderr}");
    let report: Value = serde_json::from_str(run["output"].as_str().unwrap()).unwrap();
    let attempts = report.as_object().unwrap();
    assert_eq!(attempts.len(), 11, "{report:#}");
    for (endpoint, answer) in attempts.iter().filter(|(k, _)| *k != "draw") {
        assert_eq!(answer[0], 403, "{endpoint}: {answer}");
        let body = answer[1].as_str().unwrap();
        assert!(
            body.contains(endpoint.as_str()),
            "the 403 names {endpoint}: {body}"
        );
    }
    assert_eq!(report["draw"], 1, "replicate.use() still works: {report:#}");
    // The fake API saw the model calls and none of the refused ones.
    let seen = fakes.replicate.requests();
    for path in REFUSED {
        assert!(
            !seen.iter().any(|r| r.path.starts_with(path)),
            "{path} reached Replicate: {seen:#?}"
        );
    }
    assert!(
        !seen.iter().any(|r| r.method == "DELETE"),
        "a DELETE reached Replicate: {seen:#?}"
    );
    assert!(seen.iter().any(|r| r.path == "/v1/models/acme/pixel-forge"));
    // Each refusal is in the trace, beside the prediction that went through.
    let calls = run["calls"].as_array().unwrap();
    let refused: Vec<&Value> = calls
        .iter()
        .filter(|c| {
            c["error"]
                .as_str()
                .is_some_and(|e| e.contains("proxy refused"))
        })
        .collect();
    assert_eq!(refused.len(), 10, "{calls:#?}");
    assert!(
        refused
            .iter()
            .any(|c| c["model"] == "DELETE /v1/models/acme/pixel-forge"),
        "{calls:#?}"
    );
    assert!(
        calls
            .iter()
            .any(|c| c["model"] == "acme/pixel-forge" && c["status"] == "succeeded"),
        "{calls:#?}"
    );
}

#[test]
fn max_predictions_and_allow_model_bound_a_run() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes);
    let work = tempfile::tempdir().unwrap();
    let project = write_project(work.path(), "loop", LOOP_MAIN);
    let dir = project.display().to_string();
    let (code, run, stderr) = cli_json(
        &sandbox,
        &[
            "run",
            &dir,
            "-i",
            "times=3",
            "--max-predictions",
            "2",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(0), "{run:#}\n{stderr}");
    let said: Vec<String> = serde_json::from_str(run["output"].as_str().unwrap()).unwrap();
    assert!(
        !said[0].starts_with("refused") && !said[1].starts_with("refused"),
        "{said:?}"
    );
    assert!(
        said[2].contains("429") && said[2].contains("--max-predictions 2"),
        "{said:?}"
    );
    assert_eq!(fakes.replicate.predictions().len(), 2);

    // The env var is the flag's equivalent; a model outside the list is refused with it.
    fakes.replicate.clear_requests();
    let before = fakes.replicate.predictions().len();
    let listed = run_sandbox(&fakes).var(
        "MCP_PIPELINES_ALLOW_MODELS",
        "black-forest-labs/*,acme/other",
    );
    let (code, run, stderr) =
        cli_json(&listed, &["run", &dir, "-i", "times=1", "--format", "json"]);
    assert_eq!(code, Some(0), "{run:#}\n{stderr}");
    let said: Vec<String> = serde_json::from_str(run["output"].as_str().unwrap()).unwrap();
    assert!(
        said[0].contains("403")
            && said[0].contains("acme/echo-text")
            && said[0].contains("black-forest-labs/*, acme/other"),
        "{said:?}"
    );
    assert_eq!(fakes.replicate.predictions().len(), before);
    assert!(
        fakes
            .replicate
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/v1/models/acme/echo-text")),
        "{:#?}",
        fakes.replicate.requests()
    );
    // An allowed owner passes.
    let (code, run, stderr) = cli_json(
        &sandbox,
        &[
            "run",
            &dir,
            "-i",
            "times=1",
            "--allow-model",
            "acme/*",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(0), "{run:#}\n{stderr}");
    assert!(
        !run["output"].as_str().unwrap().contains("refused"),
        "{run:#}"
    );
    // At most 16 unfinished at once (mocked predictions that take 5 s each here).
    let burst = write_project(work.path(), "burst", BURST_MAIN);
    let (code, run, stderr) = cli_json(
        &sandbox,
        &[
            "run",
            &burst.display().to_string(),
            "--mock",
            "acme/echo-text=auto",
            "--mock-latency-ms",
            "5000",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(0), "{run:#}\n{stderr}");
    let said: Vec<String> = serde_json::from_str(run["output"].as_str().unwrap()).unwrap();
    assert_eq!(said.len(), 17, "{said:?}");
    assert!(said[..16].iter().all(|s| s == "started"), "{said:?}");
    assert!(
        said[16].contains("429") && said[16].contains("16 predictions unfinished"),
        "{said:?}"
    );
    // A malformed pattern is a usage error.
    let bad = support::cli(&sandbox, &["run", &dir, "--allow-model", "acme"]);
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    assert!(bad.stderr.contains("owner/*"), "{}", bad.stderr);
}

#[test]
fn a_hosted_server_bounds_runs_with_its_flags() {
    let fakes = Fakes::start();
    let token = "e2e-least-privilege-token-9a2f";
    let server = support::HttpServer::start_in(
        run_sandbox(&fakes).var("MCP_PIPELINES_AUTH_TOKENS", token),
        &["--allow-run", "--allow-model", "someone/*"],
    );
    let mut script = crate::py::http_script(
        &server,
        Some(token),
        "auto",
        json!([crate::run_tools::run_call(
            json!({"files": project_files(LOOP_MAIN), "inputs": {"times": 1}})
        )]),
    );
    script["timeout_s"] = json!(crate::run_tools::CALL_TIMEOUT_S);
    let doc = crate::py::run_script(&script);
    let result = crate::py::result(&doc, 0);
    let run = &result["structuredContent"];
    let output = run["output"].as_str().unwrap_or_default();
    assert!(
        output.contains("403") && output.contains("someone/*"),
        "{result:#}"
    );
    assert!(fakes.replicate.predictions().is_empty());
}
