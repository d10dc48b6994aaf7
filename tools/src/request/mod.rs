//! The checks every request passes before any work starts, shared by the MCP handlers and
//! the CLI verbs so that both faces refuse the same requests with the same words:
//! - `mode` — what this server offers ([`Mode`]: local, or hosted with or without runs).
//! - `limits` — the ranges of numeric arguments (run timeout, models per schema call).
//! - `project` — how a tool's `path`/`files` arguments name its project.
//! - `confine` — the security check that keeps a client-supplied path inside the allowed
//!   roots (the validator, the runner's file inputs and the server's paths all use it).

mod confine;
mod limits;
mod mode;
mod project;

pub use confine::{NewDirRefused, confine, confine_new};
pub use limits::{
    LimitError, MAX_RUN_TIMEOUT_SECS, MAX_SCHEMA_MODELS, check_run_timeout, check_schema_models,
};
pub use mode::{Mode, ModeRefusal};
pub use project::{ProjectArgsError, UnconfinedProject};
