//! The Rulebook: facts derived from the cached spec that rules and the scaffolder apply.
//!
//! Every fact carries the source document and the section id it was read from, so a
//! diagnostic can cite it. When nothing is cached, built-in defaults are used and
//! [`Rulebook::origin`] says so.

use serde::{Deserialize, Serialize};

/// Where one fact came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FactSource {
    /// The source document: `pipelines`, `runtime`, `cog`, or `defaults`.
    pub document: String,
    /// The section id in that document (e.g. `runtime`, `requirements`).
    pub section: String,
}

/// One fact with its provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Fact<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub source: FactSource,
}

/// A Python package the runtime provides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PackageFact {
    /// The distribution name, PEP 503-normalised (lower case, `-` separators).
    pub name: String,
    /// The version specifier the runtime pins, e.g. `<2`; empty when unpinned.
    pub specifier: String,
    /// Where it came from.
    pub source: FactSource,
}

/// Whether the Rulebook came from cached docs or built-in defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RulebookOrigin {
    /// Derived from cached documents.
    Cached {
        /// When the pipelines document was fetched (RFC 3339).
        fetched_at: String,
        /// The sha256 of the pipelines document body.
        sha256: String,
    },
    /// Nothing was cached: built-in facts as of this release.
    Defaults,
}

/// Facts the validator and scaffolder apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rulebook {
    /// Cached docs or built-in defaults.
    pub origin: RulebookOrigin,
    /// The runtime's Python packages, excluding `cog` and `replicate`.
    pub python_packages: Vec<PackageFact>,
    /// The runtime's system packages (e.g. `ffmpeg`).
    pub system_packages: Vec<Fact<String>>,
    /// The PEP 440 specifier `cog` must satisfy, e.g. `>=0.15.3`.
    pub cog_requirement: Fact<String>,
    /// The PEP 440 specifier `replicate` must satisfy, e.g. `>=1.1.0b1,<2.0.0a1`.
    pub replicate_requirement: Fact<String>,
    /// The runtime's Python version, when the docs state one.
    pub python_version: Option<Fact<String>>,
    /// Problems met while deriving facts (a reworded section fell back to defaults, …).
    pub warnings: Vec<String>,
}
