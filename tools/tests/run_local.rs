//! End-to-end tests of the local runner with real parts: a real Python ≥ 3.12, a venv with
//! cog 0.15.3 and replicate 1.1.0b3 installed from PyPI (built once per machine under
//! `target/run-local-cache` and shared by every test), cog's real HTTP server, and the real
//! replicate-python client talking to the fake Replicate API on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::run_local::{
    CancellationToken, Progress, ProgressFn, ProjectSource, PythonSearch, RunConfig, RunError,
    RunInputs, RunParam, RunRequest, RunSignature, parse_kv_inputs, run_locally,
};
use serde_json::{Value, json};

const CONTEXT_TOKEN: &str = "r8_from_context_0123456789";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/run_local")
        .join(name)
}

/// One cache shared by every test (and the bench), so the venv is built once per machine.
fn shared_cache() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/run-local-cache")
}

fn config() -> RunConfig {
    let mut config = RunConfig::new(
        shared_cache(),
        vec!["cog==0.15.3".into(), "replicate==1.1.0b3".into()],
    );
    config.python = PythonSearch::from_env(None);
    config.timeout = Duration::from_secs(180);
    config
}

fn inputs(value: Value) -> RunInputs {
    value.as_object().unwrap().clone()
}

fn recorder() -> (ProgressFn, Arc<Mutex<Vec<Progress>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (
        Arc::new(move |p: Progress| sink.lock().unwrap().push(p)),
        seen,
    )
}

fn messages(seen: &Arc<Mutex<Vec<Progress>>>) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|p| p.message.clone())
        .collect()
}

/// Inline copy of a fixture, so the run happens in a fresh temp dir under `root`.
fn inline(name: &str) -> ProjectSource {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(fixture(name)).unwrap() {
        let path = entry.unwrap().path();
        let file_name = path.file_name().unwrap().to_str().unwrap().to_owned();
        files.insert(file_name, std::fs::read_to_string(&path).unwrap());
    }
    ProjectSource::Inline(files)
}

/// Live (non-zombie) processes whose working directory is under `root`.
fn live_processes_under(root: &Path) -> Vec<(i32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cwd) = std::fs::read_link(entry.path().join("cwd")) else {
            continue;
        };
        if !cwd.starts_with(root) {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .unwrap_or("");
        if state != "Z" && !state.is_empty() {
            let cmdline = std::fs::read_to_string(entry.path().join("cmdline")).unwrap_or_default();
            found.push((pid, cmdline.replace('\0', " ")));
        }
    }
    found
}

