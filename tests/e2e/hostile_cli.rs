//! The CLI verbs under `--format json` when they cannot run (exit 2): stdout is still one
//! JSON object, `{"ok": false, "error": "…"}`, for every verb and for usage errors.

use serde_json::Value;

use crate::support::{Sandbox, cli};

#[test]
fn every_verb_prints_a_json_error_object_on_exit_2() {
    let sandbox = Sandbox::new();
    let missing = sandbox.scratch().join("no-such-project");
    let missing = missing.display().to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec!["docs", "refresh", "--format", "json"],
        vec!["docs", "show", "--format", "json"],
        vec!["docs", "search", "anything", "--format=json"],
        vec!["docs", "diff", "--format", "json"],
        vec!["schema", "acme/whatever", "--format", "json"],
        vec!["search", "captions", "--format", "json"],
        vec!["validate", &missing, "--format", "json"],
        vec!["run", &missing, "--format", "json"],
        vec![
            "scaffold", &missing, "--model", "../bad", "--format", "json",
        ],
        // Usage errors, too.
        vec!["schema", "--format", "json", "--no-such-flag"],
        vec!["validate", "--format", "json", "--output", "Bogus"],
    ];
    let mut exit_2 = 0;
    for args in &cases {
        let run = cli(&sandbox, args);
        if run.code != Some(2) {
            continue;
        }
        exit_2 += 1;
        let doc = run.json();
        assert_eq!(doc["ok"], false, "{args:?}: {doc}");
        let error = doc["error"].as_str().unwrap_or_default();
        assert!(!error.trim().is_empty(), "{args:?}: {doc}");
        assert!(doc.as_object().is_some_and(|o| o.len() == 2), "{doc}");
        assert_ne!(doc, Value::Null);
    }
    // The unreachable API and docs host, the missing project and the usage errors at least.
    assert!(
        exit_2 >= 8,
        "only {exit_2} of {} cases exited 2",
        cases.len()
    );
}

/// A quiet CLI: a failed refresh is said once, as the verb's own line; the log records
/// behind it show only with `-v`/`--verbose` or `RUST_LOG`.
#[test]
fn a_failed_refresh_is_said_once_and_log_records_need_verbose() {
    let sandbox = Sandbox::new().var("MCP_PIPELINES_DOCS_URL", "http://127.0.0.1:9/llms.txt");
    let args = ["docs", "refresh", "--source", "pipelines"];
    let quiet = cli(&sandbox, &args);
    assert_eq!(quiet.code, Some(2), "{}\n{}", quiet.stdout, quiet.stderr);
    let said = format!("{}{}", quiet.stdout, quiet.stderr);
    assert!(said.contains("no cached copy"), "{said}");
    assert_eq!(said.lines().count(), 1, "one line: {said}");
    assert!(
        !said.contains("WARN") && !said.contains("pipelines_docs_cache"),
        "no log record: {said}"
    );

    let verbose = cli(
        &sandbox,
        &["docs", "refresh", "--source", "pipelines", "-v"],
    );
    let sandbox = sandbox.var("RUST_LOG", "warn");
    let logged = cli(&sandbox, &args);
    for loud in [verbose, logged] {
        assert_eq!(loud.code, Some(2));
        assert!(
            loud.stderr.contains("WARN") && loud.stderr.contains("docs refresh failed"),
            "{}",
            loud.stderr
        );
    }
}

/// `run --timeout` takes the range `run_locally`'s `timeout_seconds` takes (1 to 3600), and
/// says so instead of running for hours.
#[test]
fn run_refuses_a_timeout_outside_the_tools_range() {
    let sandbox = Sandbox::new();
    let project = sandbox.scratch().join("any-project");
    let project = project.display().to_string();
    for bad in ["4000", "0"] {
        let run = cli(&sandbox, &["run", &project, "--timeout", bad]);
        assert_eq!(run.code, Some(2), "{bad}: {}\n{}", run.stdout, run.stderr);
        let said = format!("{}{}", run.stdout, run.stderr);
        assert!(said.contains("between 1 and 3600"), "{bad}: {said}");
    }
}
