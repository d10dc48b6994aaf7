//! Runs the Python SDK harness (`tests/e2e/py/mcp_client.py`) from the venv that
//! `scripts/test-setup` makes in `target/e2e-venv`.
//!
//! A script is JSON (see the harness's docstring); [`stdio_script`] and [`http_script`] build
//! the connection part and [`run_script`] returns the harness's result document; [`stdio`]
//! and [`stdio_in`] are the shorthand for the common case (a stdio server, mode `auto`).

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::{Value, json};

use crate::support::{self, BIN, HttpServer, Sandbox};

/// `target/e2e-venv/bin/python`, or a failure that says to run the set-up.
pub fn venv_python() -> PathBuf {
    support::require_installed(
        &support::target_dir().join("e2e-venv/bin/python"),
        "the e2e Python venv",
    )
}

/// The harness script.
pub fn harness() -> PathBuf {
    support::workspace_root().join("tests/e2e/py/mcp_client.py")
}

/// A script that spawns `mcp-pipelines --stdio` with the sandbox's environment.
/// `mode` is `"auto"` (2026-07-28) or `"legacy"` (2025-11-25 initialize handshake).
pub fn stdio_script(sandbox: &Sandbox, mode: &str, ops: Value) -> Value {
    let env: serde_json::Map<String, Value> = sandbox
        .vars()
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "transport": "stdio",
        "command": BIN,
        "args": ["--stdio"],
        "env": env,
        "mode": mode,
        "ops": ops,
    })
}

/// A script that talks to a running `serve --http`, with a bearer token if given.
pub fn http_script(server: &HttpServer, token: Option<&str>, mode: &str, ops: Value) -> Value {
    let headers = match token {
        Some(t) => json!({ "Authorization": format!("Bearer {t}") }),
        None => json!({}),
    };
    json!({
        "transport": "http",
        "url": server.url(),
        "headers": headers,
        "mode": mode,
        "ops": ops,
    })
}

/// What one harness run printed.
pub struct Run {
    /// Exit status was success.
    pub ok: bool,
    /// The result document (`{"fatal": ...}` when the connection failed).
    pub doc: Value,
    /// The harness's stderr (and a stdio server's stderr).
    pub stderr: String,
}

/// Runs the harness on `script`; does not judge the outcome.
pub fn try_run_script(script: &Value) -> Run {
    let python = venv_python();
    let mut cmd = Command::new(python);
    // -E: ignore PYTHON* variables of the caller; -s: no user site-packages.
    cmd.arg("-E").arg("-s").arg(harness());
    let out = support::run_to_end(&mut cmd, script.to_string().as_bytes(), "Python MCP client");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "Python MCP client printed no JSON result (exit {:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
                out.status
            )
        });
    Run {
        ok: out.status.success(),
        doc,
        stderr,
    }
}

/// Runs the harness on `script` and returns its result document; fails the test if the
/// client could not connect.
pub fn run_script(script: &Value) -> Value {
    let run = try_run_script(script);
    assert!(
        run.ok && run.doc.get("fatal").is_none(),
        "Python MCP client failed: {}\nstderr:\n{}",
        run.doc,
        run.stderr
    );
    run.doc
}

/// The result of operation `index` of a result document; fails on a JSON-RPC error.
pub fn result(doc: &Value, index: usize) -> &Value {
    let entry = &doc["results"][index];
    assert!(
        entry.get("error").is_none(),
        "operation {index} ({}) failed: {}",
        entry["op"],
        entry["error"]
    );
    &entry["result"]
}

/// The JSON-RPC error of operation `index`; fails if it succeeded.
pub fn error(doc: &Value, index: usize) -> &Value {
    let entry = &doc["results"][index];
    assert!(
        entry.get("error").is_some(),
        "operation {index} ({}) should have failed, got {}",
        entry["op"],
        entry["result"]
    );
    &entry["error"]
}

/// `script` with its stdio server started in `dir`: the server's working directory, which is
/// the root `path` arguments are confined to when the client offers no MCP roots.
pub fn in_dir(mut script: Value, dir: &Path) -> Value {
    script["cwd"] = Value::String(dir.display().to_string());
    script
}

/// Runs `ops` against a stdio server in `sandbox` (mode `auto`): the result document.
pub fn stdio(sandbox: &Sandbox, ops: Value) -> Value {
    run_script(&stdio_script(sandbox, "auto", ops))
}

/// [`stdio`] with the server's working directory (the root paths are confined to) `dir`.
pub fn stdio_in(sandbox: &Sandbox, dir: &Path, ops: Value) -> Value {
    run_script(&in_dir(stdio_script(sandbox, "auto", ops), dir))
}

/// The text content blocks of a tool result, joined by newlines.
pub fn tool_text(result: &Value) -> String {
    result["content"]
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// The text of operation `index`'s tool result, which must be an error result.
pub fn error_text(doc: &Value, index: usize) -> String {
    let r = result(doc, index);
    assert!(
        is_error(r),
        "operation {index} should be an error result: {r}"
    );
    tool_text(r)
}

/// Whether a tool result is an error result (`isError: true`).
pub fn is_error(result: &Value) -> bool {
    result["isError"] == true
}

/// Checks a successful tool result against the `outputSchema` that `tools/list` (`tools`, the
/// list result) declares for `tool`: `structuredContent` is an object holding every required
/// key and no key the schema does not declare, and the text content is not empty.
pub fn assert_matches_output_schema(tools: &Value, tool: &str, result: &Value) {
    let declared = tools["tools"]
        .as_array()
        .and_then(|all| all.iter().find(|t| t["name"] == tool))
        .unwrap_or_else(|| panic!("tool {tool} listed: {tools}"));
    let schema = &declared["outputSchema"];
    let properties = schema["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{tool} declares an outputSchema with properties: {schema}"));
    let content = result["structuredContent"]
        .as_object()
        .unwrap_or_else(|| panic!("{tool} returns structuredContent: {result}"));
    for key in schema["required"].as_array().into_iter().flatten() {
        let key = key.as_str().expect("required keys are strings");
        assert!(
            content.contains_key(key),
            "{tool}: structuredContent lacks required `{key}`: {result}"
        );
    }
    for key in content.keys() {
        assert!(
            properties.contains_key(key),
            "{tool}: structuredContent has `{key}`, which its outputSchema does not declare: {schema}"
        );
    }
    assert!(
        !tool_text(result).trim().is_empty(),
        "{tool}: a readable text block goes with the structured content: {result}"
    );
}
