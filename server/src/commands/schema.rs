//! `mcp-pipelines schema REF…` and `mcp-pipelines search QUERY`.

use std::process::ExitCode;

use clap::Args;
use pipelines_tools::{
    request::check_schema_models,
    schema::{Detail, SchemaReport},
};

use super::{Format, emit};
use crate::state::AppState;

/// `schema` options.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Models as owner/name (latest) or owner/name:version (pinned); at most 25.
    #[arg(required = true, value_name = "REF")]
    pub models: Vec<String>,
    /// Ask the API even when a cached copy is fresh.
    #[arg(long)]
    pub refresh: bool,
    /// How much text per model: brief (signature with choices and bounds inline, output
    /// shape in a line) or full (descriptions, whole output shape, the model's example,
    /// typing hint). Default: full for one or two models, brief for more.
    #[arg(long, value_enum)]
    pub detail: Option<DetailArg>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// `--detail` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DetailArg {
    /// Signature with choices and bounds inline; the output's shape in a line.
    Brief,
    /// Every input with its description, the whole output shape, the example, the hint.
    Full,
}

impl From<DetailArg> for Detail {
    fn from(d: DetailArg) -> Detail {
        match d {
            DetailArg::Brief => Detail::Brief,
            DetailArg::Full => Detail::Full,
        }
    }
}

/// `search` options.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What the model should do, in a few words.
    pub query: String,
    /// How many results (at most 50).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Prints the schemas; exit 1 when any model failed.
pub async fn schema(state: &AppState, args: SchemaArgs) -> anyhow::Result<ExitCode> {
    check_schema_models(&args.models)?;
    let svc = state.services().await.map_err(anyhow::Error::msg)?;
    let results = svc
        .replicate
        .fetch_model_schemas(&args.models, args.refresh)
        .await;
    let report = SchemaReport::new(&args.models, results, args.detail.map(Detail::from), true);
    emit(&report, args.format)?;
    Ok(super::status(!report.has_errors()))
}

/// Prints search results.
pub async fn search(state: &AppState, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let svc = state.services().await.map_err(anyhow::Error::msg)?;
    let results = svc.replicate.search_models(&args.query, args.limit).await?;
    emit(&results, args.format)?;
    Ok(ExitCode::SUCCESS)
}
