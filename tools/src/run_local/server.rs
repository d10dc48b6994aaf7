//! cog's HTTP server: started in the project dir on a free loopback port, polled until
//! `/health-check` says READY, then sent one `POST /predictions`.

use std::ffi::OsString;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::child::tail;
use super::child::{ChildSpec, GroupChild, LineFn, Stream};
use super::error::RunError;
use super::inputs::RunInputs;
use super::progress::Reporter;

const POLL: Duration = Duration::from_millis(20);
const MAX_RESPONSE: usize = 512 * 1024 * 1024;

/// What `POST /predictions` answers.
#[derive(Debug, Deserialize)]
pub(crate) struct PredictionResponse {
    pub(crate) status: Option<String>,
    #[serde(default)]
    pub(crate) output: Value,
    pub(crate) logs: Option<String>,
    pub(crate) error: Option<Value>,
    pub(crate) metrics: Option<Value>,
}

/// A running cog server.
pub(crate) struct CogServer {
    child: GroupChild,
    base_url: String,
    client: reqwest::Client,
    predicting: Arc<AtomicBool>,
}

/// How to start the server.
pub(crate) struct ServerSpec<'a> {
    pub(crate) venv_dir: &'a Path,
    pub(crate) project_dir: &'a Path,
    pub(crate) predict: &'a str,
    pub(crate) cog_version: &'a str,
    /// The allow-listed environment (PATH is prefixed with the venv's bin here).
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) log_cap: usize,
    /// Confine the server (and all it starts) to these rules.
    pub(crate) sandbox: Option<&'a super::sandbox::SandboxSpec>,
}

