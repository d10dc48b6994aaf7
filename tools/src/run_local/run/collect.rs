//! Collecting a run: the output files written, the logs split and tidied, a failure's error
//! explained, all into the [`RunResult`].

use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;

use super::super::error::RunError;
use super::super::outputs::extract_files;
use super::super::progress::{Reporter, Stage};
use super::super::result::{RunResult, RunStatus, TextOptions, Timings};
use super::prepare::Prepared;
use super::{Driven, RunConfig, blocking, millis};

/// The run's result, from what the prediction left behind.
pub(super) async fn collect(
    driven: Driven,
    p: Prepared,
    config: &RunConfig,
    reporter: &Reporter,
    mut timings: Timings,
    started: Instant,
) -> Result<RunResult, RunError> {
    let Driven {
        response,
        server_output,
        calls,
        isolation,
    } = driven;
    reporter.stage(Stage::Outputs, "collecting outputs");
    let (output, files) = output_files(response.output, p.output_dir.clone()).await?;
    timings.total_ms = millis(started);
    let error = response.error.map(|e| match e {
        Value::String(text) => super::super::logs::said_once(&text),
        other => other.to_string(),
    });
    // cog >= 0.17 answers a failed prediction with empty `logs`; what the pipeline printed
    // is still in the server's output.
    let split = super::super::logs::split(response.logs.as_deref().unwrap_or(""), &server_output);
    let logs = pipeline_logs(split.pipeline, &isolation.dir.project, config);
    let harness_logs = super::super::child::tail(&split.harness, config.log_cap);
    let error = error.map(|e| explained(e, &logs));
    let mut warnings = p.warnings;
    if let Some(error) = &error {
        let text = format!("{error}\n{logs}");
        warnings.extend(super::super::advice::for_failure(
            &text,
            &config.runtime_packages,
        ));
    }
    let status = RunStatus::from_cog(response.status.as_deref());
    reporter.line(format!("prediction {status}"));
    Ok(RunResult {
        status,
        output,
        files,
        output_dir: p.output_dir,
        logs,
        harness_logs,
        error,
        metrics: response.metrics,
        venv: p.venv,
        python: p.python,
        runtime: p.runtime,
        timings,
        warnings,
        calls,
        text: TextOptions::default(),
    })
}

/// The output with its files decoded and written to `dir`: blocking work.
async fn output_files(mut output: Value, dir: PathBuf) -> Result<(Value, Vec<PathBuf>), RunError> {
    blocking(move || {
        let files = extract_files(&mut output, &dir)?;
        Ok((output, files))
    })
    .await
}

/// What the pipeline printed, its paths in the run's copy of the project shown relative to
/// the project, cut to the log cap.
fn pipeline_logs(mut logs: String, project: &std::path::Path, config: &RunConfig) -> String {
    let canonical = std::fs::canonicalize(project).ok();
    for dir in std::iter::once(project).chain(canonical.as_deref()) {
        logs = logs.replace(&format!("{}/", dir.display()), "");
    }
    super::super::child::tail(&logs, config.log_cap)
}

/// A failed prediction's error with the exception's type and where it was raised, as the
/// logs tell.
fn explained(error: String, logs: &str) -> String {
    let error = super::super::logs::with_exception_type(&error, logs).unwrap_or(error);
    match super::super::logs::raise_site(logs) {
        Some(site) => format!("{error} (raised at {site}; the traceback is in the logs)"),
        None => error,
    }
}
