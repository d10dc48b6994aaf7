//! The scaffolder: a pipeline project (`cog.yaml`, `requirements.txt`, `main.py`,
//! `README.md`) that is correct by construction — pins from the [`Rulebook`], model calls
//! from the models' schemas — written without clobbering anyone's edits.
//!
//! Layout:
//! - `request` — [`ScaffoldRequest`], the tool's input.
//! - `plan` — `run()`'s parameters and where every model input's value comes from;
//!   `inputs` — declared and derived parameters; `output` — the return and `class Output`.
//! - `generate` + `render` — the template files in `tools/templates/`, filled in.
//! - `apply` — writing (atomic, diffs instead of clobbering) and the inline answer;
//!   `report` — [`ScaffoldReport`].
//!
//! [`scaffold`] is pure: the caller fetches missing schemas first
//! ([`models_needing_schemas`]) and confines the directory before [`apply`].

mod apply;
mod error;
mod fill;
mod generate;
mod inputs;
mod names;
mod output;
mod plan;
mod python;
mod render;
mod report;
mod request;
mod steps;
mod types;

use pipelines_docs_cache::Rulebook;
use serde::{Deserialize, Serialize};

use crate::schema::{ModelRef, Schemas};

pub use apply::{apply, inline};
pub use error::{ScaffoldError, WriteError};
pub use report::{FileReport, FileStatus, ScaffoldReport};
pub use request::{InputSpec, OutputChoice, ScaffoldRequest, StepInput, StepOver, StepSpec};

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedFile {
    /// The path relative to the project directory.
    pub path: String,
    /// The full content.
    pub content: String,
}

/// The generated project, not yet written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaffoldPlan {
    /// `cog.yaml`, `requirements.txt`, `main.py`, `README.md`, in that order.
    pub files: Vec<PlannedFile>,
    /// Choices worth a look (placeholders, added inputs, unused inputs) and next steps.
    pub notes: Vec<String>,
}

impl ScaffoldPlan {
    /// The files as a name → content map (the validator's inline project form).
    pub fn file_map(&self) -> std::collections::BTreeMap<String, String> {
        self.files
            .iter()
            .map(|f| (f.path.clone(), f.content.clone()))
            .collect()
    }
}

/// The valid model references of the request (`models`, then `steps`), as written,
/// without duplicates: the cached schemas to look up. Invalid references are skipped
/// ([`scaffold`] reports them).
pub fn requested_refs(req: &ScaffoldRequest) -> Vec<ModelRef> {
    let mut out: Vec<ModelRef> = Vec::new();
    let step_models = req.steps.iter().flatten().map(|s| &s.model);
    for reference in req.models.iter().flatten().chain(step_models) {
        if let Ok(r) = ModelRef::parse(reference.trim())
            && !out.contains(&r)
        {
            out.push(r);
        }
    }
    out
}

/// The requested references whose own schema (the pinned version, or the latest when
/// none is pinned) is not in `cached`, in request order, without duplicates: the schemas
/// to fetch. Invalid references are skipped ([`scaffold`] reports them).
pub fn models_needing_schemas(req: &ScaffoldRequest, cached: &Schemas) -> Vec<ModelRef> {
    requested_refs(req)
        .into_iter()
        .filter(|r| !cached.has_exact(r))
        .collect()
}

/// Generates the project. `schemas` must hold every requested model's schema (each call
/// gets the version it pins when cached, else the latest; see [`Schemas::get`]).
pub fn scaffold(
    req: &ScaffoldRequest,
    rulebook: &Rulebook,
    schemas: &Schemas,
) -> Result<ScaffoldPlan, ScaffoldError> {
    let mut pipeline = plan::plan(req, schemas)?;
    let mut imports = output::Imports::default();
    let choice = if pipeline.output_fields.is_empty() {
        req.output
    } else {
        Some(OutputChoice::Output)
    };
    let ret = output::plan_return(&mut pipeline, choice, &mut imports);
    let name = generate::display_name(req.name.as_deref(), req.path.as_deref());
    let description = req
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| default_description(&pipeline));
    let files = vec![
        PlannedFile {
            path: "cog.yaml".into(),
            content: generate::cog_yaml(&name, rulebook)?,
        },
        PlannedFile {
            path: "requirements.txt".into(),
            content: generate::requirements(rulebook)?,
        },
        PlannedFile {
            path: "main.py".into(),
            content: generate::main_py(&name, &description, &pipeline, &ret, &imports)?,
        },
        PlannedFile {
            path: "README.md".into(),
            content: generate::readme(&name, &description, &pipeline, &ret)?,
        },
    ];
    let mut notes = pipeline.notes;
    if matches!(
        rulebook.origin,
        pipelines_docs_cache::RulebookOrigin::Defaults
    ) {
        notes.push(
            "The cog/replicate pins come from built-in defaults (no cached spec); refresh the \
             docs cache to apply the latest spec."
                .to_string(),
        );
    }
    notes.push(
        "Next: validate the project (validate_pipeline, or `mcp-pipelines validate .`)."
            .to_string(),
    );
    Ok(ScaffoldPlan { files, notes })
}

fn default_description(p: &plan::Pipeline<'_>) -> String {
    if p.bindings.is_empty() {
        return "A Replicate pipeline model.".to_string();
    }
    let models: Vec<&str> = p
        .bindings
        .iter()
        .map(|b| ModelRef::model_of(&b.reference))
        .collect();
    format!(
        "A Replicate pipeline model that calls {}.",
        models.join(", then ")
    )
}
