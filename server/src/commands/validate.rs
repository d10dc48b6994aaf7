//! `mcp-pipelines validate [DIR]`: exit 0 when no errors, 1 when errors, 2 when it could not run.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::Args;
use pipelines_tools::{run_local::ProjectSource, workflow};

use super::{Format, emit};
use crate::state::AppState;

/// `validate` options.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The project directory (holding cog.yaml).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Validates a directory.
pub async fn run(state: &AppState, args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let svc = state.services().await.map_err(anyhow::Error::msg)?;
    let project = ProjectSource::Dir(args.dir.clone())
        .load_async()
        .await
        .with_context(|| format!("cannot read the project at {}", args.dir.display()))?;
    let report = workflow::validate(&project, &svc.docs, &svc.replicate).await;
    emit(&report, args.format)?;
    Ok(super::status(report.ok))
}