#[tokio::test]
async fn trivial_pipeline_runs_and_the_second_run_reuses_the_venv() {
    let config = config();
    let (progress, seen) = recorder();
    let request = RunRequest::new(
        fixture("trivial"),
        inputs(json!({"word": "hello", "times": 3})),
    );
    let first = run_locally(
        request.clone(),
        &config,
        Some(progress),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(first.status.as_str(), "succeeded", "{}", first.to_text());
    assert_eq!(first.output, json!("hello hello hello"));
    assert!(first.files.is_empty());
    assert!(first.venv.path.starts_with(shared_cache()));
    assert_eq!(first.venv.cog_version, "0.15.3");
    // cog's own schema generator (cog <= 0.16) wrote the schema cog checks inputs against.
    assert!(
        !first.warnings.iter().any(|w| w.contains("openapi_schema")),
        "{:?}",
        first.warnings
    );
    assert_eq!(first.runtime.runtime.as_str(), "latest");
    let first_messages = messages(&seen);
    assert!(
        first_messages.iter().any(|m| m == "running the prediction"),
        "{first_messages:#?}"
    );
    assert!(
        first_messages
            .iter()
            .any(|m| m.contains("repeating hello 3 times")),
        "{first_messages:#?}"
    );
    let values: Vec<f64> = seen.lock().unwrap().iter().map(|p| p.progress).collect();
    assert!(values.windows(2).all(|w| w[0] < w[1]), "{values:?}");

    let (progress, seen) = recorder();
    let second = run_locally(request, &config, Some(progress), CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(second.output, json!("hello hello hello"));
    assert!(second.venv.reused);
    assert_eq!(second.venv.path, first.venv.path);
    let second_messages = messages(&seen);
    assert!(
        !second_messages.iter().any(|m| m.starts_with("installing")),
        "{second_messages:#?}"
    );
    assert!(second.to_text().contains("status: succeeded"));
}

#[tokio::test]
async fn chained_models_run_through_the_real_client_with_the_context_token() {
    let fake = FakeReplicate::start().await;
    let mut config = config();
    config.replicate_base_url = Some(fake.base_url.clone());
    config.replicate_api_token = Some(CONTEXT_TOKEN.into());
    // The token must come from the prediction context, not from the environment.
    config.extra_env = vec![
        (
            "REPLICATE_API_TOKEN".into(),
            "r8_env_token_must_not_be_used".into(),
        ),
        ("REPLICATE_POLL_INTERVAL".into(), "0".into()),
    ];
    let out = tempfile::tempdir().unwrap();
    let mut request = RunRequest::new(fixture("chain"), inputs(json!({"prompt": "a red fox"})));
    request.output_dir = Some(out.path().to_path_buf());
    let result = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.status.as_str(), "succeeded", "{}", result.to_text());

    // The file came back as a file, and the output names it.
    assert_eq!(result.files.len(), 1, "{}", result.to_text());
    let file = &result.files[0];
    assert!(file.starts_with(out.path()));
    assert_eq!(result.output, json!(file.display().to_string()));
    let bytes = std::fs::read(file).unwrap();
    assert!(!bytes.is_empty());
    assert!(
        result.logs.contains("drawing: a red fox"),
        "{}",
        result.logs
    );

    // Both models were called, in order, each with the context token.
    let created: Vec<_> = fake.predictions();
    let models: Vec<&str> = created
        .iter()
        .map(|p| p["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        models,
        ["acme/pixel-forge", "acme/upscale.x2"],
        "{created:#?}"
    );
    assert_eq!(created[0]["input"]["prompt"], "a red fox");
    let api_calls = fake.requests_to("/v1/");
    assert!(!api_calls.is_empty());
    for call in &api_calls {
        assert_eq!(
            call.authorization.as_deref(),
            Some(format!("Bearer {CONTEXT_TOKEN}").as_str()),
            "{} {}",
            call.method,
            call.path
        );
    }
}

#[tokio::test]
async fn a_failing_model_is_a_failed_result_with_error_and_logs() {
    let fake = FakeReplicate::start().await;
    let mut config = config();
    config.replicate_base_url = Some(fake.base_url.clone());
    config.replicate_api_token = Some(CONTEXT_TOKEN.into());
    config.extra_env = vec![("REPLICATE_POLL_INTERVAL".into(), "0".into())];
    let request = RunRequest::new(
        fixture("chain"),
        inputs(json!({"prompt": "FAIL_PREDICTION please"})),
    );
    let result = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.status.as_str(), "failed", "{}", result.to_text());
    let error = result.error.clone().unwrap_or_default();
    assert!(error.contains("simulated failure"), "{}", result.to_text());
    assert!(
        result.logs.contains("drawing: FAIL_PREDICTION please"),
        "{}",
        result.logs
    );
    assert!(result.files.is_empty());
    assert!(result.to_text().contains("status: failed"));
}

#[tokio::test]
async fn a_run_past_the_timeout_is_killed_with_its_grandchildren() {
    let root = tempfile::tempdir().unwrap();
    let mut config = config();
    config.temp_dir = Some(root.path().to_path_buf());
    let mut request = RunRequest::new(".", RunInputs::new());
    request.project = inline("sleepy");
    // Long enough for the server to start and the prediction to begin.
    request.timeout = Some(Duration::from_secs(20));
    let (progress, seen) = recorder();
    let err = run_locally(request, &config, Some(progress), CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, RunError::Timeout { seconds: 20, .. }),
        "{err}"
    );
    assert!(
        messages(&seen).iter().any(|m| m == "sleeping"),
        "{:#?}",
        messages(&seen)
    );
    // Give the kernel a moment to deliver SIGKILL and the reaper to collect.
    let mut left = live_processes_under(root.path());
    for _ in 0..50 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = live_processes_under(root.path());
    }
    assert!(left.is_empty(), "processes left behind: {left:#?}");
}

