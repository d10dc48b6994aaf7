//! `run_locally` and the `run` CLI verb through the real binary, on real parts: a Python
//! ≥ 3.12 venv with cog and replicate from PyPI (built once under `target/e2e-run-cache` and
//! shared by every test here), cog's HTTP server, and the real replicate-python client
//! calling the fake Replicate API on 127.0.0.1.
//!
//! The venvs are keyed by the requirements, and the projects here pin what `scaffold_pipeline`
//! pins, so the scaffolded pipelines of other tests would share the same venv. The cache dir
//! (store, venvs, outputs) is shared; each test keeps its own fake API and project dirs.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use serde_json::{Value, json};

use crate::{
    fakes::{Fakes, REPLICATE_TOKEN},
    py,
    support::{self, HttpServer, Sandbox},
};

const HTTP_TOKEN: &str = "e2e-run-token-90b4";

/// Read timeout of one run_locally call: the first run on a machine builds the venv
/// (pip install from PyPI). A hang guard, not a performance assertion.
pub(crate) const CALL_TIMEOUT_S: u64 = 170;

/// The requirements `scaffold_pipeline` writes from the Rulebook defaults.
pub(crate) const REQUIREMENTS: &str = "cog>=0.15.3\nreplicate>=1.1.0b1,<2.0.0a1\n";

pub(crate) const COG_YAML: &str =
    "build:\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n";

/// Draws a picture with one model, has another describe it. Both bound at module scope.
pub(crate) const CHAIN_MAIN: &str = r#""""Draws a picture, then has a chat model describe it."""

import replicate
from cog import BaseModel, Input, Path

draw = replicate.use("acme/pixel-forge")
describe = replicate.use("acme/chatter-3b")


class Output(BaseModel):
    image: Path
    caption: str


def run(
    prompt: str = Input(description="What to draw."),
    sentences: int = Input(description="How long the caption is.", default=1, ge=1, le=3),
) -> Output:
    print(f"e2e-chain: drawing {prompt}", flush=True)
    images = draw(prompt=prompt, num_outputs=1)
    print(f"e2e-chain: describing {len(images)} image(s)", flush=True)
    caption = describe(
        prompt=f"Describe in {sentences} sentence(s): {prompt}", image=images[0]
    )
    return Output(image=Path(images[0]), caption=caption)
"#;

/// Binds a model inside run(): a validation error (PY001). Importing it leaves a marker.
const INVALID_MAIN: &str = r#"import pathlib

import replicate
from cog import Input

pathlib.Path("imported.marker").write_text("the module was imported")


def run(prompt: str = Input(description="Anything.")) -> str:
    echo = replicate.use("acme/echo-text")
    return str(echo(text=prompt))
"#;

/// Starts a grandchild that outlives nothing, then sleeps far past any test's timeout.
pub(crate) const SLEEPY_MAIN: &str = r#"import subprocess
import time

from cog import Input


def run(seconds: int = Input(description="How long to wait.", default=600)) -> str:
    subprocess.Popen(["sleep", str(seconds)])
    print("e2e-sleepy: sleeping", flush=True)
    time.sleep(seconds)
    return "woke up"
"#;

/// The project files with `main` as main.py.
pub(crate) fn project_files(main: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("cog.yaml".to_string(), COG_YAML.to_string()),
        ("requirements.txt".to_string(), REQUIREMENTS.to_string()),
        ("main.py".to_string(), main.to_string()),
    ])
}

/// Writes a project into `dir/name`, returning its path.
pub(crate) fn write_project(dir: &Path, name: &str, main: &str) -> PathBuf {
    let project = dir.join(name);
    std::fs::create_dir_all(&project).unwrap();
    for (file, text) in project_files(main) {
        std::fs::write(project.join(file), text).unwrap();
    }
    project
}

/// The cache shared by every run test (venvs take a pip install to build).
pub(crate) fn shared_cache() -> PathBuf {
    support::target_dir().join("e2e-run-cache")
}

