//! `mcp-pipelines docs …`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use pipelines_docs_cache::{GetDocsRequest, Source, SourceSel};

use super::{Format, emit};
use crate::state::AppState;

/// `docs` options.
#[derive(Debug, Args)]
pub struct DocsArgs {
    #[command(subcommand)]
    pub command: DocsCommand,
}

/// The `docs` verbs.
#[derive(Debug, Subcommand)]
pub enum DocsCommand {
    /// Fetch the docs now (a conditional GET; --force downloads again).
    Refresh {
        /// pipelines, runtime, cog or all.
        #[arg(long, default_value = "all")]
        source: String,
        /// Download even when the cached copy is fresh.
        #[arg(long)]
        force: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Print the outline, or one section's text.
    Show {
        /// A section id from the outline (e.g. cog/outputs).
        section: Option<String>,
        /// pipelines, runtime or cog.
        #[arg(long, default_value = "pipelines")]
        source: String,
        /// Cap on the printed text.
        #[arg(long)]
        max_chars: Option<usize>,
        /// Print the subsections' text too, instead of listing them.
        #[arg(long)]
        include_subsections: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Search the sections (ranked).
    Search {
        /// Words to search for.
        query: String,
        /// pipelines, runtime or cog.
        #[arg(long, default_value = "pipelines")]
        source: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Diff two stored versions (default: the previous and the latest).
    Diff {
        /// The older version number.
        #[arg(long)]
        from: Option<u64>,
        /// The newer version number.
        #[arg(long)]
        to: Option<u64>,
        /// pipelines, runtime or cog.
        #[arg(long, default_value = "pipelines")]
        source: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Print the Rulebook (runtime packages, version pins) and where each fact came from;
    /// with --digest, the rules digest (every rule, the facts, binding advice).
    Rules {
        /// Print the rules digest instead of the Rulebook.
        #[arg(long)]
        digest: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// List the spec's errata: examples that break its explicit rules, dangling references.
    Lint {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

/// Runs a `docs` verb.
pub async fn run(state: &AppState, args: DocsArgs) -> anyhow::Result<ExitCode> {
    let svc = state.services().await.map_err(anyhow::Error::msg)?;
    match args.command {
        DocsCommand::Refresh {
            source,
            force,
            format,
        } => refresh(&svc.docs, &source, force, format).await,
        DocsCommand::Show {
            section,
            source,
            max_chars,
            include_subsections,
            format,
        } => {
            let req = docs_request(&source, section, None, max_chars, include_subsections)?;
            emit(
                &pipelines_tools::docs::get_docs(&svc.docs, req).await?,
                format,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        DocsCommand::Search {
            query,
            source,
            format,
        } => {
            let req = docs_request(&source, None, Some(query), None, false)?;
            emit(&svc.docs.get_docs(req).await?, format)?;
            Ok(ExitCode::SUCCESS)
        }
        DocsCommand::Diff {
            from,
            to,
            source,
            format,
        } => {
            let diff = svc.docs.diff(source.parse::<Source>()?, from, to).await?;
            emit(&diff, format)?;
            Ok(ExitCode::SUCCESS)
        }
        DocsCommand::Rules {
            digest: false,
            format,
        } => {
            let book = svc.docs.rulebook().await?;
            emit(book.as_ref(), format)?;
            Ok(ExitCode::SUCCESS)
        }
        DocsCommand::Rules {
            digest: true,
            format,
        } => {
            emit(
                &pipelines_tools::docs::rules_digest(&svc.docs).await,
                format,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        DocsCommand::Lint { format } => {
            emit(&pipelines_tools::docs::errata(&svc.docs).await?, format)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `docs refresh`: fails when any source could not be fetched.
async fn refresh(
    docs: &pipelines_docs_cache::DocsCache,
    source: &str,
    force: bool,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let sel: SourceSel = source.parse()?;
    let report = pipelines_tools::docs::fetch(docs, sel, force).await?;
    emit(&report, format)?;
    let failed = report.report.sources.iter().any(|s| s.error.is_some());
    Ok(super::status(!failed))
}

/// The `get_docs` request of `docs show` (a section, or the outline) or `docs search`.
fn docs_request(
    source: &str,
    section: Option<String>,
    query: Option<String>,
    max_chars: Option<usize>,
    include_subsections: bool,
) -> anyhow::Result<GetDocsRequest> {
    Ok(GetDocsRequest {
        source: Some(source.parse::<Source>()?),
        section,
        query,
        max_chars,
        include_subsections,
    })
}
