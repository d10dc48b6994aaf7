//! The Replicate pipeline docs, cached.
//!
//! Layout:
//! - `rulebook` — the facts the validator and scaffolder apply (runtime packages,
//!   `cog`/`replicate` specifiers), derived from the cached docs, each citing its section.
#![deny(missing_docs)]

pub mod rulebook;

pub use rulebook::{Fact, FactSource, PackageFact, Rulebook, RulebookOrigin};
