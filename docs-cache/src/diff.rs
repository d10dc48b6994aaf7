//! Differences between two versions of a document: a unified diff (capped, with counts)
//! and a per-section summary.

use std::collections::HashMap;

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::sections::Sectioned;

/// Default cap on the unified diff, in characters.
pub const DEFAULT_DIFF_CHARS: usize = 6000;

/// The difference between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct DocDiff {
    /// The source document.
    pub source: String,
    /// The older version number.
    pub from_version: u64,
    /// The newer version number.
    pub to_version: u64,
    /// Lines added.
    pub lines_added: usize,
    /// Lines removed.
    pub lines_removed: usize,
    /// Section ids present only in the newer version.
    pub sections_added: Vec<String>,
    /// Section ids present only in the older version.
    pub sections_removed: Vec<String>,
    /// Section ids whose own text changed.
    pub sections_changed: Vec<String>,
    /// The unified diff (3 lines of context), cut at `max_chars` when `truncated`.
    pub unified: String,
    /// Whether `unified` was cut.
    pub truncated: bool,
    /// The full unified diff's size in characters.
    pub unified_total_chars: usize,
}

impl DocDiff {
    /// Compares two versions' bodies.
    pub fn compute(
        source: &str,
        (from_version, old): (u64, &Sectioned),
        (to_version, new): (u64, &Sectioned),
        max_chars: usize,
    ) -> DocDiff {
        let diff = TextDiff::from_lines(old.body(), new.body());
        let (mut lines_added, mut lines_removed) = (0, 0);
        for change in diff.iter_all_changes() {
            match change.tag() {
                ChangeTag::Insert => lines_added += 1,
                ChangeTag::Delete => lines_removed += 1,
                ChangeTag::Equal => {}
            }
        }
        let full = diff
            .unified_diff()
            .context_radius(3)
            .header(
                &format!("{source} v{from_version}"),
                &format!("{source} v{to_version}"),
            )
            .to_string();
        let unified_total_chars = full.chars().count();
        let (unified, truncated) = cap_at_line(&full, max_chars);

        let own = |doc: &Sectioned| -> HashMap<String, String> {
            doc.sections()
                .iter()
                .map(|s| {
                    (
                        s.id.clone(),
                        crate::search::skip_heading(doc.own_text(s))
                            .trim()
                            .to_owned(),
                    )
                })
                .collect()
        };
        let (old_own, new_own) = (own(old), own(new));
        let in_order = |doc: &Sectioned, keep: &dyn Fn(&str) -> bool| -> Vec<String> {
            doc.sections()
                .iter()
                .filter(|s| keep(&s.id))
                .map(|s| s.id.clone())
                .collect()
        };
        let sections_added = in_order(new, &|id| !old_own.contains_key(id));
        let sections_removed = in_order(old, &|id| !new_own.contains_key(id));
        let sections_changed = in_order(new, &|id| {
            old_own.get(id).is_some_and(|o| new_own.get(id) != Some(o))
        });
        DocDiff {
            source: source.to_owned(),
            from_version,
            to_version,
            lines_added,
            lines_removed,
            sections_added,
            sections_removed,
            sections_changed,
            unified,
            truncated,
            unified_total_chars,
        }
    }

    /// A readable rendering.
    pub fn to_text(&self) -> String {
        let list = |v: &[String]| {
            if v.is_empty() {
                "none".to_owned()
            } else {
                v.join(", ")
            }
        };
        let mut out = format!(
            "{} v{} → v{}: +{} −{} lines\nsections added: {}\nsections removed: {}\nsections changed: {}\n",
            self.source,
            self.from_version,
            self.to_version,
            self.lines_added,
            self.lines_removed,
            list(&self.sections_added),
            list(&self.sections_removed),
            list(&self.sections_changed),
        );
        if !self.unified.is_empty() {
            out.push('\n');
            out.push_str(&self.unified);
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
        if self.truncated {
            out.push_str(&format!(
                "… diff cut at {} of {} chars; read changed sections with get_docs(section=…)\n",
                self.unified.chars().count(),
                self.unified_total_chars
            ));
        }
        out
    }
}

/// Cuts `text` to at most `max_chars` characters, at a line end when there is one.
pub(crate) fn cap_at_line(text: &str, max_chars: usize) -> (String, bool) {
    // No more bytes than the cap means no more characters: nothing to count.
    if text.len() <= max_chars {
        return (text.to_owned(), false);
    }
    let Some((byte, _)) = text.char_indices().nth(max_chars) else {
        return (text.to_owned(), false);
    };
    let head = &text[..byte];
    let cut = head.rfind('\n').map_or(byte, |i| i + 1);
    (text[..cut].to_owned(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_and_cap() {
        let old = Sectioned::parse("# A\n\none\n\n# B\n\ntwo\n\n# C\n\nthree\n");
        let new = Sectioned::parse("# A\n\none\n\n# B\n\nTWO\n\n# D\n\nfour\n");
        let d = DocDiff::compute("pipelines", (1, &old), (2, &new), 10_000);
        assert_eq!(d.sections_added, ["d"]);
        assert_eq!(d.sections_removed, ["c"]);
        assert_eq!(d.sections_changed, ["b"]);
        assert_eq!((d.lines_added, d.lines_removed), (3, 3));
        assert!(d.unified.contains("+TWO"));
        assert!(!d.truncated);
        let small = DocDiff::compute("pipelines", (1, &old), (2, &new), 20);
        assert!(small.truncated);
        assert!(small.unified.chars().count() <= 20);
        assert!(small.to_text().contains("diff cut at"));
    }

    #[test]
    fn cap_prefers_line_ends() {
        assert_eq!(cap_at_line("ab\ncd\nef", 7), ("ab\ncd\n".to_owned(), true));
        assert_eq!(cap_at_line("abc", 3), ("abc".to_owned(), false));
        assert_eq!(cap_at_line("abcdef", 3), ("abc".to_owned(), true));
    }
}
