//! The run itself: Python → venv → cog server → prediction → files, under a hard timeout
//! and a cancellation token, the server's process group killed whatever happens.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::env::{EnvFor, child_env};
use super::error::RunError;
use super::inputs::{RunInputs, RunSignature, check_inputs, embed_files};
use super::outputs::extract_files;
use super::plan::RuntimePlan;
use super::progress::{ProgressFn, Reporter, Stage};
use super::project::{PreparedProject, ProjectSource};
use super::python::find_python_preferring;
use super::result::RunStatus;
use super::result::{RunResult, Timings};
use super::rundir::Isolation;
use super::server::{CogServer, ServerSpec};
use super::venv::{BuildLimits, VenvInfo, VenvLease, ensure_venv};

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

/// [`run_locally`] without the metrics.
async fn run_locally_counted(
    request: RunRequest,
    config: &RunConfig,
    progress: Option<ProgressFn>,
    cancel: CancellationToken,
) -> Result<RunResult, RunError> {
    let started = Instant::now();
    let reporter = Reporter::new(progress);
    let mut inputs = request.inputs;
    if let Some(signature) = &request.signature {
        check_inputs(&inputs, signature)?;
    }
    request.mocks.check(config.replicate_api_token.as_deref())?;
    let run_root = config.run_root()?;
    // Writing inline files and reading and encoding input files (and files in mocks) is
    // blocking work.
    let (project, inputs, mocks) = {
        let source = request.project.clone();
        let temp_dir = Some(run_root.clone());
        let signature = request.signature.clone();
        let roots = config.input_roots.clone();
        let mut mocks = request.mocks;
        blocking(move || {
            let project = PreparedProject::prepare(&source, temp_dir.as_deref())?;
            embed_files(
                &mut inputs,
                signature.as_ref(),
                &project.dir,
                roots.as_deref(),
            )?;
            mocks.embed_files(&project.dir, roots.as_deref())?;
            Ok((project, inputs, mocks))
        })
        .await?
    };

    let mut timings = Timings::default();
    let (python, venv, _lease, warnings, mut runtime) = {
        let t = Instant::now();
        let plan = RuntimePlan::new(request.runtime, config)?;
        reporter.stage(Stage::Python, "looking for Python >= 3.12");
        let (python, python_note) =
            find_python_preferring(&config.python, plan.python(config)).await?;
        timings.python_ms = millis(t);
        let t = Instant::now();
        let (venv, lease, mut warnings) =
            venv_for(&project, &python, config, &plan, &reporter, &cancel).await?;
        timings.venv_ms = millis(t);
        let runtime = plan.used(&venv, python_note.as_deref());
        warnings.extend(python_note);
        (python, venv, lease, warnings, runtime)
    };

    let output_dir = output_dir(request.output_dir, config)?;
    // The real path (see `RunConfig::run_root`).
    let venv_dir = std::fs::canonicalize(&venv.path).unwrap_or_else(|_| venv.path.clone());
    // The project copy is blocking work, up to its size limit.
    let mut isolation = {
        let project_dir = project.dir.clone();
        let venv_dir = venv_dir.clone();
        let temp_dir = Some(run_root);
        let sandbox = request.sandbox.unwrap_or(config.sandbox);
        let ports = config.sandbox_connect_ports.clone();
        blocking(move || {
            Isolation::prepare(
                &project_dir,
                &venv_dir,
                temp_dir.as_deref(),
                sandbox,
                ports.as_deref(),
            )
        })
        .await?
    };
    let mut warnings = warnings;
    warnings.append(&mut isolation.warnings);
    reporter.stage(Stage::Start, "starting the cog server");
    // The child talks to Replicate only through this proxy, with a per-run token.
    let proxy = super::proxy::start_limited(
        config.replicate_base_url.as_deref(),
        config.replicate_api_token.as_deref(),
        &mocks,
        config.proxy_limits.clone(),
    )
    .await?;
    tracing::debug!(
        port = proxy.port(),
        "the run's Replicate proxy listens on 127.0.0.1"
    );
    let mut env = run_env(config, &proxy);
    isolation.add_env(&mut env, &project.predict);
    // The runtime's system tools: this machine's, and ffmpeg from imageio-ffmpeg.
    let path = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone());
    let tools = super::system_tools::offer(
        &config.runtime_system_tools,
        path.as_deref(),
        &venv_dir,
        &isolation.dir.harness,
    )?;
    if let Some(bin) = &tools.bin {
        let mut paths = vec![bin.clone()];
        paths.extend(path.iter().flat_map(std::env::split_paths));
        if let Ok(joined) = std::env::join_paths(paths) {
            env.retain(|(k, _)| k != "PATH");
            env.push(("PATH".into(), joined));
        }
    }
    warnings.extend(super::system_tools::warnings(&tools, &request.tools_used));
    runtime.system_tools = tools.present;
    runtime.missing_system_tools = tools.missing;
    // cog checks inputs against the schema `cog build` writes; without it, anything goes.
    let t = Instant::now();
    if let Err(why) = super::input_schema::write_schema(super::input_schema::SchemaSpec {
        venv_dir: &venv_dir,
        project_dir: &isolation.dir.project,
        predict: &project.predict,
        env: env.clone(),
        sandbox: isolation.sandbox.as_ref(),
    })
    .await
    {
        warnings.push(format!(
            "could not write {} ({why}): cog did not check the inputs against run()'s signature as Replicate does",
            super::input_schema::SCHEMA_FILE
        ));
    }
    timings.schema_ms = millis(t);
    let mut server = CogServer::start(
        ServerSpec {
            venv_dir: &venv_dir,
            project_dir: &isolation.dir.project,
            predict: &project.predict,
            cog_version: &venv.cog_version,
            env,
            log_cap: config.log_cap,
            sandbox: isolation.sandbox.as_ref(),
        },
        &reporter,
    )?;
    isolation.reaper.watch(server.pgid());
    let timeout = request.timeout.unwrap_or(config.timeout);
    let token = Some(proxy.run_token());
    let outcome = tokio::select! {
        outcome = drive(&mut server, &inputs, token, &reporter, &mut timings) => outcome,
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

    reporter.stage(Stage::Outputs, "collecting outputs");
    // Decoding and writing output files is blocking work.
    let (output, files) = {
        let mut output = response.output;
        let dir = output_dir.clone();
        blocking(move || {
            let files = extract_files(&mut output, &dir)?;
            Ok((output, files))
        })
        .await?
    };
    timings.total_ms = millis(started);
    let error = response.error.map(|e| match e {
        Value::String(text) => super::logs::said_once(&text),
        other => other.to_string(),
    });
    // cog >= 0.17 answers a failed prediction with empty `logs`; what the pipeline printed
    // is still in the server's output.
    let split = super::logs::split(response.logs.as_deref().unwrap_or(""), &server_output);
    // Paths in the run's copy of the project are shown relative to the project.
    let mut pipeline_logs = split.pipeline;
    let canonical = std::fs::canonicalize(&isolation.dir.project).ok();
    for dir in std::iter::once(&isolation.dir.project).chain(canonical.as_ref()) {
        pipeline_logs = pipeline_logs.replace(&format!("{}/", dir.display()), "");
    }
    let logs = super::child::tail(&pipeline_logs, config.log_cap);
    let harness_logs = super::child::tail(&split.harness, config.log_cap);
    let error = error.map(|e| super::logs::with_exception_type(&e, &logs).unwrap_or(e));
    let error = error.map(|e| match super::logs::raise_site(&logs) {
        Some(site) => format!("{e} (raised at {site}; the traceback is in the logs)"),
        None => e,
    });
    if let Some(error) = &error {
        let text = format!("{error}\n{logs}");
        warnings.extend(super::advice::for_failure(&text, &config.runtime_packages));
    }
    let status = super::result::RunStatus::from_cog(response.status.as_deref());
    reporter.line(format!("prediction {status}"));
    Ok(RunResult {
        status,
        output,
        files,
        output_dir,
        logs,
        harness_logs,
        error,
        metrics: response.metrics,
        venv,
        python,
        runtime,
        timings,
        warnings,
        calls,
        text: super::result::TextOptions::default(),
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

async fn drive(
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

fn run_env(
    config: &RunConfig,
    proxy: &super::proxy::Proxy,
) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    let mut overrides: Vec<(std::ffi::OsString, std::ffi::OsString)> = config
        .extra_env
        .iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    overrides.extend(proxy.child_env());
    let mut env = child_env(std::env::vars_os(), overrides, EnvFor::Run);
    // The real token never reaches the child, whatever variable carries it.
    if let Some(token) = &config.replicate_api_token {
        env.retain(|(_, v)| v.to_str() != Some(token.as_str()));
    }
    env
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
