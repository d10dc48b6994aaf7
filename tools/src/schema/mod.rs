//! Model schemas: the Replicate API client, rendering to Python, caching.
//!
//! Layout:
//! - `config`, `token` — settings; the token is redacted from every `Debug`/`Display`.
//! - `reference` — `owner/name[:version]` parsing, checked before any request.
//! - `http` — requests with timeouts, bounded retries honouring `Retry-After`.
//! - `resolver` — the one `$ref`/`allOf` dereferencing; `openapi` — inputs by `x-order`,
//!   the output's kind;
//!   `shape` — the output's whole nested shape; `example` — the model's own example.
//! - `input_type` — [`InputType`]: a model input's type, from the schema or an annotation,
//!   rendered as Python in one place.
//! - `python` — Python literals, identifiers, the signature and the `hint` function.
//! - `set` — [`Schemas`]: by model and version, the pinned-else-latest rule.
//! - `cache` — schemas in the docs-cache store (pinned forever, latest for a TTL).
//! - `fetch` — [`ReplicateClient::fetch_model_schemas`], concurrent, cache-aware.
//! - `search` — [`ReplicateClient::search_models`].
//! - `detail` — how much of a schema the text shows; `report` — the structured result and
//!   its text.
//! - `types` — [`ModelSchema`] and friends, shared with the validator and scaffolder.

pub mod cache;
pub mod config;
pub mod detail;
pub mod error;
pub mod example;
mod fetch;
mod http;
pub mod input_type;
pub mod openapi;
pub mod python;
pub mod reference;
pub mod report;
pub mod resolver;
pub mod search;
mod set;
pub mod shape;
mod text;
pub mod token;
pub mod types;

pub use cache::{SchemaCache, TREE as CACHE_TREE};
pub use config::{DEFAULT_BASE_URL, ReplicateConfig};
pub use detail::Detail;
pub use error::{CacheError, SchemaError};
pub use example::ModelExample;
pub use fetch::{ReplicateClient, render};
pub use input_type::{InputType, Scalar};
pub use reference::ModelRef;
pub use report::{SchemaReport, SchemaResult};
pub use search::{ModelSummary, SearchResults};
pub use set::Schemas;
pub use shape::{OutputField, OutputShape};
pub use token::ApiToken;
pub use types::{InputParam, ModelSchema, OutputKind, OutputSpec};
