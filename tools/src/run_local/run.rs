//! The run itself: Python → venv → cog server → prediction → files, under a hard timeout
//! and a cancellation token, the server's process group killed whatever happens.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::error::RunError;
use super::inputs::{RunInputs, RunSignature};
use super::plan::RuntimePlan;
use super::progress::{ProgressFn, Reporter, Stage};
use super::project::{PreparedProject, ProjectSource};
use super::python::find_python_preferring;
use super::result::RunStatus;
use super::result::{RunResult, Timings};
use super::rundir::Isolation;
use super::server::{CogServer, PredictionResponse};
use super::venv::{BuildLimits, VenvInfo, VenvLease, ensure_venv};
use prepare::Prepared;
use start::Running;

mod collect;
mod prepare;
mod start;

pub use super::config::RunConfig;

/// One run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The project.
    pub project: ProjectSource,
    /// Inputs by name.
    pub inputs: RunInputs,
    /// run()'s parameters, when known: inputs are checked before anything starts and file
    /// parameters given as local paths are sent as files.
    pub signature: Option<RunSignature>,
    /// Where output files go (default: a fresh dir under `<cache_dir>/outputs/`).
    pub output_dir: Option<PathBuf>,
    /// Overrides `RunConfig::timeout`.
    pub timeout: Option<Duration>,
    /// Overrides `RunConfig::sandbox` (`false`: run unconfined).
    pub sandbox: Option<bool>,
    /// Mocked models, answered by the run's proxy without calling Replicate.
    pub mocks: super::proxy::Mocks,
    /// `replicate` (the runtime list's pins) or `latest`; default: `replicate` when the
    /// runtime list is cached, else `latest`.
    pub runtime: Option<super::runtime::RuntimeChoice>,
    /// The programs the pipeline runs by a literal name (main.py and its local modules):
    /// a runtime tool this machine lacks gets a warning.
    pub tools_used: Vec<String>,
}

impl RunRequest {
    /// A run of the project directory `dir` with `inputs`.
    pub fn new(dir: impl Into<PathBuf>, inputs: RunInputs) -> Self {
        Self {
            project: ProjectSource::Dir(dir.into()),
            inputs,
            signature: None,
            output_dir: None,
            timeout: None,
            sandbox: None,
            mocks: super::proxy::Mocks::default(),
            runtime: None,
            tools_used: Vec::new(),
        }
    }
}

/// Runs the pipeline once on cog's HTTP server in a cached venv.
///
/// Progress goes to `progress`; cancelling `cancel` (or dropping the future) kills the run.
/// A prediction that fails is `Ok` with status `failed`; see [`RunError`] for the rest.
pub async fn run_locally(
    request: RunRequest,
    config: &RunConfig,
    progress: Option<ProgressFn>,
    cancel: CancellationToken,
) -> Result<RunResult, RunError> {
    let started = Instant::now();
    let result = run_locally_counted(request, config, progress, cancel).await;
    let outcome = match &result {
        Ok(r) => match r.status {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Canceled => "canceled",
            _ => "unfinished",
        },
        Err(RunError::Cancelled) => "canceled",
        Err(_) => "error",
    };
    metrics::counter!("mcp_pipelines_runs_total", "outcome" => outcome).increment(1);
    metrics::histogram!("mcp_pipelines_run_duration_seconds", "outcome" => outcome)
        .record(started.elapsed().as_secs_f64());
    result
}

/// [`run_locally`] without the metrics: prepare, start, drive, collect.
async fn run_locally_counted(
    request: RunRequest,
    config: &RunConfig,
    progress: Option<ProgressFn>,
    cancel: CancellationToken,
) -> Result<RunResult, RunError> {
    let started = Instant::now();
    let reporter = Reporter::new(progress);
    let mut timings = Timings::default();
    let mut prepared = prepare::prepare(request, config, &reporter, &cancel, &mut timings).await?;
    let running = start::start(&mut prepared, config, &reporter, &mut timings).await?;
    let driven = drive(running, &prepared, config, &reporter, &cancel, &mut timings).await?;
    collect::collect(driven, prepared, config, &reporter, timings, started).await
}

/// What a prediction left behind: cog's answer, the server's output, the model calls made,
/// and the run's directory (still there for the paths in its logs).
struct Driven {
    response: PredictionResponse,
    server_output: String,
    calls: Vec<super::proxy::ModelCall>,
    isolation: Isolation,
}

