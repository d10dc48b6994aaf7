//! `scaffold_pipeline` through the real binary: the Python SDK over stdio writes projects
//! into the server's working directory (the root paths are confined to) from the fake
//! Replicate API's schemas, `validate_pipeline` finds nothing in them, re-runs change nothing,
//! escaping paths are refused; over HTTP only `inline: true` works. Also the helpers the other
//! `scaffold_*` files share.

use std::path::Path;

use serde_json::{Value, json};

use crate::{fakes::Fakes, py, support::HttpServer};

const HTTP_TOKEN: &str = "e2e-scaffold-token-7d21";

pub(crate) const LLM: &str = "acme/chatter-3b";
pub(crate) const IMAGE: &str = "acme/pixel-forge";

pub(crate) fn call(name: &str, args: Value) -> Value {
    json!({"op": "call_tool", "name": name, "args": args})
}

/// The structured report of a successful tool call.
pub(crate) fn report(doc: &Value, index: usize) -> &Value {
    let r = py::result(doc, index);
    assert!(
        !py::is_error(r),
        "operation {index} is an error: {}",
        py::tool_text(r)
    );
    &r["structuredContent"]
}

/// `{path: status}` of a scaffold report.
pub(crate) fn statuses(report: &Value) -> Vec<(String, String)> {
    report["files"]
        .as_array()
        .expect("scaffold report lists files")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub(crate) fn file<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} in the report: {report}"))
}

pub(crate) const PROJECT_FILES: [&str; 4] =
    ["cog.yaml", "requirements.txt", "main.py", "README.md"];

pub(crate) fn all_with(status: &str) -> Vec<(String, String)> {
    PROJECT_FILES
        .iter()
        .map(|p| (p.to_string(), status.to_string()))
        .collect()
}

/// A validation report with no findings at all.
pub(crate) fn assert_clean(validation: &Value, what: &str) {
    assert_eq!(
        validation["summary"],
        json!({"errors": 0, "warnings": 0}),
        "{what}: {validation:#}"
    );
    assert_eq!(validation["ok"], true, "{what}");
}

pub(crate) fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.join(name).display()))
}

#[test]
fn scaffolded_projects_validate_clean_and_rescaffolding_changes_nothing() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    let chain = json!({"path": "chain", "models": [IMAGE, LLM], "output": "Output",
                       "name": "draw-and-describe", "description": "Draws, then describes."});
    let doc = py::stdio_in(
        &fakes.sandbox(),
        work.path(),
        json!([
            // The spec from the fake docs host: pins and rules come from the cached Rulebook.
            call("fetch_llms_txt", json!({})),
            call("scaffold_pipeline", json!({"path": "llm", "models": [LLM]})),
            call("validate_pipeline", json!({"path": "llm"})),
            call(
                "scaffold_pipeline",
                json!({"path": "image", "models": [IMAGE]})
            ),
            call("validate_pipeline", json!({"path": "image"})),
            call("scaffold_pipeline", chain.clone()),
            call("validate_pipeline", json!({"path": "chain"})),
            call("scaffold_pipeline", chain),
        ]),
    );
    assert!(
        !py::is_error(py::result(&doc, 0)),
        "{}",
        py::tool_text(py::result(&doc, 0))
    );

    for (scaffold, validate, name, models) in [
        (1, 2, "llm", vec![LLM]),
        (3, 4, "image", vec![IMAGE]),
        (5, 6, "chain", vec![IMAGE, LLM]),
    ] {
        let written = report(&doc, scaffold);
        assert_eq!(
            statuses(written),
            all_with("created"),
            "{name}: {written:#}"
        );
        assert_eq!(written["dry_run"], false);
        let dir = work.path().join(name);
        assert_eq!(
            Path::new(written["dir"].as_str().unwrap())
                .canonicalize()
                .unwrap(),
            dir.canonicalize().unwrap()
        );
        let main = read(&dir, "main.py");
        for model in models {
            assert!(
                main.contains(&format!("replicate.use(\"{model}\")")),
                "{name}: main.py binds {model}:\n{main}"
            );
        }
        assert!(read(&dir, "cog.yaml").contains("main.py:run"), "{name}");
        assert_clean(report(&doc, validate), name);
    }

    let chain_dir = work.path().join("chain");
    let main = read(&chain_dir, "main.py");
    assert!(main.contains("class Output(BaseModel)"), "{main}");
    assert!(
        read(&chain_dir, "README.md").contains("draw-and-describe"),
        "{}",
        read(&chain_dir, "README.md")
    );

    // The same call again: every file is already what the scaffold would write.
    let again = report(&doc, 7);
    assert_eq!(statuses(again), all_with("unchanged"), "{again:#}");
    assert_eq!(read(&chain_dir, "main.py"), main);

    // The server fetched the schemas from the fake API.
    let fetched: Vec<String> = fakes
        .replicate
        .requests_to("/v1/models/acme/")
        .into_iter()
        .map(|r| r.path)
        .collect();
    for model in [LLM, IMAGE] {
        assert!(
            fetched.iter().any(|p| p == &format!("/v1/models/{model}")),
            "{model} fetched: {fetched:?}"
        );
    }
}