impl CogServer {
    /// Starts `python -B -E -s -u -m cog.server.http --host 127.0.0.1` with `PORT` set.
    pub(crate) fn start(spec: ServerSpec<'_>, reporter: &Reporter) -> Result<Self, RunError> {
        let port = free_port()?;
        let bin = spec.venv_dir.join("bin");
        let mut env = spec.env;
        let parent_path = env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.clone());
        let mut paths = vec![bin.clone()];
        if let Some(parent) = &parent_path {
            paths.extend(std::env::split_paths(parent));
        }
        let path = std::env::join_paths(paths)
            .map_err(|e| RunError::io("building PATH", std::io::Error::other(e)))?;
        env.retain(|(k, _)| k != "PATH" && k != "PORT");
        env.push(("PATH".into(), path));
        env.push(("PORT".into(), port.to_string().into()));
        if cog_at_least(spec.cog_version, 0, 17) {
            env.push(("COG_PREDICT_TYPE_STUB".into(), spec.predict.into()));
        }
        let predicting = Arc::new(AtomicBool::new(false));
        let on_line = log_forwarder(reporter.clone(), predicting.clone());
        let child_spec = ChildSpec {
            program: bin.join("python"),
            args: [
                "-B",
                "-E",
                "-s",
                "-u",
                "-m",
                "cog.server.http",
                "--host",
                "127.0.0.1",
            ]
            .iter()
            .map(Into::into)
            .collect(),
            cwd: PathBuf::from(spec.project_dir),
            env,
        };
        let spawn = || GroupChild::spawn(&child_spec, spec.log_cap, Some(on_line));
        let child = match spec.sandbox {
            Some(sandbox) => sandbox.spawn_confined(spawn)?,
            None => spawn().map_err(|e| {
                RunError::io(format!("starting {}", child_spec.program.display()), e)
            })?,
        };
        tracing::debug!(pgid = ?child.pgid(), port, "cog server started");
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| RunError::Protocol {
                message: format!("building the HTTP client: {e}"),
            })?;
        Ok(Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            client,
            predicting,
        })
    }

    /// The server's process group.
    pub(crate) fn pgid(&self) -> Option<i32> {
        self.child.pgid()
    }

    /// Everything the server printed so far (stderr, then stdout), capped.
    pub(crate) fn output_tail(&self) -> String {
        let mut text = self.child.stderr_text();
        let stdout = self.child.stdout_text();
        if !stdout.is_empty() {
            text.push_str("--- stdout ---\n");
            text.push_str(&stdout);
        }
        tail(&text, 16 * 1024)
    }

    /// Polls `/health-check` until READY; fails if the server exits or setup fails.
    pub(crate) async fn wait_ready(&mut self) -> Result<(), RunError> {
        loop {
            if let Some(status) = self.child.try_wait() {
                // Reap the group and drain the pipes before reporting.
                self.child.finish().await;
                return Err(RunError::ServerStart {
                    message: format!("the server exited early ({status})"),
                    stderr: self.output_tail(),
                });
            }
            let answer = self
                .client
                .get(format!("{}/health-check", self.base_url))
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            if let Ok(response) = answer
                && let Ok(body) = response.json::<Value>().await
            {
                match body.get("status").and_then(Value::as_str) {
                    Some("READY") => return Ok(()),
                    Some(status @ ("SETUP_FAILED" | "DEFUNCT")) => {
                        let setup_logs = body
                            .pointer("/setup/logs")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned();
                        return Err(RunError::ServerStart {
                            message: format!(
                                "health-check says {status}: setup() or the import of the predictor failed"
                            ),
                            stderr: format!("{setup_logs}\n{}", self.output_tail()),
                        });
                    }
                    _ => {}
                }
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Sends the prediction and waits for its result.
    pub(crate) async fn predict(
        &self,
        inputs: &RunInputs,
        token: Option<&str>,
    ) -> Result<PredictionResponse, RunError> {
        let mut body = json!({ "input": inputs });
        if let Some(token) = token {
            body["context"] = json!({ "replicate_api_token": token });
        }
        self.predicting.store(true, Ordering::SeqCst);
        let response = self
            .client
            .post(format!("{}/predictions", self.base_url))
            .json(&body)
            .send()
            .await
            .map_err(|e| RunError::Protocol {
                message: format!("POST /predictions failed: {e}\n{}", self.output_tail()),
            })?;
        self.predicting.store(false, Ordering::SeqCst);
        let status = response.status();
        let bytes = read_capped(response).await?;
        if status.as_u16() == 422 {
            let body = serde_json::from_slice::<Value>(&bytes).ok();
            let problems = body
                .as_ref()
                .and_then(|b| super::input_schema::refusals(b, inputs))
                .unwrap_or_else(|| {
                    vec![
                        body.as_ref()
                            .and_then(|v| v.get("detail").cloned())
                            .map_or_else(
                                || String::from_utf8_lossy(&bytes).into_owned(),
                                |d| d.to_string(),
                            ),
                    ]
                });
            return Err(RunError::InputRejected { problems });
        }
        if !status.is_success() {
            return Err(RunError::Protocol {
                message: format!(
                    "POST /predictions answered {status}: {}\n{}",
                    tail(&String::from_utf8_lossy(&bytes), 4000),
                    self.output_tail()
                ),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| RunError::Protocol {
            message: format!("POST /predictions answered invalid JSON: {e}"),
        })
    }

    /// Kills the server's whole process group.
    pub(crate) async fn stop(mut self) {
        self.child.finish().await;
    }
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, RunError> {
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > MAX_RESPONSE {
                    return Err(RunError::Protocol {
                        message: format!(
                            "the prediction response is larger than {} MiB",
                            MAX_RESPONSE / 1024 / 1024
                        ),
                    });
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(bytes),
            Err(e) => {
                return Err(RunError::Protocol {
                    message: format!("reading the prediction response: {e}"),
                });
            }
        }
    }
}

/// Forwards the pipeline's own output as progress lines: stdout, and stderr while
/// predicting. cog 0.15 interleaves JSON log records (`"logger"`), which are skipped;
/// coglet (cog ≥ 0.17) wraps the pipeline's lines in JSON records with
/// `fields.source` = `Stdout`/`Stderr`, whose `fields.message` is forwarded.
fn log_forwarder(reporter: Reporter, predicting: Arc<AtomicBool>) -> LineFn {
    Arc::new(move |stream, line| {
        let Some(text) = pipeline_line(line) else {
            return;
        };
        if stream == Stream::Stdout || predicting.load(Ordering::SeqCst) {
            reporter.line(text);
        }
    })
}

/// The pipeline's own text in a server output line, or `None` for the server's records.
pub(crate) fn pipeline_line(line: &str) -> Option<String> {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return None;
    }
    if !trimmed.starts_with('{') {
        return Some(line.trim_end().to_owned());
    }
    let Ok(record) = serde_json::from_str::<Value>(trimmed) else {
        return Some(line.trim_end().to_owned());
    };
    let fields = record.get("fields")?;
    match fields.get("source").and_then(Value::as_str) {
        Some("Stdout" | "Stderr") => fields
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    }
}

fn free_port() -> Result<u16, RunError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| RunError::io("finding a free loopback port", e))?;
    let port = listener
        .local_addr()
        .map_err(|e| RunError::io("finding a free loopback port", e))?
        .port();
    Ok(port)
}

/// True when `version` (e.g. `0.17.0`, `0.16.0rc1`) is at least `major.minor`.
pub(crate) fn cog_at_least(version: &str, major: u32, minor: u32) -> bool {
    let mut parts = version.split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u32>()
            .unwrap_or(0)
    });
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    found >= (major, minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_pipeline_lines_and_drops_server_records() {
        assert_eq!(
            pipeline_line("drawing a fox").as_deref(),
            Some("drawing a fox")
        );
        assert_eq!(pipeline_line("   "), None);
        let cog15 = r#"{"logger": "cog.server.runner", "severity": "INFO", "message": "starting prediction"}"#;
        assert_eq!(pipeline_line(cog15), None);
        let coglet = r#"{"level":"INFO","fields":{"message":"repeating hi 2 times","source":"Stdout"},"target":"coglet::prediction"}"#;
        assert_eq!(
            pipeline_line(coglet).as_deref(),
            Some("repeating hi 2 times")
        );
        let coglet_own = r#"{"level":"INFO","fields":{"message":"Starting prediction"},"target":"coglet::prediction"}"#;
        assert_eq!(pipeline_line(coglet_own), None);
        assert_eq!(pipeline_line("{not json").as_deref(), Some("{not json"));
    }

    #[test]
    fn compares_cog_versions() {
        assert!(!cog_at_least("0.15.3", 0, 17));
        assert!(!cog_at_least("0.16.9", 0, 17));
        assert!(cog_at_least("0.17.0", 0, 17));
        assert!(cog_at_least("0.23.1", 0, 17));
        assert!(cog_at_least("1.0.0rc2", 0, 17));
    }
}
