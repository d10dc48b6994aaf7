//! Paths, spawning the real binary, and running helper programs with a hang guard.
//!
//! Every server gets a clean environment: `PATH` and `HOME` only, its own cache dir, and every
//! remote URL pointed at a closed loopback port, so no test can reach the internet by accident.
//! Tests that need a fake (docs host, Replicate API) override the variable with [`Sandbox::var`].

use std::{
    io::{BufRead, BufReader, Read},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Output, Stdio},
    sync::{Arc, Mutex, mpsc},
    thread::{self, JoinHandle},
    time::{Duration, Instant},
};

use tempfile::TempDir;

/// The binary under test, built by cargo for this test crate.
pub const BIN: &str = env!("CARGO_BIN_EXE_mcp-pipelines");

/// The version the binary must report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Longest any helper process (Python client, Inspector, conformance suite, server shutdown) may
/// run before it is killed and the test fails. A hang guard, not a performance assertion.
pub const HANG_GUARD: Duration = Duration::from_secs(180);

/// A loopback URL nothing listens on (port 9, discard): requests fail at once.
pub const DEAD_URL: &str = "http://127.0.0.1:9";

/// The workspace root (the parent of `server/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("server/ has a parent")
        .to_path_buf()
}

/// `target/` of the workspace, where `scripts/test-setup` installs the e2e tools.
pub fn target_dir() -> PathBuf {
    workspace_root().join("target")
}

/// Fails the test with the one instruction that fixes a missing e2e tool.
pub fn require_installed(path: &Path, what: &str) -> PathBuf {
    assert!(
        path.exists(),
        "{what} not found at {}: run scripts/test-setup (scripts/test runs it for you)",
        path.display()
    );
    path.to_path_buf()
}

/// An isolated cache dir plus the environment a server process runs with.
pub struct Sandbox {
    dir: TempDir,
    vars: Vec<(String, String)>,
}

impl Sandbox {
    /// A fresh cache dir; every remote URL points at a dead loopback port.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("mcp-pipelines-e2e-")
            .tempdir()
            .expect("create temp dir");
        let mut sandbox = Self {
            vars: Vec::new(),
            dir,
        };
        let cache = sandbox.cache_dir().display().to_string();
        sandbox = sandbox
            .var("MCP_PIPELINES_CACHE_DIR", &cache)
            .var("REPLICATE_BASE_URL", DEAD_URL)
            .var("MCP_PIPELINES_DOCS_URL", &format!("{DEAD_URL}/llms.txt"))
            .var(
                "MCP_PIPELINES_RUNTIME_URL",
                &format!("{DEAD_URL}/requirements.txt"),
            )
            .var(
                "MCP_PIPELINES_COG_DOCS_URL",
                &format!("{DEAD_URL}/cog-llms.txt"),
            )
            .var("NO_COLOR", "1");
        sandbox
    }

    /// Sets (or replaces) one environment variable of the server.
    pub fn var(mut self, key: &str, value: &str) -> Self {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.to_string(), value.to_string()));
        self
    }

    /// The server's cache dir (`--cache-dir` / `MCP_PIPELINES_CACHE_DIR`).
    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// A scratch dir for the test's own files (token files, projects, ...).
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// The server's environment variables (besides `PATH` and `HOME`).
    pub fn vars(&self) -> &[(String, String)] {
        &self.vars
    }

    /// `mcp-pipelines ARGS` with the sandbox environment and nothing else inherited.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_via(&[], args)
    }

    /// `WRAPPER… mcp-pipelines ARGS` (e.g. `prlimit --nofile=256:256 --`), same environment.
    pub fn command_via(&self, wrapper: &[&str], args: &[&str]) -> Command {
        let mut cmd = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        cmd.args(args).env_clear();
        for key in ["PATH", "HOME"] {
            if let Some(v) = std::env::var_os(key) {
                cmd.env(key, v);
            }
        }
        cmd.envs(self.vars.iter().map(|(k, v)| (k, v)));
        cmd
    }
}

/// Collects a child's output stream on a thread so the child never blocks on a full pipe.
pub struct Drain {
    text: Arc<Mutex<String>>,
    handle: Option<JoinHandle<()>>,
}

impl Drain {
    /// Starts draining; each complete line is also passed to `on_line`.
    pub fn start<R, F>(stream: R, mut on_line: F) -> Self
    where
        R: Read + Send + 'static,
        F: FnMut(&str) + Send + 'static,
    {
        let text = Arc::new(Mutex::new(String::new()));
        let sink = text.clone();
        let handle = thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        on_line(line.trim_end_matches(['\r', '\n']));
                        sink.lock().unwrap().push_str(&line);
                    }
                }
            }
        });
        Self {
            text,
            handle: Some(handle),
        }
    }

    /// What arrived so far.
    pub fn snapshot(&self) -> String {
        self.text.lock().unwrap().clone()
    }

    /// Waits for end of stream (the child closed it) and returns everything.
    pub fn finish(mut self) -> String {
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        self.snapshot()
    }
}

