//! What a pipeline can see: only the allow-listed environment, and not the other runs' dirs
//! under the cache.

use pipelines_tools::run_local::{CancellationToken, RunInputs, RunRequest, run_locally};
use serde_json::Value;

use crate::{config, fixture, shared_cache};

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
