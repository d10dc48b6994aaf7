//! The Rulebook: facts derived from the cached spec that rules and the scaffolder apply.
//!
//! Every fact carries the source document and the section id it was read from, so a
//! diagnostic can cite it. When nothing is cached, built-in defaults are used and
//! [`Rulebook::origin`] says so.

use std::collections::BTreeMap;

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
    /// The cached spec's section titles by section id, for the diagnostics that cite a
    /// section (empty with built-in defaults). Not part of the Rulebook's JSON.
    #[serde(skip)]
    #[schemars(skip)]
    pub section_titles: BTreeMap<String, String>,
}

/// The document name used in [`FactSource`] for built-in facts.
pub const DEFAULTS_DOCUMENT: &str = "defaults";

fn default_source(section: &str) -> FactSource {
    FactSource {
        document: DEFAULTS_DOCUMENT.to_owned(),
        section: section.to_owned(),
    }
}

impl Rulebook {
    /// The facts as of this release, used when nothing is cached. Each cites the spec
    /// section the fact is normally read from.
    pub fn defaults() -> Rulebook {
        let package = |name: &str, specifier: &str| PackageFact {
            name: name.to_owned(),
            specifier: specifier.to_owned(),
            source: default_source("runtime"),
        };
        Rulebook {
            origin: RulebookOrigin::Defaults,
            python_packages: vec![
                package("moviepy", ""),
                package("pillow", ""),
                package("pydantic", "<2"),
                package("requests", ""),
                package("scikit-learn", ""),
            ],
            system_packages: ["curl", "ffmpeg", "ffprobe", "imagemagick"]
                .into_iter()
                .map(|p| Fact {
                    value: p.to_owned(),
                    source: default_source("runtime"),
                })
                .collect(),
            cog_requirement: Fact {
                value: ">=0.15.3".to_owned(),
                source: default_source("requirements"),
            },
            replicate_requirement: Fact {
                value: ">=1.1.0b1,<2.0.0a1".to_owned(),
                source: default_source("requirements"),
            },
            python_version: None,
            warnings: Vec::new(),
            section_titles: BTreeMap::new(),
        }
    }

    /// The runtime package with this name (any spelling; PEP 503-normalised first).
    pub fn python_package(&self, name: &str) -> Option<&PackageFact> {
        let wanted = normalize_package_name(name);
        self.python_packages.iter().find(|p| p.name == wanted)
    }

    /// The cached spec's title of a section, when a spec is cached and has it.
    pub fn section_title(&self, id: &str) -> Option<&str> {
        self.section_titles.get(id).map(String::as_str)
    }

    /// Whether every fact came from built-in defaults (nothing cached, or nothing parsed).
    pub fn is_defaults(&self) -> bool {
        self.origin == RulebookOrigin::Defaults
    }

    /// A readable rendering: each fact with where it came from.
    pub fn to_text(&self) -> String {
        let cite = |s: &FactSource| format!("[{}#{}]", s.document, s.section);
        let mut out = match &self.origin {
            RulebookOrigin::Cached { fetched_at, sha256 } => format!(
                "Rulebook from the cached pipelines spec (fetched {fetched_at}, sha256 {})\n",
                sha256.get(..12).unwrap_or(sha256)
            ),
            RulebookOrigin::Defaults => {
                "Rulebook from built-in defaults (no pipelines spec cached; run `docs refresh`)\n"
                    .to_owned()
            }
        };
        out.push_str(&format!(
            "cog {}  {}\n",
            self.cog_requirement.value,
            cite(&self.cog_requirement.source)
        ));
        out.push_str(&format!(
            "replicate {}  {}\n",
            self.replicate_requirement.value,
            cite(&self.replicate_requirement.source)
        ));
        if let Some(py) = &self.python_version {
            out.push_str(&format!("python {}  {}\n", py.value, cite(&py.source)));
        }
        out.push_str("runtime Python packages:\n");
        for p in &self.python_packages {
            out.push_str(&format!(
                "  {}{}  {}\n",
                p.name,
                p.specifier,
                cite(&p.source)
            ));
        }
        out.push_str("system packages:\n");
        for p in &self.system_packages {
            out.push_str(&format!("  {}  {}\n", p.value, cite(&p.source)));
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
        out
    }
}

/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` become one `-`.
pub fn normalize_package_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}
