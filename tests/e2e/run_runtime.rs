//! run_locally behaves like Replicate's runtime: cog's input checks (the OpenAPI schema
//! `cog build` writes), the runtime's package pins, its system tools.

use pipelines_test_fakes::docs_host::Doc;
use serde_json::{Value, json};

use crate::{
    fakes::Fakes,
    py,
    run_tools::{run_call, run_sandbox, stdio_run, write_project},
    support::{self, Sandbox},
};

/// A small runtime list whose wheels `scripts/test-setup` downloads into
/// `target/e2e-wheels` (tests/e2e/py/wheels-runtime.txt): pydantic 1, as on Replicate.
const RUNTIME_LIST: &str = "# A small runtime list for the offline tests.\n\
    coglet @ https://example.invalid/releases/coglet-0.1.0a33-py3-none-any.whl\n\
    imageio-ffmpeg==0.6.0\n\
    pydantic==1.10.22\n\
    replicate==1.1.0b3\n";

/// Uses pydantic-2-only API (`model_dump`).
const PYDANTIC2_MAIN: &str = r#"from cog import Input
from pydantic import BaseModel as Shape


class Box(Shape):
    side: int


def run(side: int = Input(description="The side.", default=2)) -> str:
    return "dumped " + str(Box(side=side).model_dump())
"#;

/// Uses pydantic-1-only API (`pydantic.fields.ModelField`, gone in pydantic 2).
const PYDANTIC1_MAIN: &str = r#"from cog import Input
from pydantic import BaseModel as Shape


class Box(Shape):
    side: int


def run(side: int = Input(description="The side.", default=2)) -> str:
    from pydantic.fields import ModelField

    field = Box.__fields__["side"]
    return "v1 field " + type(field).__name__ + " " + str(isinstance(field, ModelField))
"#;

/// The offline runtime sandbox: its own cache (the runtime list cached there makes runs
/// default to `replicate`, which the other run tests must not see), installs from
/// `target/e2e-wheels` only, with uv.
fn runtime_sandbox(fakes: &Fakes) -> Sandbox {
    let target = support::target_dir();
    let wheels = support::require_installed(&target.join("e2e-wheels"), "the runtime test wheels");
    let uv = support::require_installed(&target.join("e2e-venv/bin/uv"), "uv");
    let wheels = wheels.display().to_string();
    fakes.docs.set_body(Doc::Runtime, RUNTIME_LIST);
    run_sandbox(fakes)
        .var(
            "MCP_PIPELINES_CACHE_DIR",
            &target.join("e2e-runtime-cache").display().to_string(),
        )
        .var("MCP_PIPELINES_UV", &uv.display().to_string())
        .var("UV_NO_INDEX", "1")
        .var("UV_FIND_LINKS", &wheels)
        .var("PIP_NO_INDEX", "1")
        .var("PIP_FIND_LINKS", &wheels)
}

fn fetch_runtime_list() -> Value {
    json!({"op": "call_tool", "name": "fetch_llms_txt", "args": {"source": "runtime"}})
}

/// Bounds, choices and a required input, checked by cog as on Replicate.
const BOUNDED_MAIN: &str = r#"from cog import Input


def run(
    prompt: str = Input(description="What to say."),
    seed: int = Input(description="Random seed.", default=1, ge=0, le=1000),
    mode: str = Input(description="How.", default="calm", choices=["calm", "loud"]),
) -> str:
    open("ran.marker", "w").close()
    return f"{mode} {prompt} {seed}"
"#;

#[test]
fn cog_refuses_inputs_outside_the_schema_naming_input_value_and_constraint() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes);
    let work = tempfile::tempdir().unwrap();
    let project = write_project(work.path(), "bounded", BOUNDED_MAIN);
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([
            run_call(json!({"path": "bounded", "inputs": {"prompt": "hi", "seed": -5}})),
            run_call(json!({"path": "bounded", "inputs": {"prompt": "hi", "mode": "shouty"}})),
            run_call(json!({"path": "bounded", "inputs": {"seed": 3}})),
            run_call(
                json!({"path": "bounded", "inputs": {"prompt": "hi", "seed": 7, "mode": "loud"}})
            ),
        ]),
    );
    for (index, wanted) in [
        (0, vec!["seed = -5", "minimum of 0"]),
        (1, vec!["mode = \"shouty\"", "calm", "loud"]),
        (2, vec!["prompt"]),
    ] {
        let result = py::result(&doc, index);
        assert!(py::is_error(result), "case {index}: {result:#}");
        let said = py::tool_text(result);
        for w in wanted {
            assert!(said.contains(w), "case {index} says {w:?}: {said}");
        }
        assert!(!said.contains("Traceback"), "case {index}: {said}");
    }
    let said = py::tool_text(py::result(&doc, 0));
    assert!(said.contains("refused the inputs"), "{said}");
    let ok = py::result(&doc, 3);
    assert!(!py::is_error(ok), "{ok:#}");
    assert_eq!(ok["structuredContent"]["output"], "loud hi 7", "{ok:#}");
    // The run's copy got the marker; the project itself stays untouched.
    assert!(!project.join("ran.marker").exists());
    assert!(!project.join(".cog").exists());
}

