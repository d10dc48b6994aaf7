//! `mcp-pipelines --stdio` spoken to byte by byte: stdout carries nothing but JSON-RPC even at
//! `RUST_LOG=trace`, logs go to stderr, and stdin EOF ends the process with status 0.
//! Also the CLI surface that needs no transport (`--version`, `--help`, no arguments).

use std::{
    collections::BTreeSet,
    io::{BufRead, BufReader, Write},
    process::{ChildStdin, Stdio},
    sync::mpsc,
    thread,
};

use serde_json::{Value, json};

use crate::support::{Drain, HANG_GUARD, Sandbox, VERSION, run_to_end, wait_with_guard};

/// A stdio server whose stdout lines arrive on a channel, each checked to be JSON-RPC.
pub struct StdioServer {
    child: std::process::Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<Value>,
    stdout: Option<thread::JoinHandle<Vec<String>>>,
    stderr: Option<Drain>,
}

impl StdioServer {
    pub fn start(sandbox: &Sandbox) -> Self {
        Self::start_with(sandbox, &[])
    }

    /// Started with `--stdio` and `extra` arguments.
    pub fn start_with(sandbox: &Sandbox, extra: &[&str]) -> Self {
        let args: Vec<&str> = ["--stdio"].iter().chain(extra).copied().collect();
        let mut child = sandbox
            .command(&args)
            .env("RUST_LOG", "trace")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mcp-pipelines --stdio");
        let stdin = child.stdin.take();
        let stderr = Drain::start(child.stderr.take().unwrap(), |_| {});
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        // Every stdout line, raw; the test checks each one after the process has exited.
        let stdout = thread::spawn(move || {
            let mut all = Vec::new();
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(v);
                }
                all.push(line);
            }
            all
        });
        Self {
            child,
            stdin,
            lines: rx,
            stdout: Some(stdout),
            stderr: Some(stderr),
        }
    }

    pub fn send(&mut self, msg: &Value) {
        self.send_raw(format!("{msg}\n").as_bytes());
    }

    /// Writes bytes to the server's stdin as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write to server stdin");
        stdin.flush().unwrap();
    }

    /// `initialize` (id 1) and `notifications/initialized`.
    pub fn handshake(&mut self) {
        self.send(&json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "e2e-raw", "version": "0"}
            }
        }));
        self.responses(&[1]);
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    }

    /// Every message up to and including the response with id `last`.
    pub fn messages_until(&self, last: i64) -> Vec<Value> {
        let mut got = Vec::new();
        loop {
            let msg = self.lines.recv_timeout(HANG_GUARD).unwrap_or_else(|_| {
                panic!(
                    "no response with id {last} after {got:?}; stderr:\n{}",
                    self.stderr_text()
                )
            });
            let done = msg["id"].as_i64() == Some(last);
            got.push(msg);
            if done {
                return got;
            }
        }
    }

    /// Waits for the responses to all `ids` (notifications in between are kept too).
    pub fn responses(&self, ids: &[i64]) -> Vec<Value> {
        let mut want: BTreeSet<i64> = ids.iter().copied().collect();
        let mut got = Vec::new();
        while !want.is_empty() {
            let msg = self.lines.recv_timeout(HANG_GUARD).unwrap_or_else(|_| {
                panic!(
                    "no response for ids {want:?}; stderr:\n{}",
                    self.stderr.as_ref().unwrap().snapshot()
                )
            });
            if let Some(id) = msg["id"].as_i64() {
                want.remove(&id);
            }
            got.push(msg);
        }
        got
    }

    /// The server's stderr so far.
    pub fn stderr_text(&self) -> String {
        self.stderr
            .as_ref()
            .map(Drain::snapshot)
            .unwrap_or_default()
    }

    /// Closes stdin and returns (exit status, every stdout line, stderr).
    pub fn close(mut self) -> (std::process::ExitStatus, Vec<String>, String) {
        drop(self.stdin.take());
        let status = wait_with_guard(&mut self.child, HANG_GUARD, "stdio server after stdin EOF");
        let lines = self.stdout.take().unwrap().join().unwrap();
        let stderr = self.stderr.take().unwrap().finish();
        (status, lines, stderr)
    }
}

