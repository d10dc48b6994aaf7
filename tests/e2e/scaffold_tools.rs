//! `scaffold_pipeline` through the real binary: the Python SDK over stdio writes projects
//! into the server's working directory (the root paths are confined to) from the fake
//! Replicate API's schemas, `validate_pipeline` finds nothing in them, re-runs change nothing,
//! edits are protected (diff, `overwrite`, `dry_run`), escaping paths are refused; over HTTP
//! only `inline: true` works; and the `scaffold` / `validate` CLI verbs agree.

use std::path::Path;

use serde_json::{Value, json};

use crate::{
    fakes::Fakes,
    py,
    support::{self, HttpServer},
};

const HTTP_TOKEN: &str = "e2e-scaffold-token-7d21";

const LLM: &str = "acme/chatter-3b";
const IMAGE: &str = "acme/pixel-forge";

fn call(name: &str, args: Value) -> Value {
    json!({"op": "call_tool", "name": name, "args": args})
}

/// The structured report of a successful tool call.
fn report(doc: &Value, index: usize) -> &Value {
    let r = py::result(doc, index);
    assert!(
        !py::is_error(r),
        "operation {index} is an error: {}",
        py::tool_text(r)
    );
    &r["structuredContent"]
}

/// `{path: status}` of a scaffold report.
fn statuses(report: &Value) -> Vec<(String, String)> {
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

fn file<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} in the report: {report}"))
}

const PROJECT_FILES: [&str; 4] = ["cog.yaml", "requirements.txt", "main.py", "README.md"];

fn all_with(status: &str) -> Vec<(String, String)> {
    PROJECT_FILES
        .iter()
        .map(|p| (p.to_string(), status.to_string()))
        .collect()
}

/// A validation report with no findings at all.
fn assert_clean(validation: &Value, what: &str) {
    assert_eq!(
        validation["summary"],
        json!({"errors": 0, "warnings": 0}),
        "{what}: {validation:#}"
    );
    assert_eq!(validation["ok"], true, "{what}");
}

