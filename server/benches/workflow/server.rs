//! The server under measurement: the binary over stdio (MCP JSON-RPC, line-delimited),
//! requests in and responses (by id) out; each tool call recorded as the agent saw it.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Child, ChildStdin, Command, Stdio},
    sync::mpsc::{Receiver, channel},
    time::Instant,
};

use pipelines_test_fakes::docs_host::Doc;
use serde_json::{Value, json};

use crate::{CALL_TIMEOUT, Call, Env, FAKE_TOKEN, short_path::DIGEST_HEAD};

/// The text content blocks of a tool result, joined.
pub(crate) fn text(result: &Value) -> String {
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

/// The server over stdio: requests in, responses (by id) out; notifications skipped.
pub(crate) struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    next_id: u64,
    pub(crate) show: bool,
    /// Tool results that carried the rules digest.
    pub(crate) digests: usize,
}

impl Server {
    pub(crate) fn start(env: &Env) -> Server {
        let mut cmd = Command::new(env.bin);
        cmd.arg("--stdio")
            .current_dir(env.work)
            .env_clear()
            .env("MCP_PIPELINES_CACHE_DIR", env.cache)
            .env("MCP_PIPELINES_DOCS_URL", env.docs.url(Doc::Pipelines))
            .env("MCP_PIPELINES_RUNTIME_URL", env.docs.url(Doc::Runtime))
            .env("MCP_PIPELINES_COG_DOCS_URL", env.docs.url(Doc::Cog))
            .env("REPLICATE_BASE_URL", &env.replicate.base_url)
            .env("REPLICATE_API_TOKEN", FAKE_TOKEN)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // What building and running a venv needs from the environment, nothing else.
        for var in [
            "PATH",
            "HOME",
            "PYENV_ROOT",
            "MCP_PIPELINES_PYTHON",
            "MCP_PIPELINES_UV",
            "PIP_INDEX_URL",
            "UV_INDEX_URL",
            "SSL_CERT_FILE",
        ] {
            if let Some(v) = std::env::var_os(var) {
                cmd.env(var, v);
            }
        }
        // The tour profiles what a default session runs: no RUST_LOG, the default level.
        if !env.tour {
            cmd.env("RUST_LOG", "warn");
        }
        let mut child = cmd.spawn().expect("spawn mcp-pipelines --stdio");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            lines,
            next_id: 1,
            show: false,
            digests: 0,
        };
        let init = server.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "workflow-bench", "version": "0"}}),
        );
        assert!(init.get("result").is_some(), "initialize failed: {init}");
        server.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        server
    }

    /// A `/proc/PID/status` figure of the server, in MB.
    pub(crate) fn memory_mb(&self, field: &str) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    }

    fn send(&mut self, msg: &Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{msg}").expect("write to the server");
        stdin.flush().expect("flush");
    }

    pub(crate) fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + CALL_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|e| panic!("{method}: no response ({e})"));
            let msg: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("{method}: not JSON ({e}): {line}"));
            if msg["id"] == json!(id) && msg.get("method").is_none() {
                return msg;
            }
        }
    }

    /// One `tools/call`; records its size and time; returns its result.
    pub(crate) fn call(&mut self, calls: &mut Vec<Call>, tool: &'static str, args: Value) -> Value {
        let start = Instant::now();
        let response = self.request("tools/call", json!({"name": tool, "arguments": args}));
        let elapsed = start.elapsed();
        let result = response
            .get("result")
            .cloned()
            .unwrap_or_else(|| panic!("{tool}: JSON-RPC error {response}"));
        assert!(
            result["isError"] != json!(true),
            "{tool} failed:\n{}",
            text(&result)
        );
        if self.show {
            println!("---- {tool}\n{}\n----", text(&result));
        }
        self.digests += text(&result).matches(DIGEST_HEAD).count();
        calls.push(Call {
            tool,
            text_chars: text(&result).chars().count(),
            structured_chars: result
                .get("structuredContent")
                .map_or(0, |s| s.to_string().chars().count()),
            elapsed,
        });
        result
    }

    pub(crate) fn stop(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}
