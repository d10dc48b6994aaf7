//! Ranked search over a document's sections: BM25 over lower-cased words of each
//! section's own text, with the heading counted three times.

use std::collections::HashMap;

use serde::Serialize;

use crate::sections::Sectioned;

const K1: f64 = 1.2;
const B: f64 = 0.75;
const TITLE_WEIGHT: usize = 3;
const SNIPPET_CHARS: usize = 200;

/// One search hit.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SearchHit {
    /// The section id (pass it as `section` to read the whole section).
    pub id: String,
    /// The section heading.
    pub title: String,
    /// BM25 score; higher is better.
    pub score: f64,
    /// A short excerpt around the first matching word.
    pub snippet: String,
}

/// A BM25 index over one document's sections.
#[derive(Debug, Clone)]
pub struct SearchIndex {
    /// Per section: term → count, and its length in terms.
    docs: Vec<(HashMap<String, u32>, usize)>,
    /// Term → number of sections containing it.
    df: HashMap<String, usize>,
    avg_len: f64,
}

/// Lower-cased words (runs of letters, digits and `_`).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

impl SearchIndex {
    /// Indexes every section of `doc`.
    pub fn build(doc: &Sectioned) -> SearchIndex {
        let mut docs = Vec::with_capacity(doc.sections().len());
        let mut df: HashMap<String, usize> = HashMap::new();
        for s in doc.sections() {
            let mut tf: HashMap<String, u32> = HashMap::new();
            let mut len = 0;
            for w in words(doc.own_text(s)) {
                *tf.entry(w).or_default() += 1;
                len += 1;
            }
            // The heading line is already in the own text once; weight it further.
            for _ in 1..TITLE_WEIGHT {
                for w in words(&s.title) {
                    *tf.entry(w).or_default() += 1;
                    len += 1;
                }
            }
            for term in tf.keys() {
                *df.entry(term.clone()).or_default() += 1;
            }
            docs.push((tf, len));
        }
        let total: usize = docs.iter().map(|(_, l)| *l).sum();
        let avg_len = if docs.is_empty() {
            1.0
        } else {
            (total as f64 / docs.len() as f64).max(1.0)
        };
        SearchIndex { docs, df, avg_len }
    }

    /// The best `limit` sections for `query`, best first. Empty if no word matches.
    pub fn search(&self, doc: &Sectioned, query: &str, limit: usize) -> Vec<SearchHit> {
        let mut terms: Vec<String> = words(query).collect();
        terms.sort();
        terms.dedup();
        let n = self.docs.len() as f64;
        let mut scored: Vec<(usize, f64)> = self
            .docs
            .iter()
            .enumerate()
            .filter_map(|(i, (tf, len))| {
                let mut score = 0.0;
                for t in &terms {
                    let Some(&f) = tf.get(t) else { continue };
                    let df = self.df.get(t).copied().unwrap_or(0) as f64;
                    let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                    let f = f64::from(f);
                    score += idf * f * (K1 + 1.0)
                        / (f + K1 * (1.0 - B + B * (*len as f64) / self.avg_len));
                }
                (score > 0.0).then_some((i, score))
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
            .into_iter()
            .take(limit)
            .map(|(i, score)| {
                let s = &doc.sections()[i];
                SearchHit {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    score: (score * 1000.0).round() / 1000.0,
                    snippet: snippet(doc.own_text(s), s.level > 0, &terms),
                }
            })
            .collect()
    }
}

/// About [`SNIPPET_CHARS`] characters of `text` (heading line skipped) around the first
/// query word, whitespace collapsed.
fn snippet(text: &str, has_heading: bool, terms: &[String]) -> String {
    let body = if has_heading {
        skip_heading(text)
    } else {
        text
    };
    let flat: Vec<char> = body
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect();
    let lower: String = flat.iter().flat_map(|c| c.to_lowercase()).collect();
    // Lower-casing can change lengths for a few scripts; only trust positions when it did not.
    let hit = if lower.chars().count() == flat.len() {
        terms
            .iter()
            .filter_map(|t| lower.find(t.as_str()).map(|b| lower[..b].chars().count()))
            .min()
            .unwrap_or(0)
    } else {
        0
    };
    let start = hit.saturating_sub(SNIPPET_CHARS / 4);
    let end = (start + SNIPPET_CHARS).min(flat.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(&flat[start..end]);
    if end < flat.len() {
        out.push('…');
    }
    out
}

/// `text` without its first line, and without a setext underline after it.
pub(crate) fn skip_heading(text: &str) -> &str {
    let rest = text.split_once('\n').map_or("", |(_, r)| r);
    match rest.split_once('\n') {
        Some((line, after))
            if !line.trim().is_empty() && line.trim().chars().all(|c| c == '-' || c == '=') =>
        {
            after
        }
        _ => rest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_the_section_about_the_words_first() {
        let doc = Sectioned::parse(
            "# Alpha\n\napples and pears\n\n# Secrets\n\nUse a Secret for API keys. Secret values are hidden.\n\n# Other\n\nkeys to the city\n",
        );
        let index = SearchIndex::build(&doc);
        let hits = index.search(&doc, "secret api key", 5);
        assert_eq!(hits[0].id, "secrets");
        assert!(hits[0].snippet.contains("Secret"));
        assert!(index.search(&doc, "zebra", 5).is_empty());
    }
}