fn read(dir: &Path, name: &str) -> String {
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
fn edits_are_kept_with_a_diff_until_overwrite_and_dry_runs_write_nothing() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    let args = json!({"path": "proj", "models": [LLM]});
    let doc = py::stdio_in(
        &fakes.sandbox(),
        work.path(),
        json!([call("scaffold_pipeline", args.clone())]),
    );
    assert_eq!(statuses(report(&doc, 0)), all_with("created"));
    let dir = work.path().join("proj");
    let generated = read(&dir, "main.py");
    let edited = generated.replacen("import replicate", "import replicate  # my edit", 1);
    assert_ne!(edited, generated, "main.py imports replicate:\n{generated}");
    let edited = format!("{edited}\n# a note of mine\n");
    std::fs::write(dir.join("main.py"), &edited).unwrap();

    let mut overwrite = args.clone();
    overwrite["overwrite"] = json!(true);
    let mut dry = args.clone();
    dry["dry_run"] = json!(true);
    let fresh = json!({"path": "fresh", "models": [IMAGE], "dry_run": true});
    let doc = py::stdio_in(
        &fakes.sandbox(),
        work.path(),
        json!([
            call("scaffold_pipeline", args.clone()),
            call("scaffold_pipeline", dry.clone()),
            call("scaffold_pipeline", fresh),
        ]),
    );

    // Not clobbered: skipped, with a diff back to the generated file.
    let kept = report(&doc, 0);
    let main = file(kept, "main.py");
    assert_eq!(main["status"], "skipped_exists", "{kept:#}");
    let diff = main["diff"]
        .as_str()
        .expect("a skipped file carries a diff");
    assert!(diff.contains("-import replicate  # my edit"), "{diff}");
    assert!(diff.contains("+import replicate"), "{diff}");
    assert!(diff.contains("-# a note of mine"), "{diff}");
    for other in ["cog.yaml", "requirements.txt", "README.md"] {
        assert_eq!(file(kept, other)["status"], "unchanged", "{kept:#}");
    }
    assert_eq!(read(&dir, "main.py"), edited, "the edit is untouched");
    let said = py::tool_text(py::result(&doc, 0));
    assert!(
        said.contains("overwrite"),
        "the text says how to apply: {said}"
    );
    // The would-be main.py in full, in the result and its text: no extra call to see it.
    assert_eq!(kept["main_py"], json!(generated), "{kept:#}");
    assert!(
        said.contains("main.py as generated") && said.contains(generated.trim_end()),
        "the text holds the generated main.py: {said}"
    );

    // A dry run over the edit reports the same and writes nothing.
    let dry_report = report(&doc, 1);
    assert_eq!(dry_report["dry_run"], true);
    assert_ne!(file(dry_report, "main.py")["status"], "updated");
    assert!(file(dry_report, "main.py")["diff"].is_string());
    assert_eq!(read(&dir, "main.py"), edited);

    // A dry run into a new directory returns every file and creates nothing.
    let fresh_report = report(&doc, 2);
    assert_eq!(statuses(fresh_report), all_with("would_create"));
    for f in PROJECT_FILES {
        assert!(
            file(fresh_report, f)["content"]
                .as_str()
                .is_some_and(|c| !c.is_empty()),
            "{f}: {fresh_report:#}"
        );
    }
    assert!(!work.path().join("fresh").exists(), "dry run wrote nothing");

    // overwrite: true applies the generated file.
    let mut dry_overwrite = overwrite.clone();
    dry_overwrite["dry_run"] = json!(true);
    let doc = py::stdio_in(
        &fakes.sandbox(),
        work.path(),
        json!([call("scaffold_pipeline", dry_overwrite)]),
    );
    let would = report(&doc, 0);
    assert_eq!(
        file(would, "main.py")["status"],
        "would_update",
        "{would:#}"
    );
    assert_eq!(
        read(&dir, "main.py"),
        edited,
        "a dry run with overwrite writes nothing"
    );
    let doc = py::stdio_in(
        &fakes.sandbox(),
        work.path(),
        json!([
            call("scaffold_pipeline", overwrite),
            call("scaffold_pipeline", args),
        ]),
    );
    let applied = report(&doc, 0);
    assert_eq!(file(applied, "main.py")["status"], "updated", "{applied:#}");
    assert_eq!(applied["main_py"], json!(generated), "{applied:#}");
    let said = py::tool_text(py::result(&doc, 0));
    assert!(
        said.contains("--- main.py ---") && said.contains(generated.trim_end()),
        "the text holds the new main.py next to its diff: {said}"
    );
    assert!(file(applied, "main.py")["diff"].is_string());
    assert_eq!(read(&dir, "main.py"), generated);
    assert_eq!(statuses(report(&doc, 1)), all_with("unchanged"));
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

#[test]
fn cli_scaffold_then_validate_exits_zero() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();
    let dir = sandbox.scratch().join("cli-proj");
    let dir_arg = dir.display().to_string();
    let out = support::run_to_end(
        &mut sandbox.command(&[
            "scaffold",
            &dir_arg,
            "--name",
            "cli-pipeline",
            "--model",
            IMAGE,
            "--model",
            LLM,
            "--input",
            "prompt:str",
            "--output",
            "Output",
        ]),
        b"",
        "mcp-pipelines scaffold",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "scaffold: {stdout}\n{stderr}");
    for f in PROJECT_FILES {
        assert!(dir.join(f).is_file(), "{f} written:\n{stdout}");
        assert!(stdout.contains(f), "{stdout}");
    }

    let out = support::run_to_end(
        &mut sandbox.command(&["validate", &dir_arg, "--format", "json"]),
        b"",
        "mcp-pipelines validate",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "validate: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let validation: Value = serde_json::from_str(&stdout).unwrap();
    assert_clean(&validation, "CLI project");

    // Again, with --dry-run: nothing changes and the exit status is still 0.
    let before = read(&dir, "main.py");
    let out = support::run_to_end(
        &mut sandbox.command(&[
            "scaffold",
            &dir_arg,
            "--name",
            "cli-pipeline",
            "--model",
            IMAGE,
            "--model",
            LLM,
            "--input",
            "prompt:str",
            "--output",
            "Output",
            "--dry-run",
            "--format",
            "json",
        ]),
        b"",
        "mcp-pipelines scaffold --dry-run",
    );
    assert!(out.status.success());
    let again: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(statuses(&again), all_with("unchanged"), "{again:#}");
    assert_eq!(read(&dir, "main.py"), before);
}

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