/// The fakes' sandbox with the shared cache; the client polls predictions without delay.
pub(crate) fn run_sandbox(fakes: &Fakes) -> Sandbox {
    fakes
        .sandbox()
        .var(
            "MCP_PIPELINES_CACHE_DIR",
            &shared_cache().display().to_string(),
        )
        .var("REPLICATE_POLL_INTERVAL", "0")
}

/// A run_locally call with a progress token.
pub(crate) fn run_call(args: Value) -> Value {
    json!({"op": "call_tool", "name": "run_locally", "args": args,
           "progress": true, "timeout_s": CALL_TIMEOUT_S})
}

/// `ops` on a stdio server whose working directory is `cwd`.
pub(crate) fn stdio_run(sandbox: &Sandbox, cwd: &Path, ops: Value) -> Value {
    let mut script = py::in_dir(py::stdio_script(sandbox, "auto", ops), cwd);
    script["timeout_s"] = json!(CALL_TIMEOUT_S);
    py::run_script(&script)
}

/// The progress messages operation `index` received.
pub(crate) fn progress_messages(doc: &Value, index: usize) -> Vec<String> {
    doc["results"][index]["progress"]
        .as_array()
        .expect("the call asked for progress")
        .iter()
        .filter_map(|p| p["message"].as_str().map(str::to_string))
        .collect()
}

/// Live (not zombie) processes whose working directory is under `root`.
pub(crate) fn live_processes_under(root: &Path) -> Vec<String> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if entry.file_name().to_string_lossy().parse::<u32>().is_err() {
            continue;
        }
        let Ok(cwd) = std::fs::read_link(entry.path().join("cwd")) else {
            continue;
        };
        if !cwd.starts_with(&root) {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .unwrap_or("");
        if !state.is_empty() && state != "Z" && state != "X" {
            let cmdline = std::fs::read_to_string(entry.path().join("cmdline")).unwrap_or_default();
            found.push(format!(
                "{} {}",
                entry.file_name().to_string_lossy(),
                cmdline.replace('\0', " ")
            ));
        }
    }
    found
}

