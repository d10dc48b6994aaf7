//! The result of a local run, for agents (JSON, with schema) and people (`to_text`).

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use super::python::Python;
use super::venv::VenvInfo;

/// What a local run produced.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RunResult {
    /// The prediction's status as cog reports it: `succeeded`, `failed` or `canceled`.
    pub status: RunStatus,
    /// The output, with every `data:` URI (files) replaced by the path it was written to.
    pub output: Value,
    /// Files written from the output, in the order they appear in it.
    pub files: Vec<PathBuf>,
    /// Where output files were written.
    pub output_dir: PathBuf,
    /// What the pipeline printed during the prediction (capped; the head is dropped first).
    pub logs: String,
    /// What the harness printed: cog's own records and warnings (e.g. its
    /// `ExperimentalFeatureWarning`), the server's chatter (capped).
    pub harness_logs: String,
    /// The error message when the prediction failed.
    pub error: Option<String>,
    /// cog's metrics, e.g. `{"predict_time": 0.01}`.
    pub metrics: Option<Value>,
    /// The virtualenv used and whether it was reused.
    pub venv: VenvInfo,
    /// The interpreter the venv was built from.
    pub python: Python,
    /// Which runtime the venv reproduces (`replicate` pins or `latest`), which Python and
    /// which prediction server.
    pub runtime: super::runtime::RuntimeUsed,
    /// How long each stage took.
    pub timings: Timings,
    /// Non-fatal notes (e.g. requirement lines that were ignored).
    pub warnings: Vec<String>,
    /// Every prediction the pipeline made, in the order they started (the trace).
    pub calls: Vec<super::proxy::ModelCall>,
    /// How [`RunResult::to_text`] shows the trace and the logs (not part of the JSON).
    #[serde(skip)]
    #[schemars(skip)]
    pub text: TextOptions,
}

/// How the text result shows the trace and the harness logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// Every input of every call uncut (`trace: "full"`); else up to 2,000 characters per call.
    pub full_trace: bool,
    /// The harness logs (cog and its server) always (`harness_logs: true`); else only the
    /// last lines after the error of a failed run.
    pub harness_logs: bool,
}

/// Lines of logs shown after the error of a failed run.
const TAIL_LINES: usize = 40;

/// A prediction's status, as cog names it (`unknown` when cog's answer had none, or one
/// this version does not know).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The prediction finished with an output.
    Succeeded,
    /// The prediction raised an error.
    Failed,
    /// The prediction was canceled.
    Canceled,
    /// Still setting up (not running yet).
    Starting,
    /// Still running.
    Processing,
    /// cog gave no status, or one not listed here.
    Unknown,
}

impl RunStatus {
    /// The status cog's answer gave.
    pub fn from_cog(status: Option<&str>) -> RunStatus {
        let Some(status) = status else {
            return RunStatus::Unknown;
        };
        RunStatus::named(status).unwrap_or_else(|| {
            tracing::warn!(status, "cog answered an unknown prediction status");
            RunStatus::Unknown
        })
    }

    /// The status called `name` (cog's and the Replicate API's names), if it is one.
    pub fn named(name: &str) -> Option<RunStatus> {
        Some(match name {
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "canceled" => RunStatus::Canceled,
            "starting" => RunStatus::Starting,
            "processing" => RunStatus::Processing,
            _ => return None,
        })
    }

