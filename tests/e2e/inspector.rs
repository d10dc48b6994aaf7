//! The MCP Inspector CLI (`@modelcontextprotocol/inspector`, pinned in tests/e2e/node) lists
//! the tools with `--strict` (tool-schema portability problems fail with exit 6) and exits 0,
//! over stdio in every protocol era and over HTTP with a bearer token.

use std::process::Output;

use serde_json::Value;

use crate::{
    node,
    support::{BIN, HttpServer, Sandbox, run_to_end},
};

fn check(out: &Output, what: &str) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "inspector {what}: {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let doc: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("inspector {what} printed no JSON ({e}):\n{stdout}\n{stderr}"));
    assert!(
        doc["result"]["tools"].is_array(),
        "inspector {what}: no tools list in {doc}"
    );
    doc
}

fn stdio_tools_list(era: &str) {
    let sandbox = Sandbox::new();
    let mut cmd = node::inspector(sandbox.scratch());
    cmd.args([
        "--cli",
        "--strict",
        "--format",
        "json",
        "--protocol-era",
        era,
    ]);
    cmd.args(["--method", "tools/list"]);
    // The server's environment (cache dir, dead remote URLs) goes through -e.
    for (k, v) in sandbox.vars() {
        cmd.arg("-e").arg(format!("{k}={v}"));
    }
    cmd.arg("--").arg(BIN).arg("--stdio");
    let out = run_to_end(&mut cmd, b"", "inspector --cli tools/list");
    check(&out, &format!("stdio --protocol-era {era}"));
}

#[test]
fn inspector_cli_strict_tools_list_over_stdio_legacy() {
    stdio_tools_list("legacy");
}

#[test]
fn inspector_cli_strict_tools_list_over_stdio_modern() {
    stdio_tools_list("modern");
}

#[test]
fn inspector_cli_strict_tools_list_over_http_with_token() {
    let token = "inspector-token-0b7";
    let server = HttpServer::start_in(Sandbox::new().var("MCP_PIPELINES_AUTH_TOKENS", token), &[]);
    let home = Sandbox::new();
    let mut cmd = node::inspector(home.scratch());
    cmd.args([
        "--cli",
        "--strict",
        "--format",
        "json",
        "--method",
        "tools/list",
    ]);
    cmd.args(["--transport", "http", "--server-url", &server.url()]);
    cmd.arg("--header")
        .arg(format!("Authorization: Bearer {token}"));
    let out = run_to_end(&mut cmd, b"", "inspector --cli over HTTP");
    check(&out, "http");
}
