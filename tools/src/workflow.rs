//! The steps that combine several parts — the Rulebook from the docs cache, the schema
//! cache, the validator — shared by the MCP tools and the CLI verbs.

use std::{collections::HashMap, path::PathBuf, sync::Arc};

use pipelines_docs_cache::{DocsCache, Rulebook, RulebookOrigin};
use serde::Serialize;

use crate::{
    run_local::ProjectSource,
    schema::{ModelRef, ReplicateClient},
    validate::{
        BoundedError, PARSE_BUDGET, Project, ProjectError, Schemas, ValidationReport, on_big_stack,
        on_big_stack_async, validate_report,
    },
};

/// Loading a project for validation (the runner reads the same source itself).
impl ProjectSource {
    /// Loads and parses the project (the only I/O of validation) on a big-stack thread
    /// within [`PARSE_BUDGET`], blocking the caller; async callers use
    /// [`ProjectSource::load_async`]. Inline files that need no big stack
    /// ([`Project::here`]: parsed before, or small and shallow) load on the caller's
    /// thread: no I/O, and less work than the hand-off.
    pub fn load(&self) -> Result<Project, ProjectError> {
        if let Some(here) = self.here() {
            return here;
        }
        let input = self.clone();
        on_big_stack(PARSE_BUDGET, move || input.load_here()).unwrap_or_else(|e| Err(budget(e)))
    }

    /// [`ProjectSource::load`] without blocking an async worker.
    pub async fn load_async(&self) -> Result<Project, ProjectError> {
        if let Some(here) = self.here() {
            return here;
        }
        let input = self.clone();
        on_big_stack_async(PARSE_BUDGET, move || input.load_here())
            .await
            .unwrap_or_else(|e| Err(budget(e)))
    }

    /// The inline project when it loads on the caller's thread (or the error its files
    /// give); `None` when it needs a big stack, or the files are in a directory.
    fn here(&self) -> Option<Result<Project, ProjectError>> {
        match self {
            ProjectSource::Inline(files) => Project::here(files).transpose(),
            ProjectSource::Dir(_) => None,
        }
    }

    fn load_here(&self) -> Result<Project, ProjectError> {
        match self {
            ProjectSource::Dir(d) => Project::from_dir(d),
            ProjectSource::Inline(f) => Project::from_files(f),
        }
    }
}

fn budget(e: BoundedError) -> ProjectError {
    tracing::warn!(error = %e, "loading the project failed");
    ProjectError::Budget {
        seconds: PARSE_BUDGET.as_secs(),
    }
}

/// The validator's report plus where its facts came from.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PipelineValidation {
    /// True when no diagnostic is an error.
    pub ok: bool,
    /// Every finding, ordered by file, line and column.
    pub diagnostics: Vec<crate::validate::Diagnostic>,
    /// Counts by severity.
    pub summary: crate::validate::Summary,
    /// Where the runtime package list and version pins came from: `cached spec` (with its
    /// fetch time) or `built-in defaults` (call fetch_llms_txt to use the current spec).
    pub rules_from: String,
}

impl PipelineValidation {
    /// Readable text: the findings, ruff-style, and where the rules came from.
    pub fn to_text(&self) -> String {
        let mut text = ValidationReport::text_of(&self.diagnostics, self.summary);
        text.truncate(text.trim_end().len());
        text.push_str("\nRules from: ");
        text.push_str(&self.rules_from);
        text.push('\n');
        text
    }
}

/// The Rulebook from the cache (no network); built-in defaults when the store fails.
pub async fn rulebook(docs: &DocsCache) -> Arc<Rulebook> {
    match docs.rulebook().await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the cached docs; using built-in rules");
            Arc::new(Rulebook::defaults())
        }
    }
}