pub fn by_id(msgs: &[Value], id: i64) -> &Value {
    msgs.iter()
        .find(|m| m["id"].as_i64() == Some(id))
        .unwrap_or_else(|| panic!("no message with id {id}: {msgs:?}"))
}

pub fn assert_pure(lines: &[String], stderr: &str) {
    assert!(!lines.is_empty(), "no stdout at all");
    for line in lines {
        let msg: Value = serde_json::from_str(line).unwrap_or_else(|e| {
            panic!("stdout line is not JSON ({e}): {line:?}\nstderr:\n{stderr}")
        });
        assert_eq!(
            msg["jsonrpc"], "2.0",
            "stdout line is not JSON-RPC 2.0: {line}"
        );
        assert!(
            msg.get("method").is_some()
                || msg.get("result").is_some()
                || msg.get("error").is_some(),
            "stdout line is not a request, notification or response: {line}"
        );
    }
    // The logs exist, and they went to stderr.
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "RUST_LOG=trace should produce logs on stderr, got:\n{stderr}"
    );
}

#[test]
fn legacy_handshake_stdout_is_only_json_rpc_and_eof_exits_0() {
    let sandbox = Sandbox::new();
    let mut server = StdioServer::start(&sandbox);
    server.send(&json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "e2e-raw", "version": "0"}
        }
    }));
    let init = server.responses(&[1]);
    let result = &by_id(&init, 1)["result"];
    assert_eq!(result["serverInfo"]["name"], "mcp-pipelines", "{result}");
    assert_eq!(result["serverInfo"]["version"], VERSION, "{result}");
    assert_eq!(result["protocolVersion"], "2025-11-25", "{result}");

    server.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    server.send(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}));
    server.send(&json!({"jsonrpc": "2.0", "id": 3, "method": "prompts/list", "params": {}}));
    server.send(&json!({
        "jsonrpc": "2.0", "id": 4, "method": "prompts/get",
        "params": {"name": "create_pipeline", "arguments": {"task": "resize a video"}}
    }));
    server.send(&json!({"jsonrpc": "2.0", "id": 5, "method": "no/such/method", "params": {}}));
    let answers = server.responses(&[2, 3, 4, 5]);
    assert!(by_id(&answers, 2)["result"]["tools"].is_array());
    assert!(by_id(&answers, 3)["result"]["prompts"].is_array());
    assert!(by_id(&answers, 4)["result"]["messages"].is_array());
    assert_eq!(by_id(&answers, 5)["error"]["code"], -32601);

    let (status, lines, stderr) = server.close();
    assert!(
        status.success(),
        "exit after stdin EOF: {status:?}\nstderr:\n{stderr}"
    );
    assert_pure(&lines, &stderr);
}

#[test]
fn modern_requests_stdout_is_only_json_rpc_and_eof_exits_0() {
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "e2e-raw", "version": "0"},
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    let sandbox = Sandbox::new();
    let mut server = StdioServer::start(&sandbox);
    server.send(
        &json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": meta}}),
    );
    server.send(
        &json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": meta}}),
    );
    server.send(
        &json!({"jsonrpc": "2.0", "id": 3, "method": "prompts/list", "params": {"_meta": meta}}),
    );
    let answers = server.responses(&[1, 2, 3]);
    let discover = &by_id(&answers, 1)["result"];
    assert!(
        discover["supportedVersions"]
            .as_array()
            .is_some_and(|v| v.iter().any(|v| v == "2026-07-28")),
        "server/discover lists 2026-07-28: {discover}"
    );
    assert!(
        by_id(&answers, 2)["result"]["tools"].is_array(),
        "{answers:?}"
    );
    assert!(
        by_id(&answers, 3)["result"]["prompts"].is_array(),
        "{answers:?}"
    );

    let (status, lines, stderr) = server.close();
    assert!(
        status.success(),
        "exit after stdin EOF: {status:?}\nstderr:\n{stderr}"
    );
    assert_pure(&lines, &stderr);
}

