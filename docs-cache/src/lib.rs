//! The Replicate pipeline docs, cached.
//!
//! Layout:
//! - `store` — the sled store under the cache dir (every fetched version of each source),
//!   safe for several processes sharing one cache dir.
//! - `rulebook` — the facts the validator and scaffolder apply (runtime packages,
//!   `cog`/`replicate` specifiers), derived from the cached docs, each citing its section.
#![deny(missing_docs)]

pub mod rulebook;
pub mod store;

pub use rulebook::{Fact, FactSource, PackageFact, Rulebook, RulebookOrigin};
pub use store::{DocVersion, NewVersion, PutOutcome, SourceState, Store, StoreError, VersionInfo};