#[tokio::test]
async fn cancelling_kills_the_run() {
    let root = tempfile::tempdir().unwrap();
    let mut config = config();
    config.temp_dir = Some(root.path().to_path_buf());
    let mut request = RunRequest::new(".", RunInputs::new());
    request.project = inline("sleepy");
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let progress: ProgressFn = Arc::new(move |p: Progress| {
        if p.message == "sleeping" {
            trigger.cancel();
        }
    });
    let err = run_locally(request, &config, Some(progress), cancel)
        .await
        .unwrap_err();
    assert!(matches!(err, RunError::Cancelled), "{err}");
    let mut left = live_processes_under(root.path());
    for _ in 0..50 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = live_processes_under(root.path());
    }
    assert!(left.is_empty(), "processes left behind: {left:#?}");
}

#[tokio::test]
async fn bad_inputs_are_rejected_by_the_server_with_422() {
    let request = RunRequest::new(
        fixture("trivial"),
        inputs(json!({"word": "x", "times": "many"})),
    );
    let err = run_locally(request, &config(), None, CancellationToken::new())
        .await
        .unwrap_err();
    let RunError::InputRejected { problems } = &err else {
        panic!("expected a 422, got {err}")
    };
    assert!(problems.iter().any(|p| p.contains("times")), "{problems:?}");
}

#[tokio::test]
async fn bad_inputs_are_caught_before_anything_runs_when_the_signature_is_known() {
    let mut config = config();
    // Proves nothing was started: no Python could have been found.
    config.python = PythonSearch {
        explicit: Some("/nonexistent/python3".into()),
        ..PythonSearch::default()
    };
    let signature = RunSignature {
        params: vec![
            RunParam {
                name: "word".into(),
                python_type: "str".into(),
                required: true,
                choices: None,
            },
            RunParam {
                name: "times".into(),
                python_type: "int".into(),
                required: false,
                choices: None,
            },
        ],
    };
    let parsed = parse_kv_inputs(&["times=3", "wrd=x"], Some(&signature), Path::new(".")).unwrap();
    let mut request = RunRequest::new(fixture("trivial"), parsed);
    request.signature = Some(signature);
    let err = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap_err();
    let RunError::InvalidInputs { problems } = &err else {
        panic!("expected InvalidInputs, got {err}")
    };
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`wrd`") && p.contains("did you mean `word`")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("`word` is required")),
        "{problems:#?}"
    );
}

#[tokio::test]
async fn a_missing_python_is_a_clear_error_naming_what_was_tried() {
    let empty = tempfile::tempdir().unwrap();
    let mut config = config();
    config.python = PythonSearch {
        explicit: None,
        path_var: Some(empty.path().as_os_str().to_owned()),
        pyenv_root: Some(empty.path().join("pyenv")),
        home: Some(empty.path().to_path_buf()),
    };
    let request = RunRequest::new(fixture("trivial"), inputs(json!({"word": "x"})));
    let err = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, RunError::PythonNotFound { .. }), "{text}");
    for tried in [
        "python3.13: not on PATH",
        "python3.12: not on PATH",
        "python3: not on PATH",
        "versions/*/bin/python3",
    ] {
        assert!(text.contains(tried), "{text}");
    }
    assert!(text.contains("MCP_PIPELINES_PYTHON"), "{text}");

    config.python = PythonSearch {
        explicit: Some("/nonexistent/python3".into()),
        ..PythonSearch::default()
    };
    let request = RunRequest::new(fixture("trivial"), inputs(json!({"word": "x"})));
    let text = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("/nonexistent/python3 (MCP_PIPELINES_PYTHON): cannot run"),
        "{text}"
    );
}