/// The cached schemas of the models `refs` name, by model and version (only those
/// entries are read); read off the async threads (the store may wait for another process)
/// unless every entry needed is in this process's memory.
pub async fn schemas_for(replicate: &ReplicateClient, refs: &[ModelRef]) -> Schemas {
    if refs.is_empty() {
        return Schemas::new();
    }
    // Schemas this process fetched are in memory: no trip to the blocking pool for them.
    if let Some(schemas) = replicate.cache().schemas_in_memory(refs) {
        return schemas;
    }
    let cache = replicate.cache().clone();
    let refs = refs.to_vec();
    tokio::task::spawn_blocking(move || cache.schemas_for(&refs))
        .await
        .unwrap_or_default()
}

/// Validates a loaded project against the cached Rulebook and schemas.
pub async fn validate(
    project: &Project,
    docs: &DocsCache,
    replicate: &ReplicateClient,
) -> PipelineValidation {
    let rules = rulebook(docs).await;
    let schemas = schemas_for(replicate, &project.used_refs()).await;
    let report = validate_report(project, &rules, &schemas);
    let rules_from = match &rules.origin {
        RulebookOrigin::Cached { fetched_at, .. } => format!("cached spec fetched {fetched_at}"),
        RulebookOrigin::Defaults => {
            "built-in defaults (no cached spec: call fetch_llms_txt to check against the current spec)"
                .to_string()
        }
    };
    PipelineValidation {
        ok: report.ok,
        diagnostics: report.diagnostics,
        summary: report.summary,
        rules_from,
    }
}

