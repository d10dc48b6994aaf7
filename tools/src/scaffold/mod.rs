//! The scaffolder: a pipeline project (`cog.yaml`, `requirements.txt`, `main.py`,
//! `README.md`) that is correct by construction — pins from the [`Rulebook`], model calls
//! from the models' schemas — written without clobbering anyone's edits.
//!
//! Layout:
//! - `request` — [`ScaffoldRequest`], the tool's input; `source` — the typed sources
//!   (`input`, `step` with `pick`/`join`, `value`, `list`) its steps and `output_fields` use.
//! - `auto` — the automatic wiring: the steps `models` alone describes; `separated` — whether
//!   a `str` input takes a separated list (and which separator its schema names).
//! - `steps` — the one planner: steps → calls; `resolve` — one input's source → a fitted
//!   expression or a refusal; `coerce` — the one table of conversions (lossless implicit,
//!   obvious ones noted, the rest a `TODO(...)` placeholder or a refusal); `plan` — the
//!   planned `run()`; `inputs` — its parameters; `output` — the return and `class Output`.
//! - `emit` — the one Python emitter: the typed expression tree the planners build, rendered
//!   with its identifiers, imports and line width (independent calls started together);
//!   `generate` + `render` — the template files in `tools/templates/`, filled in.
//! - `apply` — writing (atomic, diffs instead of clobbering) and the inline answer;
//!   `report` — [`ScaffoldReport`].
//!
//! [`scaffold`] is pure: the caller fetches missing schemas first
//! ([`models_needing_schemas`]) and confines the directory before [`apply`].

mod apply;
mod auto;
mod coerce;
mod emit;
mod error;
mod generate;
mod inputs;
mod output;
mod plan;
mod render;
mod report;
mod request;
mod resolve;
mod separated;
mod source;
mod steps;
mod types;
mod unread;

use emit::{names, python};
use pipelines_docs_cache::Rulebook;
use serde::{Deserialize, Serialize};

use crate::schema::{ModelRef, Schemas};

pub use apply::{apply, inline};
pub use error::{ScaffoldError, WriteError};
pub use report::{FileReport, FileStatus, ScaffoldReport};
pub use request::{InputSpec, OutputChoice, OutputFields, ScaffoldRequest, StepOver, StepSpec};

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedFile {
    /// The path relative to the project directory.
    pub path: String,
    /// The full content.
    pub content: String,
}

/// The generated project, not yet written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaffoldPlan {
    /// `cog.yaml`, `requirements.txt`, `main.py`, `README.md`, in that order.
    pub files: Vec<PlannedFile>,
    /// Choices worth a look (placeholders, added inputs, unused inputs) and next steps.
    pub notes: Vec<String>,
    /// The steps the calls were planned from: the agent's, or the automatic wiring's (edit
    /// and resend them for another wiring).
    pub steps: Vec<StepSpec>,
    /// Each `TODO(...)` placeholder in main.py, as `main.py:LINE: text`.
    pub placeholders: Vec<String>,
}

impl ScaffoldPlan {
    /// The text of main.py.
    pub fn main_py(&self) -> String {
        self.files
            .iter()
            .find(|f| f.path == "main.py")
            .map(|f| f.content.clone())
            .unwrap_or_default()
    }

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
    let ret = output::plan_return(&mut pipeline, req.output)?;
    pipeline.unread = unread::placeholders(&mut pipeline, &ret);
    pipeline.predictions = emit::calls::name_predictions(&mut pipeline);
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
            content: generate::main_py(&name, &description, &pipeline, &ret)?,
        },
        PlannedFile {
            path: "README.md".into(),
            content: generate::readme(&name, &description, &pipeline, &ret)?,
        },
    ];
    let main = &files[2].content;
    let placeholders = placeholder_lines(main, &pipeline.placeholders);
    let mut notes = std::mem::take(&mut pipeline.notes);
    for p in &placeholders {
        notes.push(format!("Placeholder to replace: {p}"));
    }
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
    notes.push(if placeholders.is_empty() {
        "Next: validate the project (validate_pipeline, or `mcp-pipelines validate .`).".to_string()
    } else {
        "Next: replace each TODO(...) in main.py (validate_pipeline reports them as PY032 \
         until none is left), then validate."
            .to_string()
    });
    Ok(ScaffoldPlan {
        files,
        notes,
        steps: pipeline.steps,
        placeholders,
    })
}

/// `main.py:LINE: text` for each placeholder, by line: the line of its `TODO(` (the emitter
/// puts the text on the next line when the call is broken).
fn placeholder_lines(main: &str, texts: &[String]) -> Vec<String> {
    let lines: Vec<&str> = main.lines().collect();
    let mut used: Vec<usize> = Vec::new();
    let mut found: Vec<(Option<usize>, &String)> = Vec::new();
    for text in texts {
        let literal = python::string(text);
        let at = (0..lines.len()).find(|i| !used.contains(i) && lines[*i].contains(&literal));
        if let Some(i) = at {
            used.push(i);
        }
        let call_line = at.map(|i| {
            let opened_before = i > 0 && lines[i - 1].trim_end().ends_with("TODO(");
            if lines[i].contains("TODO(") || !opened_before {
                i
            } else {
                i - 1
            }
        });
        found.push((call_line, text));
    }
    found.sort_by_key(|(line, _)| line.unwrap_or(usize::MAX));
    found
        .into_iter()
        .map(|(line, text)| match line {
            Some(i) => format!("main.py:{}: {text}", i + 1),
            None => format!("main.py: {text}"),
        })
        .collect()
}

fn default_description(p: &plan::Pipeline<'_>) -> String {
    if p.bindings.is_empty() {
        return "A Replicate pipeline model.".to_string();
    }
    let models: Vec<&str> = p.bindings.iter().map(plan::Binding::model).collect();
    format!(
        "A Replicate pipeline model that calls {}.",
        models.join(", then ")
    )
}
