//! Errors of the local runner. Each variant says what went wrong and what to try next.

use std::path::PathBuf;

/// Why a local run could not produce a result.
///
/// A model that ran and failed is not an error: it is a [`super::RunResult`] with
/// status `failed`. These variants are the cases where no prediction result exists.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No Python ≥ 3.12 was found. `tried` lists every candidate and why it was rejected.
    #[error(
        "no Python >= 3.12 found (replicate 1.1.0b3 needs it); tried:\n{}\nset MCP_PIPELINES_PYTHON to a python3.12 or python3.13 interpreter",
        tried.iter().map(|t| format!("  - {t}")).collect::<Vec<_>>().join("\n")
    )]
    PythonNotFound {
        /// One line per candidate: its path and why it was rejected.
        tried: Vec<String>,
    },
    /// The project directory or one of its files is unusable.
    #[error("project {path}: {message}")]
    Project {
        /// The offending path.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Inputs do not match the run() signature; nothing was started.
    #[error("invalid inputs:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    InvalidInputs {
        /// One message per problem, naming the input.
        problems: Vec<String>,
    },
    /// Creating the virtualenv or installing the requirements failed.
    #[error("building the virtualenv at {venv} failed: {message}\n{log}")]
    VenvBuild {
        /// The venv directory.
        venv: PathBuf,
        /// Which step failed.
        message: String,
        /// The tail of the installer's output.
        log: String,
    },
    /// The cog server exited or reported a failed setup before it became ready.
    #[error("the cog server did not start: {message}\n{stderr}")]
    ServerStart {
        /// What happened (exit status, setup failure).
        message: String,
        /// The tail of the server's stderr and stdout.
        stderr: String,
    },
    /// The cog server refused the inputs (HTTP 422), as Replicate's API would.
    #[error(
        "the pipeline refused the inputs, as Replicate would (422; nothing ran):\n{}",
        problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
    )]
    InputRejected {
        /// One line per refused input: its name, the value and the constraint (or the
        /// server's `detail` as JSON text when it did not name inputs).
        problems: Vec<String>,
    },
    /// The cog server answered something unexpected.
    #[error("unexpected answer from the cog server: {message}")]
    Protocol {
        /// What was unexpected.
        message: String,
    },
    /// The run took longer than the timeout; the whole process group was killed.
    #[error(
        "the run exceeded the timeout of {seconds} s and was killed{}{}",
        timeout_logs(logs),
        timeout_calls(calls)
    )]
    Timeout {
        /// The timeout in seconds.
        seconds: u64,
        /// The tail of what the server printed.
        logs: String,
        /// The model calls made until then (unfinished ones were canceled upstream).
        calls: Vec<super::ModelCall>,
    },
    /// The mocks are invalid, or a model the pipeline calls is neither mocked nor reachable.
    #[error("{message}")]
    Mocks {
        /// What is wrong and how to fix it (names `mocks` and `REPLICATE_API_TOKEN`).
        message: String,
    },
    /// The runtime asked for cannot be reproduced (e.g. `replicate` without its list).
    #[error("{message}")]
    Runtime {
        /// What is missing and how to get it.
        message: String,
    },
    /// The run was cancelled; the whole process group was killed.
    #[error("the run was cancelled")]
    Cancelled,
    /// A filesystem or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

fn timeout_logs(logs: &str) -> String {
    let logs = logs.trim_end();
    if logs.is_empty() {
        return String::new();
    }
    format!("\nlast output of the cog server and the pipeline:\n{logs}")
}

fn timeout_calls(calls: &[super::ModelCall]) -> String {
    if calls.is_empty() {
        return String::new();
    }
    format!(
        "\n{}(calls still running at the timeout were canceled)",
        super::calls_table(calls)
    )
}

impl RunError {
    /// Wraps an I/O error with what was being done.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}
