//! [`DocsCache::get_docs`]: the outline (no section, no query), a section's text, or
//! search hits, each capped at `max_chars`.

use super::{DEFAULT_MAX_CHARS, DocsCache, DocsError, Parsed};
use crate::results::GetDocsResult;
use crate::sections::{Section, Sectioned};
use crate::source::Source;

/// Search hits returned at most.
const MAX_HITS: usize = 8;

/// Arguments of [`DocsCache::get_docs`].
#[derive(Debug, Clone, Default)]
pub struct GetDocsRequest {
    /// The document (default `pipelines`).
    pub source: Option<Source>,
    /// A section id: return its text.
    pub section: Option<String>,
    /// Search words: return ranked hits (within `section` when both are given).
    pub query: Option<String>,
    /// Output cap in characters (default 8000).
    pub max_chars: Option<usize>,
    /// With `section`: include the subsections' text instead of listing them.
    pub include_subsections: bool,
}

impl DocsCache {
    /// The outline (no section, no query), a section's text, or search hits; capped.
    pub async fn get_docs(&self, req: GetDocsRequest) -> Result<GetDocsResult, DocsError> {
        let source = req.source.unwrap_or(Source::Pipelines);
        let max_chars = req.max_chars.unwrap_or(DEFAULT_MAX_CHARS).max(200);
        let (version, freshness) = self.current(source).await?;
        let parsed = self.parsed(&version).await?;
        let doc = &parsed.doc;
        let mut result = GetDocsResult {
            freshness,
            outline: None,
            section: None,
            hits: None,
            truncated: false,
            note: None,
            errata: Vec::new(),
        };
        let scope = match req
            .section
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(id) => Some(doc.get(id).ok_or_else(|| DocsError::UnknownSection {
                doc: source,
                section: id.to_owned(),
                suggestions: doc.suggest(id),
            })?),
            None => None,
        };
        match (
            scope,
            req.query
                .as_deref()
                .map(str::trim)
                .filter(|q| !q.is_empty()),
        ) {
            (scope, Some(query)) => search(&parsed, scope, query, max_chars, &mut result),
            (Some(s), None) => section(doc, s, max_chars, req.include_subsections, &mut result),
            (None, None) => outline(doc, max_chars, &mut result),
        }
        Ok(result)
    }
}

/// Search mode: ranked hits for `query` (within `scope` when given), capped.
fn search(
    parsed: &Parsed,
    scope: Option<&Section>,
    query: &str,
    max_chars: usize,
    result: &mut GetDocsResult,
) {
    let doc = &parsed.doc;
    let mut hits = parsed.index.search(doc, query, doc.sections().len());
    if let Some(s) = scope {
        let prefix = format!("{}/", s.id);
        hits.retain(|h| h.id == s.id || h.id.starts_with(&prefix));
    }
    hits.truncate(MAX_HITS);
    let mut used = 0;
    let total = hits.len();
    hits.retain(|h| {
        used += h.snippet.chars().count() + h.id.len() + h.title.len() + 16;
        used <= max_chars
    });
    if hits.len() < total {
        result.truncated = true;
        result.note = Some(format!(
            "{} more hit(s) cut to fit max_chars={max_chars}; raise max_chars to see them",
            total - hits.len()
        ));
    } else if hits.is_empty() {
        result.note = Some(
            "No section matches; try other words, or call get_docs with no arguments for the outline"
                .to_owned(),
        );
    } else {
        result.note = Some("Read a hit in full with get_docs(section=\"<id>\")".to_owned());
    }
    result.hits = Some(hits);
}

/// Section mode: one section's text, capped.
fn section(
    doc: &Sectioned,
    s: &Section,
    max_chars: usize,
    include_subsections: bool,
    result: &mut GetDocsResult,
) {
    let view = crate::section_view::section_view(doc, s, max_chars, include_subsections);
    result.truncated = view.truncated;
    result.note = view.note;
    result.section = Some(view.section);
}

/// Outline mode: every section's id and title, capped.
fn outline(doc: &Sectioned, max_chars: usize, result: &mut GetDocsResult) {
    let mut outline = doc.outline();
    let total = outline.len();
    let mut used = 0;
    outline.retain(|e| {
        used += e.id.len() + e.title.len() + 16;
        used <= max_chars
    });
    if outline.len() < total {
        result.truncated = true;
        result.note = Some(format!(
            "Outline cut at {} of {total} sections; raise max_chars",
            outline.len()
        ));
    } else {
        result.note = Some(
            "Read a section with get_docs(section=\"<id>\"), or search with get_docs(query=\"…\")"
                .to_owned(),
        );
    }
    result.outline = Some(outline);
}