#[tokio::test]
async fn concurrent_runs_share_one_venv() {
    let config = config();
    let a = RunRequest::new(fixture("trivial"), inputs(json!({"word": "a"})));
    let b = RunRequest::new(fixture("trivial"), inputs(json!({"word": "b"})));
    let (ra, rb) = tokio::join!(
        run_locally(a, &config, None, CancellationToken::new()),
        run_locally(b, &config, None, CancellationToken::new())
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!((ra.output, rb.output), (json!("a a"), json!("b b")));
    assert_eq!(ra.venv.path, rb.venv.path);
}

#[tokio::test]
async fn file_inputs_are_sent_and_file_lists_come_back_as_files() {
    let signature = RunSignature {
        params: vec![
            RunParam {
                name: "document".into(),
                python_type: "cog.Path".into(),
                required: true,
                choices: None,
            },
            RunParam {
                name: "copies".into(),
                python_type: "int".into(),
                required: false,
                choices: None,
            },
            RunParam {
                name: "shout".into(),
                python_type: "bool".into(),
                required: false,
                choices: None,
            },
        ],
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("note.txt"), "quiet words").unwrap();
    let parsed = parse_kv_inputs(
        &["document=@note.txt", "copies=3", "shout=true"],
        Some(&signature),
        dir.path(),
    )
    .unwrap();
    assert_eq!(
        parsed["document"],
        json!(dir.path().join("note.txt").display().to_string())
    );
    let mut request = RunRequest::new(fixture("files"), parsed);
    request.signature = Some(signature);
    request.output_dir = Some(dir.path().join("out"));
    let result = run_locally(request, &config(), None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.status.as_str(), "succeeded", "{}", result.to_text());
    assert_eq!(result.files.len(), 3);
    for (i, file) in result.files.iter().enumerate() {
        assert_eq!(
            std::fs::read_to_string(file).unwrap(),
            format!("{i}: QUIET WORDS")
        );
        assert_eq!(result.output[i], json!(file.display().to_string()));
    }
    assert!(
        result
            .to_text()
            .contains(&result.files[2].display().to_string())
    );
}

/// cog ≥ 0.17 (the Rust coglet server) needs `COG_PREDICT_TYPE_STUB` and the venv's bin on
/// PATH. Builds a second venv (cog 0.23.1) in the shared cache, once per machine.
#[tokio::test]
async fn cog_0_17_and_later_run_on_coglet_with_the_context_token() {
    let fake = FakeReplicate::start().await;
    let mut config = config();
    config.replicate_base_url = Some(fake.base_url.clone());
    config.replicate_api_token = Some(CONTEXT_TOKEN.into());
    config.extra_env = vec![("REPLICATE_POLL_INTERVAL".into(), "0".into())];
    let (progress, seen) = recorder();
    let request = RunRequest::new(
        fixture("modern"),
        inputs(json!({"text": "ping", "times": 2})),
    );
    let result = run_locally(request, &config, Some(progress), CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.status.as_str(), "succeeded", "{}", result.to_text());
    assert_eq!(result.venv.cog_version, "0.23.1");
    // The schema composed from cog's inspector (cog >= 0.17) was written.
    assert!(
        !result.warnings.iter().any(|w| w.contains("openapi_schema")),
        "{:?}",
        result.warnings
    );
    assert_eq!(result.output, json!("pingping"));
    assert!(
        messages(&seen).iter().any(|m| m == "echoing ping"),
        "{:#?}",
        messages(&seen)
    );
    let calls = fake.requests_to("/v1/");
    assert!(!calls.is_empty());
    assert!(
        calls
            .iter()
            .all(|c| c.authorization.as_deref() == Some(&format!("Bearer {CONTEXT_TOKEN}")))
    );
}

#[tokio::test]
async fn a_pipeline_that_cannot_load_reports_why() {
    let request = RunRequest::new(fixture("broken"), inputs(json!({"word": "x"})));
    let err = run_locally(request, &config(), None, CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(err, RunError::ServerStart { .. }), "{err}");
    assert!(
        err.to_string().contains("helper_that_does_not_exist"),
        "{err}"
    );
}

#[tokio::test]
async fn the_pipeline_sees_only_the_allow_listed_environment() {
    let mut config = config();
    config.replicate_base_url = Some("http://127.0.0.1:9".into());
    config.extra_env = vec![
        ("REPLICATE_POLL_INTERVAL".into(), "0".into()),
        ("MCP_PIPELINES_AUTH_TOKENS".into(), "must-not-pass".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "must-not-pass".into()),
    ];
    let request = RunRequest::new(fixture("envdump"), RunInputs::new());
    let result = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap();
    let names: Vec<&str> = result
        .output
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"REPLICATE_BASE_URL") && names.contains(&"REPLICATE_POLL_INTERVAL"),
        "{names:?}"
    );
    for name in &names {
        assert!(
            !name.starts_with("MCP_PIPELINES_")
                && !name.starts_with("AWS_")
                && !name.starts_with("PIP_")
                && !name.starts_with("PYENV")
                && !name.starts_with("CARGO"),
            "{name} leaked into the pipeline: {names:?}"
        );
    }
}