/// Why a scaffold could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldFailure {
    /// A requested model's schema could not be fetched.
    #[error("cannot scaffold without the schema of {model}: {message}")]
    Schema {
        /// The model.
        model: String,
        /// What went wrong and what to do.
        message: String,
    },
    /// The request is not valid.
    #[error(transparent)]
    Request(#[from] crate::scaffold::ScaffoldError),
    /// Writing failed.
    #[error(transparent)]
    Write(#[from] crate::scaffold::WriteError),
    /// The task writing the files failed (it panicked or was cancelled).
    #[error("internal error: {0}")]
    Internal(#[source] tokio::task::JoinError),
}

/// Scaffolds a project: fetches the schemas of requested models that are not cached,
/// generates the files from the cached Rulebook, then writes them into `dir` (never
/// clobbering; see `ScaffoldRequest::overwrite`/`dry_run`) or, with no `dir`, returns them.
pub async fn scaffold(
    req: &crate::scaffold::ScaffoldRequest,
    dir: Option<PathBuf>,
    docs: &DocsCache,
    replicate: &ReplicateClient,
) -> Result<crate::scaffold::ScaffoldReport, ScaffoldFailure> {
    let mut schemas = schemas_for(replicate, &crate::scaffold::requested_refs(req)).await;
    let missing = crate::scaffold::models_needing_schemas(req, &schemas);
    if !missing.is_empty() {
        let refs: Vec<String> = missing.iter().map(ToString::to_string).collect();
        let fetched = replicate.fetch_model_schemas(&refs, false).await;
        for (model, result) in missing.iter().zip(fetched) {
            match result {
                Ok(schema) => {
                    schemas.insert(model, schema);
                }
                Err(e) => {
                    return Err(ScaffoldFailure::Schema {
                        model: model.to_string(),
                        message: e.to_string(),
                    });
                }
            }
        }
    }
    let rules = rulebook(docs).await;
    let plan = crate::scaffold::scaffold(req, &rules, &schemas)?;
    match dir {
        None => Ok(crate::scaffold::inline(&plan)),
        Some(dir) => {
            let (overwrite, dry_run) = (req.overwrite, req.dry_run);
            tokio::task::spawn_blocking(move || {
                crate::scaffold::apply(&plan, &dir, overwrite, dry_run)
            })
            .await
            .map_err(ScaffoldFailure::Internal)?
            .map_err(ScaffoldFailure::from)
        }
    }
}

/// Why a local run did not produce a prediction.
#[derive(Debug, thiserror::Error)]
pub enum RunFailure {
    /// The project could not be read.
    #[error(transparent)]
    Project(#[from] ProjectError),
    /// The project has validation errors; nothing was run.
    #[error("the pipeline has {} validation error(s); fix them first (nothing was run):\n{}", .0.summary.errors, .0.to_text())]
    Invalid(Box<PipelineValidation>),
    /// The run itself failed (Python, venv, server, inputs, timeout…).
    #[error(transparent)]
    Run(#[from] crate::run_local::RunError),
}

/// The `run()` signature the validator parsed, in the runner's terms.
pub fn run_signature(project: &Project) -> Option<crate::run_local::RunSignature> {
    let params = project.predict_params()?;
    Some(crate::run_local::RunSignature {
        params: params
            .into_iter()
            .map(|p| crate::run_local::RunParam {
                name: p.name,
                python_type: p.annotation.unwrap_or_default(),
                required: p.required,
                choices: None,
            })
            .collect(),
    })
}

/// `cog`/`replicate` requirement lines from the Rulebook, for projects that do not pin them.
pub fn default_requirements(rules: &Rulebook) -> Vec<String> {
    vec![
        format!("cog{}", rules.cog_requirement.value),
        format!("replicate{}", rules.replicate_requirement.value),
    ]
}

/// What [`run`] runs, and how.
pub struct PipelineRun {
    /// The project.
    pub input: ProjectSource,
    /// The inputs of `run()`, by name.
    pub inputs: crate::run_local::RunInputs,
    /// Hard timeout for the prediction (the runner's default when `None`).
    pub timeout: Option<std::time::Duration>,
    /// Where output files go (a fresh run dir when `None`).
    pub output_dir: Option<PathBuf>,
    /// Mocked models: only `outputs` and `latency_ms` are read; the used models and their
    /// cached schemas are filled in by [`run`].
    pub mocks: crate::run_local::Mocks,
    /// The runner's settings; `default_requirements` and `runtime_packages` are filled
    /// from the Rulebook when empty.
    pub config: crate::run_local::RunConfig,
    /// Where progress goes.
    pub progress: Option<crate::run_local::ProgressFn>,
    /// Cancels the run (its processes are killed).
    pub cancel: tokio_util::sync::CancellationToken,
    /// `replicate` (the cached runtime list's pins) or `latest`; `None`: `replicate` when
    /// the runtime list is cached.
    pub runtime: Option<crate::run_local::RuntimeChoice>,
}

/// Runs a pipeline locally, safely: fetches the schemas of the models it uses that are not
/// cached, validates it (refusing to run with errors), then runs it on cog's HTTP server in
/// a cached venv.
pub async fn run(
    run: PipelineRun,
    docs: &DocsCache,
    replicate: &ReplicateClient,
) -> Result<crate::run_local::RunResult, RunFailure> {
    let PipelineRun {
        input,
        inputs,
        timeout,
        output_dir,
        mut mocks,
        config,
        progress,
        cancel,
        runtime,
    } = run;
    let project = input.load_async().await?;
    let used = project.used_models();
    mocks.models = used.clone();
    // Fully mocked runs send nothing upstream: their schemas come from the cache only.
    let fully_mocked = used.iter().all(|m| mocks.covers(m));
    if !used.is_empty() && !fully_mocked {
        fetch_missing_schemas(&project, replicate, progress.as_ref()).await;
    }
    let report = validate(&project, docs, replicate).await;
    if !report.ok {
        return Err(RunFailure::Invalid(Box::new(report)));
    }
    let mut config = config;
    let rules = rulebook(docs).await;
    if config.default_requirements.is_empty() {
        config.default_requirements = default_requirements(&rules);
    }
    if config.runtime_packages.is_empty() {
        config.runtime_packages = rules
            .python_packages
            .iter()
            .map(|p| p.name.clone())
            .collect();
    }
    if config.runtime_system_tools.is_empty() {
        for package in &rules.system_packages {
            for program in crate::validate::python::system_tools::executables_of(&package.value) {
                if !config.runtime_system_tools.contains(&program) {
                    config.runtime_system_tools.push(program);
                }
            }
        }
    }
    if config.runtime_pins.is_none() {
        config.runtime_pins = runtime_pins(docs).await;
    }
    if config.runtime_python.is_none() {
        config.runtime_python = rules.python_version.as_ref().and_then(|v| {
            let mut parts = v.value.split('.');
            Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
        });
    }
    // Old run outputs and long-unused venvs go first (never a venv in use).
    let prune_config = config.clone();
    if let Err(e) =
        tokio::task::spawn_blocking(move || crate::cache_lifecycle::auto_prune(&prune_config)).await
    {
        tracing::warn!(error = %e, "cache prune task failed");
    }
    if !mocks.outputs.is_empty() {
        mocks.schemas = mock_schemas(replicate, &used).await;
    }
    let request = crate::run_local::RunRequest {
        project: input,
        inputs,
        signature: run_signature(&project),
        output_dir,
        timeout,
        sandbox: None,
        mocks,
        runtime,
        tools_used: tools_used(&project),
    };
    Ok(crate::run_local::run_locally(request, &config, progress, cancel).await?)
}

/// Fetches the schemas of the models the project uses that are not cached (an exact
/// version, or the latest); failures surface as PY016 findings when it is validated.
async fn fetch_missing_schemas(
    project: &Project,
    replicate: &ReplicateClient,
    progress: Option<&crate::run_local::ProgressFn>,
) {
    let refs = project.used_refs();
    let cached = schemas_for(replicate, &refs).await;
    let missing: Vec<String> = refs
        .iter()
        .filter(|r| !cached.has_exact(r))
        .map(ToString::to_string)
        .collect();
    if missing.is_empty() {
        return;
    }
    if let Some(p) = progress {
        p(crate::run_local::Progress {
            message: format!("fetching the schemas of {}", missing.join(", ")),
            progress: 0.0,
            total: None,
        });
    }
    let _ = replicate.fetch_model_schemas(&missing, false).await;
}

/// The programs the predict file and its local modules run by a literal name.
fn tools_used(project: &Project) -> Vec<String> {
    let mut used: Vec<String> = Vec::new();
    for file in project.python.iter().chain(project.local_modules.iter()) {
        for found in &file.usage.tools {
            if !used.contains(&found.tool) {
                used.push(found.tool.clone());
            }
        }
    }
    used
}

/// The cached runtime package list (no network), parsed; `None` when it is not cached.
pub async fn runtime_pins(docs: &DocsCache) -> Option<crate::run_local::RuntimePins> {
    let store = docs.store().clone();
    let doc = tokio::task::spawn_blocking(move || {
        store.latest_version(pipelines_docs_cache::Source::Runtime.name())
    })
    .await
    .ok()?
    .ok()??;
    let pins = crate::run_local::RuntimePins::parse(
        &doc.body,
        format!("runtime list v{} (fetched {})", doc.version, doc.fetched_at),
    );
    for warning in &pins.warnings {
        tracing::warn!("{warning}");
    }
    (!pins.pins.is_empty()).then_some(pins)
}

/// The cached schema (version and OpenAPI document) of each used model, by `owner/name`.
async fn mock_schemas(
    replicate: &ReplicateClient,
    used: &[String],
) -> HashMap<String, crate::run_local::MockSchema> {
    let cache = replicate.cache().clone();
    let used = used.to_vec();
    tokio::task::spawn_blocking(move || {
        used.iter()
            .filter_map(|reference| {
                let openapi = cache.openapi(reference)?;
                let cached = cache.cached(reference);
                let schema = match cached {
                    Some(s) => crate::run_local::MockSchema {
                        version: s.version,
                        openapi,
                        example: s.example,
                        inputs: s.inputs,
                        output: Some(s.output),
                    },
                    None => crate::run_local::MockSchema::from_openapi(None, openapi, None),
                };
                Some((reference.clone(), schema))
            })
            .collect()
    })
    .await
    .unwrap_or_default()
}