/// Checks a succeeded run of [`CHAIN_MAIN`] with prompt `prompt`.
fn assert_chain_succeeded(run: &Value, prompt: &str) {
    assert_eq!(run["status"], "succeeded", "{run:#}");
    assert_eq!(
        run["output"]["caption"],
        format!("Here is my answer to: Describe in 1 sentence(s): {prompt}"),
        "{run:#}"
    );
    let files: Vec<PathBuf> = run["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| PathBuf::from(f.as_str().unwrap()))
        .collect();
    assert_eq!(files.len(), 1, "{run:#}");
    assert!(files[0].is_absolute(), "{run:#}");
    let bytes = std::fs::read(&files[0]).unwrap_or_else(|e| panic!("{}: {e}", files[0].display()));
    assert!(!bytes.is_empty());
    assert_eq!(
        run["output"]["image"],
        json!(files[0].display().to_string()),
        "the output names the file that came back: {run:#}"
    );
}

/// Both models were called in order, every prediction with the server's token.
fn assert_chain_called(fakes: &Fakes, prompt: &str) {
    let predictions = fakes.replicate.predictions();
    let models: Vec<&str> = predictions
        .iter()
        .map(|p| p["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        models,
        ["acme/pixel-forge", "acme/chatter-3b"],
        "{predictions:#?}"
    );
    assert_eq!(predictions[0]["input"]["prompt"], prompt);
    // The caption model got the first image, uploaded by the client.
    assert!(
        predictions[1]["input"]["image"].is_string(),
        "{predictions:#?}"
    );
    let creates: Vec<_> = fakes
        .replicate
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/predictions"))
        .collect();
    assert_eq!(creates.len(), 2, "{creates:#?}");
    let bearer = format!("Bearer {REPLICATE_TOKEN}");
    for r in &creates {
        assert_eq!(
            r.authorization.as_deref(),
            Some(bearer.as_str()),
            "{} {}",
            r.method,
            r.path
        );
    }
}

#[test]
fn chained_models_run_with_the_server_token_and_report_progress() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    // Run dirs under work/runs: every process of the run has its cwd there.
    let runs = work.path().join("runs");
    let sandbox = run_sandbox(&fakes).var("MCP_PIPELINES_RUNS_DIR", &runs.display().to_string());
    write_project(work.path(), "fox", CHAIN_MAIN);
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([run_call(
            json!({"path": "fox", "inputs": {"prompt": "a red fox"}})
        )]),
    );
    let result = py::result(&doc, 0);
    assert!(!py::is_error(result), "{}", py::tool_text(result));
    let run = &result["structuredContent"];
    assert_chain_succeeded(run, "a red fox");
    assert!(
        run["logs"]
            .as_str()
            .unwrap()
            .contains("e2e-chain: drawing a red fox"),
        "{run:#}"
    );
    assert!(
        py::tool_text(result).contains("succeeded"),
        "{}",
        py::tool_text(result)
    );
    assert_chain_called(&fakes, "a red fox");

    let messages = progress_messages(&doc, 0);
    assert!(
        messages.iter().any(|m| m.contains("virtualenv")),
        "a venv message: {messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("running the prediction")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("e2e-chain: describing 1 image(s)")),
        "the prediction's log lines arrive as progress: {messages:#?}"
    );
    let values: Vec<f64> = doc["results"][0]["progress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["progress"].as_f64().unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[0] < w[1]), "{values:?}");
    let leftovers = live_processes_under(&runs);
    assert!(leftovers.is_empty(), "left running: {leftovers:#?}");
}

#[test]
fn a_failing_model_is_an_error_with_its_logs() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes);
    let work = tempfile::tempdir().unwrap();
    write_project(work.path(), "fox", CHAIN_MAIN);
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([run_call(json!({"path": "fox",
                               "inputs": {"prompt": "FAIL_PREDICTION please"}}))]),
    );
    let result = py::result(&doc, 0);
    assert!(py::is_error(result), "{result:#}");
    let run = &result["structuredContent"];
    assert_eq!(run["status"], "failed", "{run:#}");
    let error = run["error"].as_str().expect("the error is reported");
    assert!(!error.trim().is_empty(), "{run:#}");
    let said = py::tool_text(result);
    assert!(said.contains("failed"), "{said}");
    assert!(said.contains(error.lines().next().unwrap()), "{said}");
    // The first model failed; the second was never called.
    let models: Vec<String> = fakes
        .replicate
        .predictions()
        .iter()
        .map(|p| p["model"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(models, ["acme/pixel-forge"]);
    // The pipeline's output before the failure comes back with the error. (cog >= 0.17's
    // coglet answers a failed prediction with empty `logs`; the lines were seen live.)
    let messages = progress_messages(&doc, 0);
    assert!(
        messages
            .iter()
            .any(|m| m.contains("e2e-chain: drawing FAIL_PREDICTION please")),
        "{messages:#?}"
    );
    let logs = run["logs"].as_str().unwrap();
    assert!(
        logs.contains("e2e-chain: drawing FAIL_PREDICTION please"),
        "{run:#}"
    );
}

#[test]
fn invalid_pipelines_and_bad_inputs_are_refused_before_anything_runs() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes);
    let work = tempfile::tempdir().unwrap();
    let invalid = write_project(work.path(), "invalid", INVALID_MAIN);
    let fox = write_project(work.path(), "fox", CHAIN_MAIN);
    std::fs::write(
        fox.join("main.py"),
        CHAIN_MAIN.replace(
            "print(f\"e2e-chain: drawing",
            "open(\"ran.marker\", \"w\").close()\n    print(f\"e2e-chain: drawing",
        ),
    )
    .unwrap();
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([
            run_call(json!({"path": "invalid", "inputs": {"prompt": "hi"}})),
            run_call(json!({"path": "fox", "inputs": {"prompt": "a fox", "sentences": "lots"}})),
            run_call(json!({"path": "fox", "inputs": {"prompt": 42}})),
            run_call(json!({"path": "fox", "inputs": {"prompt": "a fox", "colour": "red"}})),
            run_call(json!({"path": "fox", "inputs": {}})),
        ]),
    );

    let refused = py::result(&doc, 0);
    assert!(py::is_error(refused), "{refused:#}");
    let said = py::tool_text(refused);
    assert!(said.contains("PY001"), "the findings are listed: {said}");
    assert!(said.contains("Not run"), "{said}");
    // Without the last line: where the rules came from depends on the shared cache.
    let (findings, rules_from) = said
        .rsplit_once("Rules from:")
        .unwrap_or_else(|| panic!("says where the rules came from: {said}"));
    assert!(!rules_from.trim().is_empty());
    insta::assert_snapshot!("refused_invalid_pipeline_text", findings.trim_end());
    let messages = progress_messages(&doc, 0);
    assert!(
        !messages
            .iter()
            .any(|m| m.contains("running the prediction")),
        "{messages:#?}"
    );
    assert!(
        !invalid.join("imported.marker").exists(),
        "the invalid pipeline was never imported"
    );

    for (index, name) in [
        (1, "sentences"),
        (2, "prompt"),
        (3, "colour"),
        (4, "prompt"),
    ] {
        let r = py::result(&doc, index);
        assert!(py::is_error(r), "input case {index}: {r:#}");
        let said = py::tool_text(r);
        assert!(
            said.contains(name),
            "input case {index} names `{name}`: {said}"
        );
        let messages = progress_messages(&doc, index);
        assert!(
            !messages
                .iter()
                .any(|m| m.contains("running the prediction")),
            "input case {index}: {messages:#?}"
        );
    }
    assert!(!fox.join("ran.marker").exists(), "run() never ran");
    assert!(fakes.replicate.predictions().is_empty());
}

