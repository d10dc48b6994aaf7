//! Preparing a run: the inputs checked, the project and the input files on disk, Python and
//! the venv ready, the output directory made. Nothing runs yet.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::super::error::RunError;
use super::super::inputs::{RunInputs, RunSignature, check_inputs, embed_files};
use super::super::plan::RuntimePlan;
use super::super::progress::{Reporter, Stage};
use super::super::project::{PreparedProject, ProjectSource};
use super::super::proxy::Mocks;
use super::super::python::{Python, find_python_preferring};
use super::super::result::Timings;
use super::super::runtime::{RuntimeChoice, RuntimeUsed};
use super::super::venv::{VenvInfo, VenvLease};
use super::{RunConfig, RunRequest, blocking, millis, output_dir, venv_for};

/// A run ready to start.
pub(super) struct Prepared {
    pub(super) project: PreparedProject,
    pub(super) inputs: RunInputs,
    pub(super) mocks: Mocks,
    /// Where the run's temporary files go (see `RunConfig::run_root`).
    pub(super) run_root: PathBuf,
    pub(super) python: Python,
    pub(super) venv: VenvInfo,
    /// Keeps the venv from being evicted while the run uses it.
    pub(super) _lease: VenvLease,
    pub(super) runtime: RuntimeUsed,
    pub(super) warnings: Vec<String>,
    pub(super) output_dir: PathBuf,
    pub(super) timeout: Duration,
    pub(super) sandbox: bool,
    pub(super) tools_used: Vec<String>,
}

/// Checks the request, writes what the run reads, and finds Python and the venv.
pub(super) async fn prepare(
    request: RunRequest,
    config: &RunConfig,
    reporter: &Reporter,
    cancel: &CancellationToken,
    timings: &mut Timings,
) -> Result<Prepared, RunError> {
    if let Some(signature) = &request.signature {
        check_inputs(&request.inputs, signature)?;
    }
    request.mocks.check(config.replicate_api_token.as_deref())?;
    let run_root = config.run_root()?;
    let (project, inputs, mocks) = on_disk(
        request.project,
        request.inputs,
        request.signature,
        request.mocks,
        run_root.clone(),
        config,
    )
    .await?;
    let runtime = runtime(&project, request.runtime, config, reporter, cancel, timings).await?;
    let output_dir = output_dir(request.output_dir, config)?;
    Ok(Prepared {
        project,
        inputs,
        mocks,
        run_root,
        python: runtime.python,
        venv: runtime.venv,
        _lease: runtime.lease,
        runtime: runtime.used,
        warnings: runtime.warnings,
        output_dir,
        timeout: request.timeout.unwrap_or(config.timeout),
        sandbox: request.sandbox.unwrap_or(config.sandbox),
        tools_used: request.tools_used,
    })
}

/// The project on disk (inline files written), the input files and the files in mocks read
/// and encoded: blocking work.
async fn on_disk(
    source: ProjectSource,
    mut inputs: RunInputs,
    signature: Option<RunSignature>,
    mut mocks: Mocks,
    run_root: PathBuf,
    config: &RunConfig,
) -> Result<(PreparedProject, RunInputs, Mocks), RunError> {
    let roots = config.input_roots.clone();
    blocking(move || {
        let project = PreparedProject::prepare(&source, Some(run_root.as_path()))?;
        embed_files(
            &mut inputs,
            signature.as_ref(),
            &project.dir,
            roots.as_deref(),
        )?;
        mocks.embed_files(&project.dir, roots.as_deref())?;
        Ok((project, inputs, mocks))
    })
    .await
}

/// Python and the venv a run uses.
struct Runtime {
    python: Python,
    venv: VenvInfo,
    lease: VenvLease,
    used: RuntimeUsed,
    warnings: Vec<String>,
}

/// Finds Python and builds (or finds) the venv, as the runtime plan asks.
async fn runtime(
    project: &PreparedProject,
    choice: Option<RuntimeChoice>,
    config: &RunConfig,
    reporter: &Reporter,
    cancel: &CancellationToken,
    timings: &mut Timings,
) -> Result<Runtime, RunError> {
    let t = Instant::now();
    let plan = RuntimePlan::new(choice, config)?;
    reporter.stage(Stage::Python, "looking for Python >= 3.12");
    let (python, python_note) = find_python_preferring(&config.python, plan.python(config)).await?;
    timings.python_ms = millis(t);
    let t = Instant::now();
    let (venv, lease, mut warnings) =
        venv_for(project, &python, config, &plan, reporter, cancel).await?;
    timings.venv_ms = millis(t);
    let used = plan.used(&venv, python_note.as_deref());
    warnings.extend(python_note);
    Ok(Runtime {
        python,
        venv,
        lease,
        used,
        warnings,
    })
}
