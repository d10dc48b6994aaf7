//! The server under load: the release binary started with `serve --http 127.0.0.1:0` and a
//! static token against the loopback fakes, warmed up (spec and schema cached), and its
//! resident memory read from `/proc`.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
        mpsc,
    },
    thread::JoinHandle,
    time::Duration,
};

use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, body::Bytes, client::conn::http1};
use hyper_util::rt::TokioIo;
use pipelines_test_fakes::{
    docs_host::{Doc, DocsHost, PIPELINES_LLMS},
    replicate::FakeReplicate,
};
use serde_json::{Value, json};

use crate::{
    Options,
    load::{EDIT_DIGITS, Phase, Spec},
};

const TOKEN: &str = "bench-token-6f1d2c";
const SECTION_TITLE: &str = "Load test section";
/// The size of the section `get_docs` returns (the issue's `cog/outputs`: ≈ 5.7 k characters).
const SECTION_CHARS: usize = 5_700;
const MODEL: &str = "acme/echo-text";

/// The running server and the fakes it reads from.
pub struct Target {
    child: Child,
    pub addr: SocketAddr,
    section_id: String,
    /// Send requests as the 2026-07-28 inline lifecycle (`_meta`, `Mcp-Method`/`Mcp-Name`).
    inline: bool,
    _docs: DocsHost,
    _replicate: FakeReplicate,
    _cache: tempfile::TempDir,
    _stderr: JoinHandle<()>,
}