#[test]
fn a_run_past_its_timeout_is_killed_with_its_children() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    // Run dirs under work/runs: every process of the run has its cwd there.
    let runs = work.path().join("runs");
    let sandbox = run_sandbox(&fakes).var("MCP_PIPELINES_RUNS_DIR", &runs.display().to_string());
    write_project(work.path(), "sleepy", SLEEPY_MAIN);
    let project = runs.clone();
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([
            run_call(json!({"path": "sleepy", "inputs": {}, "timeout_seconds": 3})),
            // While the stdio server is still up: the timeout itself killed the process
            // group, the grandchild `sleep` included. (The wait is a hang guard.)
            {"op": "wait_processes_gone", "dir": project.display().to_string(), "timeout_s": 30},
        ]),
    );
    let result = py::result(&doc, 0);
    assert!(py::is_error(result), "{result:#}");
    let said = py::tool_text(result).to_lowercase();
    assert!(
        said.contains("timed out") || said.contains("timeout"),
        "{said}"
    );
    assert_eq!(
        py::result(&doc, 1)["left"],
        json!([]),
        "left running after the timeout"
    );
    let messages = progress_messages(&doc, 0);
    assert!(
        messages.iter().any(|m| m.contains("e2e-sleepy: sleeping")),
        "it did start: {messages:#?}"
    );
    let leftovers = live_processes_under(&project);
    assert!(leftovers.is_empty(), "left running: {leftovers:#?}");
}

#[test]
fn cancelling_the_call_kills_the_run() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    // Run dirs under work/runs: every process of the run has its cwd there.
    let runs = work.path().join("runs");
    let sandbox = run_sandbox(&fakes).var("MCP_PIPELINES_RUNS_DIR", &runs.display().to_string());
    write_project(work.path(), "sleepy", SLEEPY_MAIN);
    let project = runs.display().to_string();
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([
            {"op": "call_tool", "name": "run_locally",
             "args": {"path": "sleepy", "inputs": {}, "timeout_seconds": 600},
             "cancel_on_progress": "e2e-sleepy: sleeping", "timeout_s": CALL_TIMEOUT_S},
            // While the server is still up: the cancellation alone must end the run.
            {"op": "wait_processes_gone", "dir": project, "timeout_s": 60},
            // And the server keeps serving.
            {"op": "list_tools"},
        ]),
    );
    assert_eq!(doc["results"][0]["cancelled"], true, "{doc:#}");
    let left = &py::result(&doc, 1)["left"];
    assert_eq!(left, &json!([]), "still running after the cancellation");
    assert!(py::result(&doc, 2)["tools"].is_array());
    let leftovers = live_processes_under(&runs);
    assert!(leftovers.is_empty(), "left running: {leftovers:#?}");
}

