//! `mcp-pipelines run DIR -i key=value…`: exit 0 when the prediction succeeded, 1 when it
//! failed or the pipeline does not validate, 2 when it could not run.

use std::{io::Write, path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

use anyhow::Context;
use clap::Args;
use pipelines_tools::{
    run_local::{CancellationToken, Mocks, Progress, ProjectSource, TextOptions, parse_kv_inputs},
    workflow::{self, PipelineRun, RunFailure},
};

use super::{Format, emit};
use crate::state::AppState;

/// `run` options.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The project directory (holding cog.yaml).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// An input of run(): key=value, or key=@file for a file input; repeatable.
    #[arg(short = 'i', long = "input", value_name = "KEY=VALUE")]
    pub inputs: Vec<String>,
    /// Hard timeout in seconds for the prediction, 1 to 3600 (the server's process group is
    /// killed).
    #[arg(long, value_name = "S", default_value_t = 300, value_parser = parse_timeout)]
    pub timeout: u64,
    /// Where output files are written (default: a fresh dir under the cache dir).
    #[arg(long, value_name = "D")]
    pub output_dir: Option<PathBuf>,
    /// Run without the Landlock sandbox (the pipeline gets this user's full access).
    #[arg(long)]
    pub no_sandbox: bool,
    /// A directory file inputs (`-i key=@file`) may come from, besides the working and
    /// project directories; repeatable.
    #[arg(long = "allow-input-dir", value_name = "D")]
    pub allow_input_dirs: Vec<PathBuf>,
    /// Mock a model instead of calling Replicate: owner/name=JSON, owner/name=@file.json,
    /// or owner/name=auto (an output made from the model's cached schema); '*=auto' mocks
    /// every model. Repeatable.
    #[arg(long = "mock", value_name = "MODEL=OUTPUT")]
    pub mocks: Vec<String>,
    /// What the run may do through its Replicate proxy.
    #[command(flatten)]
    pub limits: crate::cli::RunLimitArgs,
    /// Latency of each mocked prediction in ms.
    #[arg(long, value_name = "MS", default_value_t = pipelines_tools::run_local::DEFAULT_MOCK_LATENCY_MS)]
    pub mock_latency_ms: u64,
    /// replicate: install every package of Replicate's runtime list at its pinned version
    /// (the default when `docs refresh --source runtime` cached it); latest: what resolves
    /// today from requirements.txt.
    #[arg(long, value_name = "replicate|latest")]
    pub runtime: Option<pipelines_tools::run_local::RuntimeChoice>,
    /// `--trace full` shows every call's inputs uncut (default: whole up to 2,000
    /// characters per call, longer values cut with their size).
    #[arg(long, value_enum, value_name = "DETAIL")]
    pub trace: Option<TraceArg>,
    /// Show cog's and the harness's own logs (default: the last 40 lines after the error of
    /// a failed run).
    #[arg(long)]
    pub harness_logs: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// `--trace` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceArg {
    /// Every input uncut.
    Full,
}

/// Parses the `--mock` values: `MODEL=JSON`, `MODEL=@file.json`, `MODEL=auto`.
fn parse_mocks(values: &[String], cwd: &std::path::Path) -> anyhow::Result<Mocks> {
    let mut outputs = std::collections::BTreeMap::new();
    for value in values {
        let (model, output) = value.split_once('=').with_context(|| {
            format!("--mock {value:?}: expected owner/name=JSON, owner/name=@file.json or '*=auto'")
        })?;
        let output = output.trim();
        let parsed = if output == "auto" {
            serde_json::Value::String("auto".into())
        } else if let Some(file) = output.strip_prefix('@') {
            let path = cwd.join(file);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("--mock {model}: cannot read {}", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("--mock {model}: {} is not valid JSON", path.display()))?
        } else {
            // Plain text that is not JSON is taken as a string output.
            serde_json::from_str(output)
                .unwrap_or_else(|_| serde_json::Value::String(output.to_owned()))
        };
        outputs.insert(model.trim().to_owned(), parsed);
    }
    Ok(Mocks {
        outputs,
        ..Mocks::default()
    })
}

/// Runs the pipeline; progress goes to stderr.
pub async fn run(state: &AppState, args: RunArgs) -> anyhow::Result<ExitCode> {
    let svc = state.services().await.map_err(anyhow::Error::msg)?;
    let project = ProjectSource::Dir(args.dir.clone())
        .load_async()
        .await
        .with_context(|| format!("cannot read the project at {}", args.dir.display()))?;
    let signature = workflow::run_signature(&project);
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let inputs = parse_kv_inputs(&args.inputs, signature.as_ref(), &cwd)?;
    let mut mocks = parse_mocks(&args.mocks, &cwd)?;
    mocks.latency_ms = Some(args.mock_latency_ms);
    let cancel = CancellationToken::new();
    cancel_on_signals(cancel.clone())?;
    let progress = Arc::new(|p: Progress| {
        let _ = writeln!(std::io::stderr().lock(), "· {}", p.message);
    });
    let mut config = state.run_config();
    config.sandbox = !args.no_sandbox;
    config.proxy_limits = args.limits.limits();
    let mut roots = vec![cwd, args.dir.clone()];
    roots.extend(args.allow_input_dirs.iter().cloned());
    config.input_roots = Some(roots);
    let run = PipelineRun {
        input: ProjectSource::Dir(args.dir),
        inputs,
        timeout: Some(Duration::from_secs(args.timeout)),
        output_dir: args.output_dir,
        mocks,
        config,
        progress: Some(progress),
        cancel,
        runtime: args.runtime,
    };
    let text = TextOptions {
        full_trace: args.trace == Some(TraceArg::Full),
        harness_logs: args.harness_logs,
    };
    let result = workflow::run(run, &svc.docs, &svc.replicate).await;
    match result {
        Ok(mut r) => {
            r.text = text;
            emit(&r, args.format)?;
            Ok(super::status(r.succeeded()))
        }
        Err(RunFailure::Invalid(report)) => {
            emit(report.as_ref(), args.format)?;
            let _ = writeln!(
                std::io::stderr().lock(),
                "error: not run: fix the validation errors above first"
            );
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

/// SIGINT and SIGTERM cancel the run: its process group and every process it started are
/// killed before the CLI exits. (A SIGKILL is covered by the run's watchdog.)
fn cancel_on_signals(cancel: CancellationToken) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        cancel.cancel();
    });
    Ok(())
}

/// `--timeout`: the range `run_locally` accepts, refused in the same words.
fn parse_timeout(s: &str) -> Result<u64, String> {
    let seconds: u64 = s
        .trim()
        .parse()
        .map_err(|e| format!("{s:?} is not a number of seconds ({e})"))?;
    pipelines_tools::request::check_run_timeout(seconds).map_err(|e| e.to_string())
}
