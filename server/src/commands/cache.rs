//! `mcp-pipelines cache info|prune`: what the cache dir holds; removing old run outputs and
//! unused virtualenvs (never one a run is using).

use std::{process::ExitCode, time::Duration};

use clap::{Args, Subcommand};
use pipelines_tools::cache_lifecycle::{self, CacheInfo, PruneOptions, PruneReport};

use super::{Format, emit};
use crate::{render::Render, state::AppState};

/// `cache` options.
#[derive(Debug, Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    pub command: CacheCommand,
}

/// The `cache` verbs.
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Sizes of the cached docs, schemas, virtualenvs and run outputs.
    Info {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Delete old run outputs and unused virtualenvs (both unless --venvs or --outputs).
    Prune {
        /// Age past which an entry is deleted [default: --outputs-max-age for outputs,
        /// --venvs-max-age for virtualenvs].
        #[arg(long, value_name = "DURATION", value_parser = crate::cli::parse_duration)]
        older_than: Option<Duration>,
        /// Prune virtualenvs (a virtualenv in use by a run is kept).
        #[arg(long)]
        venvs: bool,
        /// Prune run output dirs.
        #[arg(long)]
        outputs: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

impl Render for CacheInfo {
    fn render(&self) -> String {
        self.to_text()
    }
}

impl Render for PruneReport {
    fn render(&self) -> String {
        self.to_text()
    }
}

/// Runs a `cache` verb. Exit 0, or 1 when something could not be pruned.
pub async fn run(state: &AppState, args: CacheArgs) -> anyhow::Result<ExitCode> {
    let cache_dir = state.config.cache_dir.clone();
    match args.command {
        CacheCommand::Info { format } => {
            let store = match state.services().await {
                Ok(s) => Some(s.docs.store().clone()),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the store; its sizes are left out");
                    None
                }
            };
            let info = tokio::task::spawn_blocking(move || {
                cache_lifecycle::cache_info(&cache_dir, store.as_ref())
            })
            .await?;
            emit(&info, format)?;
            Ok(ExitCode::SUCCESS)
        }
        CacheCommand::Prune {
            older_than,
            venvs,
            outputs,
            format,
        } => {
            let both = !venvs && !outputs;
            let options = PruneOptions {
                outputs_older_than: (both || outputs)
                    .then(|| older_than.unwrap_or(state.config.outputs_max_age)),
                venvs_older_than: (both || venvs)
                    .then(|| older_than.unwrap_or(state.config.venvs_max_age)),
            };
            let report =
                tokio::task::spawn_blocking(move || cache_lifecycle::prune(&cache_dir, options))
                    .await?;
            emit(&report, format)?;
            Ok(super::status(report.errors.is_empty()))
        }
    }
}