/// Waits for `child` to exit, killing it and failing the test past `limit`.
pub fn wait_with_guard(child: &mut Child, limit: Duration, what: &str) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("poll child") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not exit within {limit:?}; killed it");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `cmd` to completion with `stdin` as its input, stdout and stderr captured, killed
/// (and the test failed) if it outlives [`HANG_GUARD`].
pub fn run_to_end(cmd: &mut Command, stdin: &[u8], what: &str) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let out = Drain::start(child.stdout.take().expect("stdout piped"), |_| {});
    let err = Drain::start(child.stderr.take().expect("stderr piped"), |_| {});
    {
        let mut input = child.stdin.take().expect("stdin piped");
        // The child may exit without reading; that shows in its output.
        let _ = input.write_all(stdin);
    }
    let status = wait_with_guard(&mut child, HANG_GUARD, what);
    Output {
        status,
        stdout: out.finish().into_bytes(),
        stderr: err.finish().into_bytes(),
    }
}

/// Sends SIGTERM to a process (via kill(1): no extra crate for one syscall).
pub fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill(1)");
    assert!(status.success(), "kill -TERM {} failed", child.id());
}

/// A running `mcp-pipelines serve --http 127.0.0.1:0 ...`; killed on drop.
pub struct HttpServer {
    child: Child,
    /// The bound address, read from the server's `listening on http://ADDR/mcp` line.
    pub addr: SocketAddr,
    stderr: Option<Drain>,
    /// The server's cache dir and environment (owning it keeps the temp dir alive).
    #[allow(dead_code)]
    pub sandbox: Sandbox,
}

impl HttpServer {
    /// Starts `serve --http 127.0.0.1:0 EXTRA_ARGS` in a fresh [`Sandbox`].
    pub fn start(extra_args: &[&str]) -> Self {
        Self::start_in(Sandbox::new(), extra_args)
    }

    /// Starts `serve --http 127.0.0.1:0 EXTRA_ARGS` with the given sandbox. If `extra_args`
    /// has its own `--http ADDR`, that one is used instead.
    pub fn start_in(sandbox: Sandbox, extra_args: &[&str]) -> Self {
        Self::start_via(sandbox, &[], extra_args)
    }

    /// Like [`HttpServer::start_in`], with the binary started through `wrapper`.
    pub fn start_via(sandbox: Sandbox, wrapper: &[&str], extra_args: &[&str]) -> Self {
        let mut args = vec!["serve"];
        if !extra_args.contains(&"--http") {
            args.extend_from_slice(&["--http", "127.0.0.1:0"]);
        }
        args.extend_from_slice(extra_args);
        let mut child = sandbox
            .command_via(wrapper, &args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mcp-pipelines serve");
        let (tx, rx) = mpsc::channel();
        let stderr = Drain::start(child.stderr.take().expect("stderr piped"), move |line| {
            if let Some(addr) = listening_addr(line) {
                let _ = tx.send(addr);
            }
        });
        // The sender lives in the drain thread: when the server exits, recv fails at once.
        let addr = match rx.recv_timeout(HANG_GUARD) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "server {args:?} never printed `listening on http://ADDR/mcp` (exit: {status:?}); stderr:\n{}",
                    stderr.finish()
                );
            }
        };
        Self {
            child,
            addr,
            stderr: Some(stderr),
            sandbox,
        }
    }

    /// `http://ADDR/mcp`.
    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    /// The server's stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .as_ref()
            .map(Drain::snapshot)
            .unwrap_or_default()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the server to exit on its own (after a signal sent elsewhere).
    pub fn wait(mut self) -> (ExitStatus, String) {
        let status = wait_with_guard(&mut self.child, HANG_GUARD, "server exit");
        let stderr = self.stderr.take().map(Drain::finish).unwrap_or_default();
        (status, stderr)
    }

    /// Sends SIGTERM and waits for the exit; returns the status and all of stderr.
    pub fn terminate(mut self) -> (ExitStatus, String) {
        sigterm(&self.child);
        let status = wait_with_guard(&mut self.child, HANG_GUARD, "server after SIGTERM");
        let stderr = self.stderr.take().map(Drain::finish).unwrap_or_default();
        (status, stderr)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses `... listening on http://ADDR/mcp` out of one stderr line.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    let rest = line.split("listening on http://").nth(1)?;
    let addr = rest.split('/').next()?;
    addr.trim().parse().ok()
}

#[test]
fn parses_listening_line() {
    assert_eq!(
        listening_addr("mcp-pipelines listening on http://127.0.0.1:4242/mcp"),
        Some("127.0.0.1:4242".parse().unwrap())
    );
    assert_eq!(
        listening_addr("x listening on http://[::1]:80/mcp"),
        Some("[::1]:80".parse().unwrap())
    );
    assert_eq!(listening_addr("INFO serving"), None);
}

/// What one CLI run (`mcp-pipelines VERB …`) printed.
pub struct CliRun {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl CliRun {
    /// Standard output parsed as one JSON document (for `--format json`).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}); exit {:?}\nstdout:\n{}\nstderr:\n{}",
                self.code, self.stdout, self.stderr
            )
        })
    }
}

/// Runs `mcp-pipelines ARGS` in the sandbox's environment to completion (hang-guarded).
pub fn cli(sandbox: &Sandbox, args: &[&str]) -> CliRun {
    let out = run_to_end(
        &mut sandbox.command(args),
        b"",
        &format!("mcp-pipelines {}", args.join(" ")),
    );
    CliRun {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