#[test]
fn runtime_replicate_installs_the_runtime_pins_and_latest_what_resolves() {
    let fakes = Fakes::start();
    let sandbox = runtime_sandbox(&fakes);
    let work = tempfile::tempdir().unwrap();
    write_project(work.path(), "v2", PYDANTIC2_MAIN);
    write_project(work.path(), "v1", PYDANTIC1_MAIN);
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([
            fetch_runtime_list(),
            run_call(json!({"path": "v2"})),
            run_call(json!({"path": "v2", "runtime": "latest"})),
            run_call(json!({"path": "v1", "runtime": "replicate"})),
            run_call(json!({"path": "v1", "runtime": "latest"})),
        ]),
    );
    assert!(!py::is_error(py::result(&doc, 0)), "{doc:#}");
    let outcome = |index: usize| {
        let result = py::result(&doc, index);
        let run = &result["structuredContent"];
        (py::tool_text(result), run.clone())
    };

    // pydantic-2-only code fails on the runtime's pydantic 1, by default once the list is cached.
    let (said, run) = outcome(1);
    assert_eq!(run["status"], "failed", "{said}");
    assert!(said.contains("model_dump"), "{said}");
    assert_eq!(run["runtime"]["runtime"], "replicate", "{run:#}");
    assert!(
        said.contains("runtime: replicate (the default: the runtime list is cached"),
        "{said}"
    );
    assert_eq!(run["runtime"]["pinned_packages"], 3, "{run:#}");
    let server = run["runtime"]["server"].as_str().unwrap();
    assert!(
        server.contains("coglet 0.1.0a33") && server.contains("not on the package index"),
        "{server}"
    );
    // ... and passes on what resolves today.
    let (said, run) = outcome(2);
    assert_eq!(run["status"], "succeeded", "{said}");
    assert_eq!(run["output"], "dumped {'side': 2}", "{said}");
    assert_eq!(run["runtime"]["runtime"], "latest", "{run:#}");
    assert_eq!(run["runtime"]["reason"], "asked for", "{run:#}");

    // The reverse: pydantic-1-only code passes on the runtime, fails on latest.
    let (said, run) = outcome(3);
    assert_eq!(run["status"], "succeeded", "{said}");
    assert_eq!(run["output"], "v1 field ModelField True", "{said}");
    let (said, run) = outcome(4);
    assert_eq!(run["status"], "failed", "{said}");
    assert!(said.contains("ModelField"), "{said}");

    // One venv per runtime list, shared by the projects that add nothing to it.
    let (_, replicate_v2) = outcome(1);
    let (_, replicate_v1) = outcome(3);
    let (_, latest_v2) = outcome(2);
    assert_eq!(replicate_v2["venv"]["path"], replicate_v1["venv"]["path"]);
    assert_ne!(replicate_v2["venv"]["path"], latest_v2["venv"]["path"]);
}

#[test]
fn runtime_replicate_without_the_list_says_how_to_get_it() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes);
    let work = tempfile::tempdir().unwrap();
    let project = write_project(work.path(), "v2", PYDANTIC2_MAIN);
    let out = support::run_to_end(
        &mut sandbox.command(&[
            "run",
            &project.display().to_string(),
            "--runtime",
            "replicate",
        ]),
        b"",
        "mcp-pipelines run --runtime replicate",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("fetch_llms_txt") && stderr.contains("--source runtime"),
        "{stderr}"
    );
    let bad = support::run_to_end(
        &mut sandbox.command(&["run", &project.display().to_string(), "--runtime", "pypi"]),
        b"",
        "mcp-pipelines run --runtime pypi",
    );
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("replicate") && stderr.contains("latest"),
        "{stderr}"
    );
}

/// Asks for ffprobe (falling back when it is missing) and runs ffmpeg.
const TOOLS_MAIN: &str = r#"import shutil
import subprocess

from cog import Input


def run(label: str = Input(description="A label.", default="x")) -> str:
    probe = "ffprobe found" if shutil.which("ffprobe") else "no ffprobe"
    version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=True)
    return probe + "; " + version.stdout.split("\n")[0].split(" Copyright")[0]
"#;

#[test]
fn the_runtimes_system_tools_ffmpeg_from_imageio_ffmpeg_and_a_warning_for_ffprobe() {
    let fakes = Fakes::start();
    // A machine without ffmpeg and ffprobe: the server's PATH holds only `sh`.
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/bin/sh", bin.path().join("sh")).unwrap();
    let sandbox = runtime_sandbox(&fakes).var("PATH", &bin.path().display().to_string());
    let work = tempfile::tempdir().unwrap();
    write_project(work.path(), "tools", TOOLS_MAIN);
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([fetch_runtime_list(), run_call(json!({"path": "tools"}))]),
    );
    let result = py::result(&doc, 1);
    let said = py::tool_text(result);
    let run = &result["structuredContent"];
    assert_eq!(run["status"], "succeeded", "{said}");
    let output = run["output"].as_str().unwrap();
    assert!(output.starts_with("no ffprobe; ffmpeg version"), "{output}");
    assert!(
        said.contains(
            "ffprobe is in Replicate's runtime but not on this machine: this run does not show how that code behaves there"
        ),
        "{said}"
    );
    assert!(said.contains("ffmpeg (from imageio-ffmpeg)"), "{said}");
    let missing = run["runtime"]["missing_system_tools"].as_array().unwrap();
    assert!(missing.contains(&json!("ffprobe")), "{run:#}");
    assert!(!missing.contains(&json!("ffmpeg")), "{run:#}");
}