#[test]
fn paths_outside_the_working_directory_are_refused() {
    let fakes = Fakes::start();
    let base = tempfile::tempdir().unwrap();
    let work = base.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let elsewhere = format!("/tmp/elsewhere-e2e-{}", std::process::id());
    let outside = base.path().join("outside").display().to_string();
    let doc = py::stdio_in(
        &fakes.sandbox(),
        &work,
        json!([
            call(
                "scaffold_pipeline",
                json!({"path": "../../x", "models": [LLM]})
            ),
            call(
                "scaffold_pipeline",
                json!({"path": elsewhere, "models": [LLM]})
            ),
            call(
                "scaffold_pipeline",
                json!({"path": outside, "models": [LLM]})
            ),
            call(
                "scaffold_pipeline",
                json!({"path": "ok/../../x", "models": [LLM]})
            ),
            call(
                "scaffold_pipeline",
                json!({"path": "inside/deeper", "models": [LLM]})
            ),
        ]),
    );
    for (index, what) in [
        (0, "../../x"),
        (1, elsewhere.as_str()),
        (2, outside.as_str()),
        (3, "ok/../../x"),
    ] {
        let r = py::result(&doc, index);
        assert!(py::is_error(r), "{what} must be refused: {r:#}");
        assert!(
            !py::tool_text(r).trim().is_empty(),
            "{what}: the error says why"
        );
    }
    assert!(!Path::new(&elsewhere).exists());
    assert!(!base.path().join("outside").exists());
    assert!(!base.path().join("x").exists());
    assert!(!work.join("ok").exists());
    // A new nested directory inside the root is fine.
    assert_eq!(statuses(report(&doc, 4)), all_with("created"));
    assert!(work.join("inside/deeper/main.py").is_file());
}

#[test]
fn over_http_only_inline_scaffolds_and_the_files_validate() {
    let fakes = Fakes::start();
    let server = HttpServer::start_in(
        fakes.sandbox().var("MCP_PIPELINES_AUTH_TOKENS", HTTP_TOKEN),
        &[],
    );
    let doc = py::run_script(&py::http_script(
        &server,
        Some(HTTP_TOKEN),
        "auto",
        json!([
            call(
                "scaffold_pipeline",
                json!({"inline": true, "models": [IMAGE, LLM], "output": "Output"})
            ),
            call(
                "scaffold_pipeline",
                json!({"path": "proj", "models": [LLM]})
            ),
            call("scaffold_pipeline", json!({"models": [LLM]})),
        ]),
    ));
    let inline = report(&doc, 0);
    assert_eq!(inline["dry_run"], true, "{inline:#}");
    assert!(inline.get("dir").is_none(), "{inline:#}");
    assert_eq!(statuses(inline), all_with("would_create"));
    let files: serde_json::Map<String, Value> = inline["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["content"].clone(),
            )
        })
        .collect();
    let main = files["main.py"].as_str().unwrap();
    insta::assert_snapshot!("http_inline_chain_main_py", main);
    insta::assert_snapshot!(
        "http_inline_chain_requirements_txt",
        files["requirements.txt"].as_str().unwrap()
    );

    let refused = py::result(&doc, 1);
    assert!(
        py::is_error(refused),
        "a path is refused over HTTP: {refused:#}"
    );
    assert!(
        py::tool_text(refused).contains("inline"),
        "{}",
        py::tool_text(refused)
    );
    // Without a path, the hosted server answers inline.
    assert_eq!(statuses(report(&doc, 2)), all_with("would_create"));
    assert!(!server.sandbox.scratch().join("proj").exists());

    // The returned files pass validation on the same server, inline.
    let doc = py::run_script(&py::http_script(
        &server,
        Some(HTTP_TOKEN),
        "auto",
        json!([call("validate_pipeline", json!({"files": files}))]),
    ));
    assert_clean(report(&doc, 0), "inline chain");
}
