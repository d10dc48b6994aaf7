//! The Replicate pipeline docs, cached.
//!
//! Layout:
//! - `source` — the documents (`pipelines`, `runtime`, `cog`), their URLs, [`DocsConfig`].
//! - `store` — the sled store under the cache dir (every fetched version of each source),
//!   safe for several processes sharing one cache dir.
//! - `fetch` — conditional GETs with timeouts.
//! - `lru` — the bounded (entries and bytes) map behind the in-memory caches.
//! - `sections` — Markdown split into sections with stable ids; the outline; `blocks` —
//!   their code blocks and prose, for linting.
//! - `search` — BM25 over sections; `section_view` — one section as `get_docs` shows it.
//! - `diff` — unified diff and per-section summary between two versions.
//! - `rulebook` / `extract` — the facts the validator and scaffolder apply, derived from
//!   the cached docs, each citing its section; built-in defaults otherwise.
//! - `results` — what the facade returns (serde + JSON Schema + `to_text()`).
//! - `cache` — [`DocsCache`], the facade the server calls.
#![deny(missing_docs)]

pub mod blocking;
pub mod blocks;
pub mod cache;
pub mod diff;
pub mod extract;
pub mod fetch;
pub mod lru;
pub mod results;
pub mod rulebook;
pub mod search;
mod section_view;
pub mod sections;
pub mod source;
pub mod store;

pub use cache::{DEFAULT_MAX_CHARS, DocsCache, DocsError, GetDocsRequest, ReadKey};
pub use diff::DocDiff;
pub use fetch::FetchError;
pub use results::{DocumentView, FetchReport, Freshness, GetDocsResult, SectionText, SourceFetch};
pub use rulebook::{Fact, FactSource, PackageFact, Rulebook, RulebookOrigin};
pub use search::SearchHit;
pub use sections::OutlineEntry;
pub use source::{DocsConfig, Source, SourceSel, SourceUrls, UnknownSource};
pub use store::{
    DocVersion, NewVersion, PutOutcome, SourceState, Store, StoreError, TreeStats, VersionInfo,
};
