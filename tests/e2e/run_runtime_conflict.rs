//! run_locally with Replicate's runtime list when its own pins do not resolve: the failure
//! is called a problem of the fetched list, naming the pins, with `latest` as the way out
//! (a project line conflicting with a runtime pin is stopped by REQ003 first). Offline:
//! the offline runtime wheels plus small generated wheels of `moviepy` and `pillow` whose
//! metadata repeats the real conflict (moviepy 2.1.2 needs pillow<11.0).

use std::path::Path;

use pipelines_test_fakes::docs_host::Doc;
use serde_json::json;

use crate::{
    fakes::Fakes,
    py,
    run_tools::{run_call, run_sandbox, stdio_run, write_project},
    support::{self, Sandbox},
};

/// The offline runtime list (see run_runtime.rs), to which moviepy and pillow pins are added.
const BASE_LIST: &str = "coglet @ https://example.invalid/releases/coglet-0.1.0a33-py3-none-any.whl\n\
    imageio-ffmpeg==0.6.0\n\
    pydantic==1.10.22\n\
    replicate==1.1.0b3\n";

const MAIN: &str = r#"from cog import Input


def run(label: str = Input(description="A label.", default="x")) -> str:
    return label
"#;

/// Writes wheels holding only metadata: (name, version, requirements).
fn fake_wheels(dir: &Path, wheels: &[(&str, &str, &[&str])]) {
    let python = support::require_installed(
        &support::target_dir().join("e2e-venv/bin/python"),
        "the e2e venv",
    );
    let script = r#"import json, sys, zipfile
for name, version, requires in json.loads(sys.argv[2]):
    info = f"{name}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
    wheel = "Wheel-Version: 1.0\nGenerator: e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    with zipfile.ZipFile(f"{sys.argv[1]}/{name}-{version}-py3-none-any.whl", "w") as z:
        z.writestr(f"{name}/__init__.py", "")
        z.writestr(f"{info}/METADATA", meta)
        z.writestr(f"{info}/WHEEL", wheel)
        z.writestr(f"{info}/RECORD", "")
"#;
    let status = std::process::Command::new(python)
        .args(["-c", script, &dir.display().to_string()])
        .arg(json!(wheels).to_string())
        .status()
        .unwrap();
    assert!(status.success(), "writing the fake wheels");
}

/// An offline sandbox with its own cache and a find-links directory: the runtime wheels
/// of `scripts/test-setup` and the generated moviepy/pillow wheels.
fn conflict_sandbox(fakes: &Fakes, cache: &Path, wheels: &Path) -> Sandbox {
    let target = support::target_dir();
    let offline = support::require_installed(&target.join("e2e-wheels"), "the runtime test wheels");
    let uv = support::require_installed(&target.join("e2e-venv/bin/uv"), "uv");
    for entry in std::fs::read_dir(&offline).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "whl") {
            std::os::unix::fs::symlink(&path, wheels.join(path.file_name().unwrap())).unwrap();
        }
    }
    fake_wheels(
        wheels,
        &[
            ("moviepy", "2.1.2", &["pillow<11.0"]),
            ("pillow", "11.1.0", &[]),
        ],
    );
    let wheels = wheels.display().to_string();
    run_sandbox(fakes)
        .var("MCP_PIPELINES_CACHE_DIR", &cache.display().to_string())
        .var("MCP_PIPELINES_UV", &uv.display().to_string())
        .var("UV_NO_INDEX", "1")
        .var("UV_FIND_LINKS", &wheels)
        .var("PIP_NO_INDEX", "1")
        .var("PIP_FIND_LINKS", &wheels)
}

fn fetch_runtime_list() -> serde_json::Value {
    json!({"op": "call_tool", "name": "fetch_llms_txt", "args": {"source": "runtime", "force": true}})
}

#[test]
fn a_runtime_list_that_conflicts_with_itself_is_named_as_such_and_latest_runs() {
    let fakes = Fakes::start();
    let (cache, wheels, work) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let sandbox = conflict_sandbox(&fakes, cache.path(), wheels.path());
    write_project(work.path(), "plain", MAIN);

    // The list of the trial: moviepy 2.1.2 with pillow 11.1.0, which do not resolve.
    fakes.docs.set_body(
        Doc::Runtime,
        &format!("{BASE_LIST}moviepy==2.1.2\npillow==11.1.0\n"),
    );
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([fetch_runtime_list(), run_call(json!({"path": "plain"}))]),
    );
    assert!(!py::is_error(py::result(&doc, 0)), "{doc:#}");
    let said = py::tool_text(py::result(&doc, 1));
    for wanted in [
        "the runtime list itself does not resolve",
        "`moviepy==2.1.2`",
        "`pillow==11.1.0`",
        "not of your project",
        "`runtime: \"latest\"`",
        "`--runtime latest`",
    ] {
        assert!(said.contains(wanted), "says {wanted:?}: {said}");
    }

    // The way out it names works: the latest compatible packages.
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([run_call(
            json!({"path": "plain", "runtime": "latest", "inputs": {"label": "ok"}})
        )]),
    );
    let result = py::result(&doc, 0);
    assert_eq!(
        result["structuredContent"]["status"], "succeeded",
        "{result:#}"
    );
    assert_eq!(result["structuredContent"]["output"], "ok", "{result:#}");
}
