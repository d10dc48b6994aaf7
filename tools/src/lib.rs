//! Tool logic for mcp-pipelines. No MCP, no CLI: the server crate fronts it.
//!
//! Layout:
//! - `schema` — the Replicate API client, schema rendering and caching.
//! - `validate` — the pipeline validator (one rule per file).
//! - `scaffold` — project generation from templates.
//! - `run_local` — running a pipeline on cog's HTTP server in a cached venv.
#![deny(missing_docs)]

pub mod run_local;
pub mod scaffold;
pub mod schema;
pub mod validate;
