//! `mcp-pipelines scaffold DIR …`.

use std::{path::PathBuf, process::ExitCode};

use clap::Args;
use pipelines_tools::{
    scaffold::{InputSpec, OutputChoice, OutputFields, ScaffoldRequest, StepSpec},
    workflow,
};

use super::{Format, emit};
use crate::state::AppState;

/// `scaffold` options.
#[derive(Debug, Args)]
pub struct ScaffoldArgs {
    /// The project directory (created when missing).
    pub dir: PathBuf,
    /// The pipeline's name.
    #[arg(long)]
    pub name: Option<String>,
    /// What the pipeline does.
    #[arg(long)]
    pub description: Option<String>,
    /// A model run() calls, in call order (owner/name); repeatable.
    #[arg(long = "model", value_name = "REF")]
    pub models: Vec<String>,
    /// An input of run(), as name:type (e.g. prompt:str, seed:int, image:Path); repeatable.
    #[arg(long = "input", value_name = "NAME:TYPE")]
    pub inputs: Vec<String>,
    /// The model calls in order, as JSON (or @file.json): a list of
    /// {"model": "owner/name", "id"?, "inputs": {"<model input>": SOURCE}, "over"?: {"input":
    /// "<model input>", "values": [...]}} where SOURCE is {"input": "<run() input>"},
    /// {"step": "<id or model>", "pick"?: "first"|"all"|"<field>", "join"?: ","},
    /// {"value": ...} or {"list": [SOURCE, ...]}. Replaces the automatic wiring.
    #[arg(long, value_name = "JSON|@FILE")]
    pub steps: Option<String>,
    /// A field of the returned Output, in order: NAME=STEP (a step id or model) or
    /// NAME=SOURCE as JSON (e.g. seconds={"type": "float"}); repeatable.
    #[arg(long = "output-field", value_name = "NAME=STEP|JSON")]
    pub output_fields: Vec<String>,
    /// What run() returns: str, Path, list[Path] or Output.
    #[arg(long, value_name = "KIND", value_parser = parse_output)]
    pub output: Option<OutputChoice>,
    /// Write nothing; print every file with its diff.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace existing files that differ.
    #[arg(long)]
    pub overwrite: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

fn parse_output(s: &str) -> Result<OutputChoice, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("unknown output kind `{s}`; use str, Path, list[Path] or Output"))
}

fn parse_input(s: &str) -> anyhow::Result<InputSpec> {
    let (name, ty) = s
        .split_once(':')
        .ok_or_else(|| anyhow::anyhow!("--input `{s}`: write it as name:type, e.g. prompt:str"))?;
    Ok(InputSpec {
        name: name.trim().to_string(),
        python_type: ty.trim().to_string(),
        description: name.trim().replace('_', " "),
        ..InputSpec::default()
    })
}

fn parse_steps(text: &str) -> anyhow::Result<Vec<StepSpec>> {
    let json = match text.strip_prefix('@') {
        Some(file) => std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("--steps @{file}: cannot read it: {e}"))?,
        None => text.to_string(),
    };
    serde_json::from_str(&json).map_err(|e| {
        anyhow::anyhow!(
            "--steps: {e}; expected a JSON list like \
             [{{\"model\": \"owner/name\", \"inputs\": {{\"prompt\": {{\"input\": \"prompt\"}}}}}}]"
        )
    })
}

fn parse_output_field(s: &str) -> anyhow::Result<(String, serde_json::Value)> {
    let (name, source) = s.split_once('=').ok_or_else(|| {
        anyhow::anyhow!("--output-field `{s}`: write it as NAME=STEP, e.g. caption=describe")
    })?;
    let source = source.trim();
    let value = if source.starts_with('{') {
        serde_json::from_str(source).map_err(|e| anyhow::anyhow!("--output-field `{s}`: {e}"))?
    } else {
        serde_json::Value::String(source.to_string())
    };
    Ok((name.trim().to_string(), value))
}

/// Scaffolds a project directory.
pub async fn run(state: &AppState, args: ScaffoldArgs) -> anyhow::Result<ExitCode> {
    let svc = state.services().await.map_err(anyhow::Error::msg)?;
    let inputs = args
        .inputs
        .iter()
        .map(|s| parse_input(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let steps = args.steps.as_deref().map(parse_steps).transpose()?;
    let output_fields = args
        .output_fields
        .iter()
        .map(|s| parse_output_field(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let req = ScaffoldRequest {
        steps,
        output_fields: (!output_fields.is_empty()).then_some(OutputFields(output_fields)),
        path: Some(args.dir.display().to_string()),
        inline: false,
        name: args.name,
        description: args.description,
        models: (!args.models.is_empty()).then_some(args.models),
        inputs: (!inputs.is_empty()).then_some(inputs),
        output: args.output,
        overwrite: args.overwrite,
        dry_run: args.dry_run,
    };
    let report = workflow::scaffold(&req, Some(args.dir), &svc.docs, &svc.replicate).await?;
    emit(&report, args.format)?;
    Ok(ExitCode::SUCCESS)
}
