//! Tool logic for mcp-pipelines. No MCP, no CLI: the server crate fronts it.
//!
//! Layout:
//! - `args` — the arguments of each MCP tool (their docs are the input schemas).
//! - `cache_lifecycle` — sizes of the cache dir's parts; pruning old outputs and venvs.
//! - `schema` — the Replicate API client, schema rendering and caching.
//! - `validate` — the pipeline validator (one rule per file).
//! - `scaffold` — project generation from templates.
//! - `run_local` — running a pipeline on cog's HTTP server in a cached venv.
//! - `request` — the checks every request passes first, shared by the MCP tools and the
//!   CLI: the server's [`request::Mode`], argument ranges, `path`/`files`, path confinement.
//! - `workflow` — steps combining the docs cache, the schema cache and the validator.
//! - `docs` — the docs tools' answers with `digest` (the rules digest) and `errata` (the
//!   spec linted against itself).
#![deny(missing_docs)]

pub mod args;
pub mod cache_lifecycle;
pub mod diff;
pub mod digest;
pub mod docs;
pub mod errata;
pub mod request;
pub mod run_local;
pub mod scaffold;
pub mod schema;
pub mod validate;
pub mod workflow;