impl Target {
    /// Starts the fakes (on `rt`) and the server.
    pub fn start(rt: &tokio::runtime::Runtime, opts: &Options) -> Target {
        let (docs, replicate) =
            rt.block_on(async { (DocsHost::start().await, FakeReplicate::start().await) });
        docs.set_body(Doc::Pipelines, &spec_with_big_section());
        let cache = tempfile::tempdir().expect("cache dir");
        let mut child = Command::new(&opts.bin)
            .args(["serve", "--http", "127.0.0.1:0"])
            .args(&opts.server_args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("MCP_PIPELINES_CACHE_DIR", cache.path())
            .env("MCP_PIPELINES_AUTH_TOKENS", TOKEN)
            .env("MCP_PIPELINES_DOCS_URL", docs.url(Doc::Pipelines))
            .env("MCP_PIPELINES_RUNTIME_URL", docs.url(Doc::Runtime))
            .env("MCP_PIPELINES_COG_DOCS_URL", docs.url(Doc::Cog))
            .env("REPLICATE_BASE_URL", &replicate.base_url)
            .env("REPLICATE_API_TOKEN", "r8_bench_fake_token")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mcp-pipelines serve --http");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        // Reads the listening line, then keeps draining (a full pipe would block the server).
        // The first few warnings and errors are shown (a 503 storm logs one per request).
        let drain = std::thread::spawn(move || {
            let mut shown = 0;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let _ = tx.send(rest.split('/').next().unwrap_or_default().to_string());
                } else if (line.contains("WARN") || line.contains("ERROR")) && shown < 3 {
                    shown += 1;
                    eprintln!("server: {line}");
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server never printed its address")
            .parse()
            .expect("listening address");
        Target {
            child,
            addr,
            section_id: String::new(),
            inline: opts.inline,
            _docs: docs,
            _replicate: replicate,
            _cache: cache,
            _stderr: drain,
        }
    }

    /// Caches the spec and the model's schema, finds the big section, and checks that each
    /// measured call succeeds once.
    pub async fn warm_up(&mut self) {
        self.succeed("fetch_llms_txt", json!({})).await;
        self.succeed("fetch_model_schema", json!({"models": [MODEL]}))
            .await;
        let outline = self.succeed("get_docs", json!({})).await;
        let id = find_section(&outline, SECTION_TITLE)
            .unwrap_or_else(|| panic!("no section titled {SECTION_TITLE:?} in {outline}"));
        let got = self.succeed("get_docs", json!({"section": id})).await;
        assert!(got.to_string().len() > SECTION_CHARS, "{got}");
        let report = self.succeed("validate_pipeline", validate_args("")).await;
        assert!(report.is_object(), "{report}");
        self.section_id = id;
    }

    /// A tool call that must succeed; its structured content.
    async fn succeed(&self, name: &str, args: Value) -> Value {
        let answer = self.call(self.tool_call(name, &args)).await;
        let result = &answer["result"];
        assert!(
            result.is_object() && result["isError"] != true,
            "{name} failed: {answer}"
        );
        result["structuredContent"].clone()
    }

    /// The request a phase repeats.
    pub fn request(&self, phase: Phase) -> Spec {
        match phase {
            Phase::Healthz => Spec {
                method: Method::GET,
                path: "/healthz",
                headers: vec![("host", self.addr.to_string())],
                body: Bytes::new(),
                rpc: false,
                edit_slot: None,
            },
            Phase::GetDocs => self.tool_call("get_docs", &json!({"section": self.section_id})),
            Phase::Validate => self.tool_call("validate_pipeline", &validate_args("")),
            Phase::ValidateEdited => {
                let marker = "9".repeat(EDIT_DIGITS);
                let mut spec = self.tool_call(
                    "validate_pipeline",
                    &validate_args(&format!("# edit {marker}\n")),
                );
                spec.edit_slot = memchr::memmem::find(&spec.body, marker.as_bytes());
                assert!(spec.edit_slot.is_some(), "the edit marker is in the body");
                spec
            }
        }
    }

    fn tool_call(&self, name: &str, args: &Value) -> Spec {
        let mut params = json!({"name": name, "arguments": args});
        let mut headers = vec![
            ("host", self.addr.to_string()),
            ("authorization", format!("Bearer {TOKEN}")),
            ("content-type", "application/json".into()),
            ("accept", "application/json, text/event-stream".into()),
        ];
        if self.inline {
            params["_meta"] = json!({
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientInfo": {"name": "http_load", "version": "1"},
                "io.modelcontextprotocol/clientCapabilities": {},
            });
            headers.push(("mcp-protocol-version", "2026-07-28".into()));
            headers.push(("mcp-method", "tools/call".into()));
            headers.push(("mcp-name", name.into()));
        } else {
            headers.push(("mcp-protocol-version", "2025-11-25".into()));
        }
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params});
        Spec {
            method: Method::POST,
            path: "/mcp",
            headers,
            body: Bytes::from(body.to_string()),
            rpc: true,
            edit_slot: None,
        }
    }

    /// One request on a fresh connection; the answer parsed as JSON.
    async fn call(&self, spec: Spec) -> Value {
        let stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect");
        let (mut sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        let mut req = Request::builder().method(spec.method).uri(spec.path);
        for (k, v) in &spec.headers {
            req = req.header(*k, v);
        }
        let req = req.body(Full::new(spec.body)).expect("request");
        let resp = sender.send_request(req).await.expect("send");
        let status = resp.status();
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        assert!(status.is_success(), "HTTP {status}: {body:?}");
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}: {body:?}"))
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory now (VmRSS), in MB.
    pub fn rss_mb(&self) -> f64 {
        proc_status_kib(self.child.id(), "VmRSS:") as f64 / 1024.0
    }

    /// The server's peak resident memory so far (VmHWM), in MB.
    pub fn hwm_mb(&self) -> f64 {
        proc_status_kib(self.child.id(), "VmHWM:") as f64 / 1024.0
    }

    /// Samples VmRSS every 20 ms until stopped.
    pub fn sample_rss(&self) -> Sampler {
        let pid = self.child.id();
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let (s, p) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Acquire) {
                p.fetch_max(proc_status_kib(pid, "VmRSS:"), Ordering::AcqRel);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Sampler { stop, peak, thread }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running RSS sampler.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: JoinHandle<()>,
}

impl Sampler {
    /// Stops sampling; the peak VmRSS seen, in MB.
    pub fn stop(self) -> f64 {
        self.stop.store(true, Ordering::Release);
        let _ = self.thread.join();
        self.peak.load(Ordering::Acquire) as f64 / 1024.0
    }
}

fn proc_status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// `/proc/loadavg`'s three figures.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The fixture spec plus one section of `SECTION_CHARS` characters.
fn spec_with_big_section() -> String {
    let mut spec = PIPELINES_LLMS.trim_end().to_string();
    spec.push_str(&format!("\n\n## {SECTION_TITLE}\n\n"));
    let start = spec.len();
    let mut i = 0;
    while spec.len() - start < SECTION_CHARS {
        i += 1;
        spec.push_str(&format!(
            "Paragraph {i}: a pipeline's run() calls each model through replicate.use and \
             returns what the last one produced; this paragraph only gives the section its size.\n\n"
        ));
    }
    spec
}

/// The id of the outline entry titled `title`, searched at any depth.
fn find_section(v: &Value, title: &str) -> Option<String> {
    match v {
        Value::Object(m) => {
            if m.get("title").and_then(Value::as_str) == Some(title)
                && let Some(id) = m.get("id").and_then(Value::as_str)
            {
                return Some(id.to_string());
            }
            m.values().find_map(|x| find_section(x, title))
        }
        Value::Array(a) => a.iter().find_map(|x| find_section(x, title)),
        _ => None,
    }
}

/// Three small inline files: a one-model pipeline, main.py starting with `head`.
fn validate_args(head: &str) -> Value {
    json!({"files": {
        "cog.yaml": "build:\n  python_version: \"3.12\"\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n",
        "requirements.txt": "replicate>=1.1.0b1,<2.0.0a1\n",
        "main.py": format!(
            "{head}import replicate\n\necho = replicate.use(\"{MODEL}\")\n\n\ndef run(text: str) -> str:\n    return echo(text=text)\n"
        ),
    }})
}