/// cog reports a failed prediction by its message alone; the run adds the traceback to the
/// logs (paths relative to the project) and where it was raised to the error, on the classic
/// cog server and on coglet alike.
#[tokio::test]
async fn a_raising_pipeline_reports_its_traceback_and_where_it_raised() {
    let project = tempfile::tempdir().unwrap();
    for name in ["cog.yaml", "main.py", "helpers.py", "requirements.txt"] {
        std::fs::copy(fixture("raises").join(name), project.path().join(name)).unwrap();
    }
    for requirements in [None, Some("cog==0.23.1\nreplicate==1.1.0b3\n")] {
        if let Some(text) = requirements {
            std::fs::write(project.path().join("requirements.txt"), text).unwrap();
        }
        let request = RunRequest::new(project.path(), RunInputs::new());
        let result = run_locally(request, &config(), None, CancellationToken::new())
            .await
            .unwrap();
        let cog = &result.venv.cog_version;
        assert_eq!(
            result.status.as_str(),
            "failed",
            "cog {cog}: {}",
            result.to_text()
        );
        let error = result.error.clone().unwrap_or_default();
        assert!(
            error.contains("KeyError: 'b'") && error.contains("raised at main.py line 6, in run"),
            "cog {cog}: {error}\nLOGS:\n{}\nHARNESS:\n{}",
            result.logs,
            result.harness_logs
        );
        let logs = &result.logs;
        assert!(
            logs.contains("Traceback (most recent call last):")
                && logs.contains("File \"main.py\", line 6, in run")
                && logs.contains("parsing a=1"),
            "cog {cog}: {logs}"
        );
        assert!(
            !logs.contains("mcp-pipelines-run-"),
            "no temp paths: {logs}"
        );
        // A project module in the middle of the stack is named by its relative path too.
        let nested = RunRequest::new(project.path(), inputs(json!({"text": "novalue"})));
        let nested = run_locally(nested, &config(), None, CancellationToken::new())
            .await
            .unwrap();
        let error = nested.error.clone().unwrap_or_default();
        assert!(
            error.contains("raised at helpers.py line 2, in parse"),
            "cog {cog}: {error}\n{}",
            nested.logs
        );
    }
}

/// Run dirs live under `<cache>/runs`, not the shared `/tmp`: a sandboxed run reads its own
/// copy but cannot list or read the other runs' dirs beside it.
#[tokio::test]
async fn runs_happen_under_the_cache_and_cannot_see_each_other() {
    let project = tempfile::tempdir().unwrap();
    for name in ["cog.yaml", "requirements.txt"] {
        std::fs::copy(fixture("raises").join(name), project.path().join(name)).unwrap();
    }
    std::fs::write(
        project.path().join("main.py"),
        "import json\nimport os\n\n\ndef run() -> str:\n    here = os.getcwd()\n    runs = os.path.dirname(os.path.dirname(here))\n    try:\n        seen = os.listdir(runs)\n    except PermissionError:\n        seen = 'denied'\n    return json.dumps({'cwd': here, 'runs': seen})\n",
    )
    .unwrap();
    let config = config();
    let result = run_locally(
        RunRequest::new(project.path(), RunInputs::new()),
        &config,
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(result.status.as_str(), "succeeded", "{}", result.to_text());
    let out: Value = serde_json::from_str(result.output.as_str().unwrap()).unwrap();
    let runs = std::fs::canonicalize(shared_cache().join("runs")).unwrap();
    let cwd = std::path::PathBuf::from(out["cwd"].as_str().unwrap());
    assert!(cwd.starts_with(&runs), "{out}");
    if result.warnings.iter().all(|w| !w.contains("not sandboxed")) {
        // Refused, or (a cache under /tmp, seen through the run's own /tmp) nothing but the
        // run's own dir.
        let own = cwd.parent().unwrap().file_name().unwrap().to_str().unwrap();
        assert!(
            out["runs"] == "denied" || out["runs"] == serde_json::json!([own]),
            "{out}"
        );
    }
}
