//! Spec errata: the spec linted against itself. Every Python example is checked with the
//! validator's snippet-applicable rules, every "see the X section" reference against
//! the outline, and known statements the client library contradicts are noted (`library`). The spec's own precedence decides which side wins: explicit rules
//! ("IMPORTANT", "CRITICAL", "Do NOT", "must" — which the validator's rules encode) over
//! examples, so each note tells the agent to follow the rule's section.
//!
//! Linting a version is memoised by the body's sha256, so reads stay cheap.

mod examples;
mod library;
mod refs;

use std::sync::{Arc, Mutex};

use pipelines_docs_cache::sections::Sectioned;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What an erratum is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErratumKind {
    /// A code example that breaks an explicit rule.
    Example,
    /// A reference to a section the spec does not have.
    Reference,
    /// A statement the client library (replicate-python) contradicts.
    Library,
}

/// One contradiction in the spec, attached to the section that holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Erratum {
    /// The id of the section holding the example or reference.
    pub section: String,
    /// Example or reference.
    pub kind: ErratumKind,
    /// The validator rule the example breaks (`PY003`), for examples; the rule that catches
    /// the mistake, for library contradictions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The 1-based line of the spec where the example or reference is.
    pub line: usize,
    /// What to do instead, starting `Note:`.
    pub note: String,
}

/// Every erratum of one spec version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ErrataReport {
    /// The stored version of the pipelines spec linted.
    pub version: u64,
    /// The errata, in document order.
    pub errata: Vec<Erratum>,
}

impl ErrataReport {
    /// `section: note` lines, or a line saying the spec is consistent.
    pub fn to_text(&self) -> String {
        if self.errata.is_empty() {
            return format!(
                "pipelines v{}: no errata (every Python example follows the rules; every cross-reference resolves)\n",
                self.version
            );
        }
        let mut out = format!(
            "pipelines v{}: {} errata in {} section(s)\n",
            self.version,
            self.errata.len(),
            summary(&self.errata).sections.len()
        );
        for e in &self.errata {
            out.push_str(&format!("{} (line {}): {}\n", e.section, e.line, e.note));
        }
        out
    }
}

/// How many errata, and in which sections (what `fetch_llms_txt` returns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ErrataSummary {
    /// The number of errata.
    pub count: usize,
    /// The sections holding them; `get_docs` on a section shows its notes.
    pub sections: Vec<String>,
}

/// The count and the distinct sections, in document order.
pub fn summary(errata: &[Erratum]) -> ErrataSummary {
    let mut sections: Vec<String> = Vec::new();
    for e in errata {
        if !sections.contains(&e.section) {
            sections.push(e.section.clone());
        }
    }
    ErrataSummary {
        count: errata.len(),
        sections,
    }
}

/// Lints a sectioned spec: examples against the rules, references against the outline.
pub fn lint(doc: &Sectioned) -> Vec<Erratum> {
    let mut out = examples::check(doc);
    out.extend(refs::check(doc));
    out.extend(library::check(doc));
    out.sort_by_key(|e| e.line);
    out
}

/// A spec version parsed and linted once.
#[derive(Debug)]
pub struct LintedSpec {
    /// The body's sha256 (hex).
    pub sha256: String,
    /// The parsed document.
    pub doc: Sectioned,
    /// Its errata.
    pub errata: Vec<Erratum>,
}

impl LintedSpec {
    /// The errata of one section: its own, and with `descendants` those of its subsections.
    pub fn errata_for(&self, section: &str, descendants: bool) -> Vec<&Erratum> {
        let prefix = format!("{section}/");
        self.errata
            .iter()
            .filter(|e| e.section == section || (descendants && e.section.starts_with(&prefix)))
            .collect()
    }
}

static MEMO: Mutex<Vec<Arc<LintedSpec>>> = Mutex::new(Vec::new());
const MEMO_SIZE: usize = 4;

/// The parsed, linted spec for this body (memoised by sha256).
pub fn linted(body: &str) -> Arc<LintedSpec> {
    linted_by(&hex::encode(Sha256::digest(body.as_bytes())), body)
}

/// Like [`linted`], for a body whose hex sha256 is already known (the docs store keeps it
/// with every version): hashing a whole spec on every tool call cost more than the call.
pub fn linted_by(sha256: &str, body: &str) -> Arc<LintedSpec> {
    let mut memo = MEMO.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(hit) = memo.iter().find(|l| l.sha256 == sha256) {
        return hit.clone();
    }
    let doc = Sectioned::parse(body);
    let errata = lint(&doc);
    let spec = Arc::new(LintedSpec {
        sha256: sha256.to_owned(),
        doc,
        errata,
    });
    if memo.len() >= MEMO_SIZE {
        memo.remove(0);
    }
    memo.push(spec.clone());
    spec
}