/// Waits for the server and the prediction, under the run's timeout and `cancel`; stops the
/// server and the proxy whatever happens.
async fn drive(
    running: Running,
    prepared: &Prepared,
    config: &RunConfig,
    reporter: &Reporter,
    cancel: &CancellationToken,
    timings: &mut Timings,
) -> Result<Driven, RunError> {
    let Running {
        mut server,
        proxy,
        mut isolation,
    } = running;
    let timeout = prepared.timeout;
    let token = Some(proxy.run_token());
    let outcome = tokio::select! {
        outcome = predict(&mut server, &prepared.inputs, token, reporter, timings) => outcome,
        () = tokio::time::sleep(timeout) => Err(RunError::Timeout { seconds: timeout.as_secs(), logs: server.output_tail(), calls: Vec::new() }),
        () = cancel.cancelled() => Err(RunError::Cancelled),
    };
    let server_output = server.output_tail();
    server.stop().await;
    isolation.reaper.finish();
    let calls = proxy.finish().await;
    let response = match outcome {
        // The calls made until the timeout go with its error.
        Err(RunError::Timeout { seconds, logs, .. }) => {
            return Err(RunError::Timeout {
                seconds,
                logs,
                calls,
            });
        }
        other => other.map_err(|e| super::advice::add_to_error(e, &config.runtime_packages))?,
    };
    Ok(Driven {
        response,
        server_output,
        calls,
        isolation,
    })
}

/// Builds (or finds) the venv for a project without running it: a warm-up.
pub async fn prepare_venv(
    project: &ProjectSource,
    config: &RunConfig,
    progress: Option<ProgressFn>,
    cancel: CancellationToken,
) -> Result<VenvInfo, RunError> {
    let reporter = Reporter::new(progress);
    let project = PreparedProject::prepare(project, Some(config.run_root()?.as_path()))?;
    let plan = RuntimePlan::new(None, config)?;
    reporter.stage(Stage::Python, "looking for Python >= 3.12");
    let (python, _) = find_python_preferring(&config.python, plan.python(config)).await?;
    let (venv, _lease, _) = venv_for(&project, &python, config, &plan, &reporter, &cancel).await?;
    Ok(venv)
}

async fn venv_for(
    project: &PreparedProject,
    python: &super::python::Python,
    config: &RunConfig,
    plan: &RuntimePlan<'_>,
    reporter: &Reporter,
    cancel: &CancellationToken,
) -> Result<(VenvInfo, VenvLease, Vec<String>), RunError> {
    let requirements = plan.requirements(project.requirements.as_deref(), config);
    for warning in &requirements.warnings {
        reporter.line(warning.clone());
    }
    let limits = BuildLimits {
        timeout: config.install_timeout,
        cancel: cancel.clone(),
        uv: config.uv.clone(),
    };
    let (venv, lease) =
        ensure_venv(&config.cache_dir, python, &requirements, reporter, &limits).await?;
    Ok((venv, lease, requirements.warnings))
}

/// Waits for cog's server to be ready, then runs the prediction.
async fn predict(
    server: &mut CogServer,
    inputs: &RunInputs,
    token: Option<&str>,
    reporter: &Reporter,
    timings: &mut Timings,
) -> Result<super::server::PredictionResponse, RunError> {
    let t = Instant::now();
    server.wait_ready().await?;
    timings.server_start_ms = millis(t);
    reporter.stage(Stage::Predict, "running the prediction");
    let t = Instant::now();
    let response = server.predict(inputs, token).await?;
    timings.predict_ms = millis(t);
    Ok(response)
}

fn output_dir(requested: Option<PathBuf>, config: &RunConfig) -> Result<PathBuf, RunError> {
    if let Some(dir) = requested {
        std::fs::create_dir_all(&dir)
            .map_err(|e| RunError::io(format!("creating {}", dir.display()), e))?;
        return Ok(dir);
    }
    let root = config.cache_dir.join("outputs");
    std::fs::create_dir_all(&root)
        .map_err(|e| RunError::io(format!("creating {}", root.display()), e))?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let dir = tempfile::Builder::new()
        .prefix(&format!("run-{stamp}-"))
        .tempdir_in(&root)
        .map_err(|e| RunError::io(format!("creating an output dir in {}", root.display()), e))?;
    Ok(dir.keep())
}

/// Runs blocking file-system or CPU work off the async worker threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, RunError> + Send + 'static,
) -> Result<T, RunError> {
    pipelines_docs_cache::blocking::blocking(work, |e| {
        RunError::io("a blocking step of the run", std::io::Error::other(e))
    })
    .await
}

fn millis(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}
