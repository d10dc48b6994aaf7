//! What [`crate::DocsCache`] returns: serialisable, schema-described, each with a
//! readable `to_text()`.

use serde::Serialize;

use crate::diff::DocDiff;
use crate::search::SearchHit;
use crate::sections::OutlineEntry;
use crate::source::Source;

/// How current a cached document is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Freshness {
    /// The source document.
    pub source: Source,
    /// The stored version number (1 = first ever fetched).
    pub version: u64,
    /// When this version's body was fetched (RFC 3339).
    pub fetched_at: String,
    /// When the host last confirmed or replaced it (RFC 3339).
    pub checked_at: String,
    /// Seconds since `checked_at`.
    pub age_seconds: u64,
    /// The ETag of this version, if the host sent one.
    pub etag: Option<String>,
    /// True when the last refresh failed and this copy may be out of date.
    pub stale: bool,
    /// Why the last refresh failed, when `stale`.
    pub stale_reason: Option<String>,
}

impl Freshness {
    /// One line: `pipelines v3, fetched …, checked 2m ago (stale: …)`.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{} v{}, fetched {}, checked {} ago",
            self.source,
            self.version,
            self.fetched_at,
            human_age(self.age_seconds)
        );
        if self.stale {
            out.push_str(&format!(
                " — STALE: {}",
                self.stale_reason.as_deref().unwrap_or("refresh failed")
            ));
        }
        out
    }
}

fn human_age(seconds: u64) -> String {
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// The outcome of refreshing one source.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SourceFetch {
    /// The source document.
    pub source: Source,
    /// The URL asked.
    pub url: String,
    /// The cached version now current; absent when nothing could be fetched or cached.
    pub version: Option<u64>,
    /// When the current version's body was fetched (RFC 3339).
    pub fetched_at: Option<String>,
    /// The current version's ETag.
    pub etag: Option<String>,
    /// True when this refresh stored a new version with a different body.
    pub changed: bool,
    /// True when the host could not be reached and the cached copy is served.
    pub stale: bool,
    /// Why the refresh failed, when `stale` or when `error` is set.
    pub stale_reason: Option<String>,
    /// The current version's sections.
    pub outline: Vec<OutlineEntry>,
    /// When `changed` and a previous version existed: what changed (diff capped, with counts).
    pub diff: Option<DocDiff>,
    /// Set when the source could not be fetched and nothing is cached for it.
    pub error: Option<String>,
}

/// The outcome of `fetch`: one entry per source refreshed.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FetchReport {
    /// One entry per source.
    pub sources: Vec<SourceFetch>,
}

impl FetchReport {
    /// A readable rendering.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for s in &self.sources {
            match (&s.error, s.version) {
                (Some(e), _) => out.push_str(&format!("{}: ERROR {e}\n", s.source)),
                (None, Some(v)) => {
                    let what = if s.changed {
                        "changed"
                    } else if s.stale {
                        "served from cache"
                    } else {
                        "unchanged"
                    };
                    out.push_str(&format!(
                        "{}: v{v} {what}, fetched {}, etag {}\n",
                        s.source,
                        s.fetched_at.as_deref().unwrap_or("?"),
                        s.etag.as_deref().unwrap_or("none"),
                    ));
                    if s.stale {
                        out.push_str(&format!(
                            "  STALE: {}\n",
                            s.stale_reason.as_deref().unwrap_or("refresh failed")
                        ));
                    }
                }
                (None, None) => out.push_str(&format!("{}: nothing cached\n", s.source)),
            }
            if let Some(d) = &s.diff {
                for line in d.to_text().lines() {
                    out.push_str("  ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            if !s.outline.is_empty() {
                out.push_str(&format!(
                    "  Outline ({} sections; read one with get_docs(source=\"{}\", section=\"<id>\")):\n",
                    s.outline.len(),
                    s.source
                ));
                for e in &s.outline {
                    out.push_str(&format!("  {} — {}\n", e.id, e.title));
                }
            }
        }
        out
    }
}

/// One section's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SectionText {
    /// The section id.
    pub id: String,
    /// The heading.
    pub title: String,
    /// The heading level.
    pub level: u8,
    /// The Markdown text — the section's own text, or with its subsections when
    /// `includes_subsections` — cut at `max_chars` when the result says `truncated`.
    pub text: String,
    /// The size in characters of what `text` holds before any cut.
    pub total_chars: usize,
    /// True when `text` includes the subsections (asked for, or there are none).
    pub includes_subsections: bool,
    /// Direct subsections (id, title, size), each readable on its own.
    pub subsections: Vec<OutlineEntry>,
}

/// What `get_docs` returns: an outline, a section, or search hits.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct GetDocsResult {
    /// How current the cached document is.
    pub freshness: Freshness,
    /// With no `section` and no `query`: every section (id, title, level, size).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outline: Option<Vec<OutlineEntry>>,
    /// With `section`: that section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<SectionText>,
    /// With `query`: the best-matching sections, best first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hits: Option<Vec<SearchHit>>,
    /// True when the output was cut to `max_chars`.
    pub truncated: bool,
    /// How to get the rest, or other advice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Spec errata for the section shown: where an example contradicts an explicit rule,
    /// or a cross-reference points nowhere. Follow the note, not the example.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errata: Vec<String>,
}

impl GetDocsResult {
    /// A readable rendering.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}\n", self.freshness.to_text());
        if let Some(outline) = &self.outline {
            out.push_str("\nSections (id — title, own chars / total chars):\n");
            for e in outline {
                let indent = "  ".repeat(usize::from(e.level.max(1)) - 1);
                out.push_str(&format!(
                    "{indent}{} — {} ({} / {})\n",
                    e.id, e.title, e.own_size, e.size
                ));
            }
        }
        if let Some(s) = &self.section {
            out.push_str(&format!("\n[section {}]\n", s.id));
            out.push_str(&s.text);
            if !out.ends_with('\n') {
                out.push('\n');
            }
            if !s.includes_subsections && !s.subsections.is_empty() {
                out.push_str("\nSubsections (id — title, chars):\n");
                for c in &s.subsections {
                    out.push_str(&format!("  {} — {} ({})\n", c.id, c.title, c.size));
                }
            }
        }
        for e in &self.errata {
            out.push_str(&format!("\n{e}\n"));
        }
        if let Some(hits) = &self.hits {
            if hits.is_empty() {
                out.push_str("\nNo section matches.\n");
            }
            for (i, h) in hits.iter().enumerate() {
                out.push_str(&format!(
                    "\n{}. {} — {} (score {})\n   {}\n",
                    i + 1,
                    h.id,
                    h.title,
                    h.score,
                    h.snippet
                ));
            }
        }
        if let Some(note) = &self.note {
            out.push_str(&format!("\n{note}\n"));
        }
        out
    }
}

/// A whole cached document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct DocumentView {
    /// How current it is.
    pub freshness: Freshness,
    /// The document text.
    pub body: String,
    /// Hex sha256 of the body, as stored with it (a key for what is derived from the body,
    /// so that readers need not hash it again); not part of the JSON.
    #[serde(skip)]
    pub sha256: String,
}

impl DocumentView {
    /// The body (with no header: this is what a resource read returns).
    pub fn to_text(&self) -> String {
        self.body.clone()
    }
}