#[test]
fn over_http_run_locally_needs_allow_run_and_inline_files() {
    let fakes = Fakes::start();
    let files = project_files(CHAIN_MAIN);

    let closed = HttpServer::start_in(
        run_sandbox(&fakes).var("MCP_PIPELINES_AUTH_TOKENS", HTTP_TOKEN),
        &[],
    );
    let doc = py::run_script(&py::http_script(
        &closed,
        Some(HTTP_TOKEN),
        "auto",
        json!([{"op": "call_tool", "name": "run_locally",
                "args": {"files": files, "inputs": {"prompt": "a red fox"}}}]),
    ));
    let refused = py::result(&doc, 0);
    assert!(py::is_error(refused), "{refused:#}");
    assert!(
        py::tool_text(refused).contains("--allow-run"),
        "{}",
        py::tool_text(refused)
    );
    assert!(fakes.replicate.predictions().is_empty());
    drop(closed);

    let open = HttpServer::start_in(
        run_sandbox(&fakes).var("MCP_PIPELINES_AUTH_TOKENS", HTTP_TOKEN),
        &["--allow-run"],
    );
    let work = tempfile::tempdir().unwrap();
    let on_disk = write_project(work.path(), "fox", CHAIN_MAIN);
    let mut script = py::http_script(
        &open,
        Some(HTTP_TOKEN),
        "auto",
        json!([
            run_call(json!({"path": on_disk.display().to_string(),
                            "inputs": {"prompt": "a red fox"}})),
            run_call(json!({"files": files, "inputs": {"prompt": "a red fox"}})),
        ]),
    );
    script["timeout_s"] = json!(CALL_TIMEOUT_S);
    let doc = py::run_script(&script);
    let by_path = py::result(&doc, 0);
    assert!(
        py::is_error(by_path),
        "a path on the server's disk: {by_path:#}"
    );
    assert!(
        py::tool_text(by_path).contains("files"),
        "{}",
        py::tool_text(by_path)
    );

    let result = py::result(&doc, 1);
    assert!(!py::is_error(result), "{}", py::tool_text(result));
    assert_chain_succeeded(&result["structuredContent"], "a red fox");
    assert_chain_called(&fakes, "a red fox");
    assert!(
        !progress_messages(&doc, 1).is_empty(),
        "progress over streamable HTTP"
    );
    drop(open);
}

#[test]
fn cli_run_prints_json_and_bad_inputs_exit_two() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes);
    let work = tempfile::tempdir().unwrap();
    let project = write_project(work.path(), "fox", CHAIN_MAIN);
    let dir = project.display().to_string();
    let out_dir = work.path().join("out");
    let out_arg = out_dir.display().to_string();

    let out = support::run_to_end(
        &mut sandbox.command(&[
            "run",
            &dir,
            "-i",
            "prompt=a red fox",
            "--format",
            "json",
            "--output-dir",
            &out_arg,
        ]),
        b"",
        "mcp-pipelines run",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let run: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}):\n{stdout}"));
    assert_chain_succeeded(&run, "a red fox");
    assert!(
        Path::new(run["files"][0].as_str().unwrap()).starts_with(&out_dir),
        "{run:#}"
    );
    assert!(
        stderr.contains("running the prediction"),
        "progress on stderr: {stderr}"
    );
    assert_chain_called(&fakes, "a red fox");

    for bad in [
        vec!["-i", "prompt"],
        vec!["-i", "prompt=a fox", "-i", "sentences=lots"],
    ] {
        let mut args = vec!["run", dir.as_str()];
        args.extend(bad.iter().copied());
        let out = support::run_to_end(&mut sandbox.command(&args), b"", "mcp-pipelines run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let culprit = if bad.len() == 2 {
            "prompt"
        } else {
            "sentences"
        };
        assert!(stderr.contains(culprit), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(fakes.replicate.predictions().len(), 2, "no further runs");
}