#[test]
fn stdin_eof_before_any_message_exits_0_with_empty_stdout() {
    let sandbox = Sandbox::new();
    let out = run_to_end(
        sandbox.command(&["--stdio"]).env("RUST_LOG", "trace"),
        b"",
        "stdio server with empty stdin",
    );
    assert!(
        out.status.success(),
        "{:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "stdout: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn version_flag_prints_the_crate_version() {
    let sandbox = Sandbox::new();
    let out = run_to_end(&mut sandbox.command(&["--version"]), b"", "--version");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.trim(), format!("mcp-pipelines {VERSION}"));
}

#[test]
fn help_shows_examples_and_environment() {
    let sandbox = Sandbox::new();
    let out = run_to_end(&mut sandbox.command(&["--help"]), b"", "--help");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--stdio",
        "serve",
        "--cache-dir",
        "MCP_PIPELINES_CACHE_DIR",
        "MCP_PIPELINES_AUTH_TOKENS",
        "REPLICATE_API_TOKEN",
        "REPLICATE_BASE_URL",
    ] {
        assert!(text.contains(needle), "--help mentions {needle}:\n{text}");
    }
}

#[test]
fn no_arguments_is_a_usage_error_not_a_hang() {
    let sandbox = Sandbox::new();
    let out = run_to_end(&mut sandbox.command(&[]), b"", "no arguments");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "stdout stays clean");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--stdio"));
}

#[test]
fn a_cancelled_call_drops_its_upstream_request_and_the_session_continues() {
    let fakes = crate::fakes::Fakes::start();
    // Every API answer takes 20 s: the call can only end early if its future was dropped.
    fakes
        .replicate
        .set_delay(std::time::Duration::from_secs(20));
    let mut server = StdioServer::start(&fakes.sandbox());
    server.send(&json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "e2e-raw", "version": "0"}}
    }));
    server.responses(&[1]);
    server.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    server.send(&json!({
        "jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "fetch_model_schema", "arguments": {"models": ["acme/chatter-3b"]}}
    }));
    thread::sleep(std::time::Duration::from_millis(800));
    let cancelled_at = std::time::Instant::now();
    server.send(&json!({
        "jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 2, "reason": "user pressed stop"}
    }));
    // No answer is due for a cancelled request (MCP); the server drops the call's future.
    while !server
        .stderr_text()
        .contains("tool call cancelled by the client")
    {
        assert!(
            cancelled_at.elapsed() < std::time::Duration::from_secs(10),
            "the call was not dropped:\n{}",
            server.stderr_text()
        );
        thread::sleep(std::time::Duration::from_millis(100));
    }
    server.send(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {}}));
    let list = server.responses(&[3]);
    assert!(by_id(&list, 3)["result"]["tools"].is_array());
    assert!(
        cancelled_at.elapsed() < std::time::Duration::from_secs(15),
        "the session stalled behind the cancelled call"
    );
    let (status, _, _) = server.close();
    assert!(status.success());
}

/// A stdio server runs with glibc's malloc thresholds fixed (server/src/malloc.rs): it runs
/// itself again with `MALLOC_TRIM_THRESHOLD_` at glibc's default, in the same process (the
/// id the client spawned answers the handshake); a malloc setting of the caller's is left as
/// it is, without a second run.
#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn stdio_runs_with_fixed_malloc_thresholds_unless_the_caller_tunes_malloc() {
    for caller in [None, Some(("MALLOC_TOP_PAD_", "65536"))] {
        let mut sandbox = Sandbox::new();
        if let Some((key, value)) = caller {
            sandbox = sandbox.var(key, value);
        }
        let mut server = StdioServer::start(&sandbox);
        server.handshake();
        let environ = std::fs::read(format!("/proc/{}/environ", server.child.id())).unwrap();
        let environ = String::from_utf8_lossy(&environ).into_owned();
        let vars: Vec<&str> = environ.split('\0').collect();
        let ours = vars
            .iter()
            .find_map(|v| v.strip_prefix("MALLOC_TRIM_THRESHOLD_="));
        match caller {
            None => assert_eq!(ours, Some("131072"), "environment: {vars:?}"),
            Some((key, value)) => {
                assert_eq!(ours, None, "environment: {vars:?}");
                assert!(vars.contains(&format!("{key}={value}").as_str()));
            }
        }
        let (status, lines, stderr) = server.close();
        assert!(status.success(), "exit {status:?}; stderr:\n{stderr}");
        assert_pure(&lines, &stderr);
    }
}