    /// Succeeded, failed or canceled: the prediction will not change any more.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            RunStatus::Succeeded | RunStatus::Failed | RunStatus::Canceled
        )
    }

    /// The name cog uses (and the JSON value).
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Canceled => "canceled",
            RunStatus::Starting => "starting",
            RunStatus::Processing => "processing",
            RunStatus::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`: a width in the format (`{:<10}`, the trace table) applies.
        f.pad(self.as_str())
    }
}

/// Durations of the stages of a run, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Timings {
    /// Finding Python.
    pub python_ms: u64,
    /// Checking (and, if needed, building) the venv.
    pub venv_ms: u64,
    /// Writing the project's OpenAPI schema (cog's input checks).
    pub schema_ms: u64,
    /// From starting the cog server to `/health-check` READY.
    pub server_start_ms: u64,
    /// The `POST /predictions` round trip.
    pub predict_ms: u64,
    /// The whole run.
    pub total_ms: u64,
}

impl RunResult {
    /// True when the prediction succeeded.
    pub fn succeeded(&self) -> bool {
        self.status == RunStatus::Succeeded
    }

    /// A plain-text report: status, the error with the last lines of the logs and harness
    /// logs, output, files, the trace, warnings, logs, venv and timings.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "status: {}", self.status);
        let logs = self.logs.trim_end();
        let harness = self.harness_logs.trim_end();
        let failed = !self.succeeded();
        if let Some(error) = &self.error {
            let _ = writeln!(out, "error: {error}");
        }
        if failed {
            tail(&mut out, "logs (the pipeline's output)", logs);
            if !self.text.harness_logs {
                tail(
                    &mut out,
                    "harness logs (cog and the harness, not the pipeline)",
                    harness,
                );
            }
        }
        let output = match &self.output {
            Value::String(text) => text.clone(),
            other => serde_json::to_string_pretty(other).unwrap_or_default(),
        };
        let _ = writeln!(out, "output: {output}");
        if !self.files.is_empty() {
            let _ = writeln!(out, "files:");
            for file in &self.files {
                let _ = writeln!(out, "  {}", file.display());
            }
        }
        out.push_str(&super::proxy::calls_table_with(
            &self.calls,
            self.text.full_trace,
        ));
        for warning in &self.warnings {
            let _ = writeln!(out, "warning: {warning}");
        }
        if !failed && !logs.is_empty() {
            let _ = writeln!(out, "logs:");
            for line in logs.lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
        if self.text.harness_logs && !harness.is_empty() {
            let _ = writeln!(out, "harness logs (cog and the harness, not the pipeline):");
            for line in harness.lines() {
                let _ = writeln!(out, "  {line}");
            }
        } else if !failed && !harness.is_empty() {
            let _ = writeln!(
                out,
                "harness logs: {} line(s) from cog and the harness, not shown (run with `harness_logs: true`, CLI `--harness-logs`, to see them)",
                harness.lines().count()
            );
        }
        let _ = writeln!(out, "{}", self.runtime.to_line());
        let _ = writeln!(
            out,
            "venv: {} ({}; Python {}, cog {})",
            self.venv.path.display(),
            if self.venv.reused {
                "reused"
            } else {
                "built now"
            },
            self.venv.python_version,
            self.venv.cog_version
        );
        let t = &self.timings;
        let _ = writeln!(
            out,
            "timings: venv {} ms, server start {} ms, predict {} ms, total {} ms",
            t.venv_ms, t.server_start_ms, t.predict_ms, t.total_ms
        );
        out
    }
}

/// The last [`TAIL_LINES`] lines of `text` under `title`, saying how many were left out.
fn tail(out: &mut String, title: &str, text: &str) {
    if text.is_empty() {
        return;
    }
    let lines: Vec<&str> = text.lines().collect();
    let skipped = lines.len().saturating_sub(TAIL_LINES);
    if skipped > 0 {
        let _ = writeln!(out, "{title}, last {TAIL_LINES} of {} lines:", lines.len());
    } else {
        let _ = writeln!(out, "{title}:");
    }
    for line in &lines[skipped..] {
        let _ = writeln!(out, "  {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::RunStatus;

    #[test]
    fn statuses_keep_cogs_names() {
        for name in ["succeeded", "failed", "canceled", "starting", "processing"] {
            let status = RunStatus::from_cog(Some(name));
            assert_eq!(status.as_str(), name);
            assert_eq!(serde_json::to_value(status).unwrap(), name);
        }
        assert_eq!(RunStatus::from_cog(None), RunStatus::Unknown);
        assert_eq!(RunStatus::from_cog(Some("exploded")), RunStatus::Unknown);
        assert_eq!(serde_json::to_value(RunStatus::Unknown).unwrap(), "unknown");
    }
}
