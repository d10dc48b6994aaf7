//! The plain CLI verbs (`docs`, `schema`, `search`, `validate`, `scaffold`, `run`): the same
//! library calls as the MCP tools, printed as text or JSON on stdout.

pub mod cache;
pub mod docs;
pub mod run;
pub mod scaffold;
pub mod schema;
pub mod validate;

use std::{io::Write, process::ExitCode};

use clap::ValueEnum;
use serde::Serialize;

use crate::render::Render;

/// How a verb prints its result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable text.
    #[default]
    Text,
    /// One JSON document.
    Json,
}

/// Prints a result on stdout in the chosen format.
pub fn emit<T: Serialize + Render>(value: &T, format: Format) -> anyhow::Result<()> {
    let text = match format {
        Format::Text => value.render(),
        Format::Json => serde_json::to_string_pretty(value)?,
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// Exit code 0 when `ok`, else 1 (the verb ran and found problems).
pub fn status(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
