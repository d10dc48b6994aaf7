//! `run_locally` through the real binary, on real parts: a Python ≥ 3.12 venv with cog and
//! replicate from PyPI (built once under `target/e2e-run-cache` and shared by every test
//! here), cog's HTTP server, and the real replicate-python client calling the fake Replicate
//! API on 127.0.0.1. A chained run that succeeds and one whose model fails; also the project
//! files and helpers every `run_*` test file shares.
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
    support::{self, Sandbox},
};

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
pub(crate) fn assert_chain_succeeded(run: &Value, prompt: &str) {
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
pub(crate) fn assert_chain_called(fakes: &Fakes, prompt: &str) {
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
