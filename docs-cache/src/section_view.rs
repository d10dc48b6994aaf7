//! One section as `get_docs` returns it: by default the section's own text plus a list of
//! its subsections (id, title, size), so a parent does not repeat its children; with
//! `include_subsections`, the whole text.

use crate::diff::cap_at_line;
use crate::results::SectionText;
use crate::sections::{Section, Sectioned};

/// A section rendered for `get_docs`: its text, whether it was cut, and advice.
#[derive(Debug)]
pub(crate) struct SectionView {
    pub section: SectionText,
    pub truncated: bool,
    pub note: Option<String>,
}

/// Renders `s` capped at `max_chars`.
pub(crate) fn section_view(
    doc: &Sectioned,
    s: &Section,
    max_chars: usize,
    include_subsections: bool,
) -> SectionView {
    let subsections: Vec<_> = doc.children(s).into_iter().map(|c| doc.entry(c)).collect();
    let whole = include_subsections || subsections.is_empty();
    let full = if whole { doc.text(s) } else { doc.own_text(s) };
    let total_chars = full.chars().count();
    let (text, truncated) = cap_at_line(full, max_chars);
    let listing = subsections
        .iter()
        .map(|c| format!("{} ({} chars)", c.id, c.size))
        .collect::<Vec<_>>()
        .join(", ");
    let note = if truncated {
        let shown = text.chars().count();
        let subs = if subsections.is_empty() {
            String::new()
        } else {
            format!(" Its subsections can be read one at a time: {listing}.")
        };
        Some(format!(
            "Section `{}` cut at {shown} of {total_chars} chars.{subs} Or call again with max_chars={total_chars}.",
            s.id
        ))
    } else if !whole {
        Some(format!(
            "This is `{}`'s own text; read a subsection with get_docs(section=\"<id>\"), or all of it with include_subsections=true.",
            s.id
        ))
    } else {
        None
    };
    SectionView {
        section: SectionText {
            id: s.id.clone(),
            title: s.title.clone(),
            level: s.level,
            text,
            total_chars,
            includes_subsections: whole,
            subsections,
        },
        truncated,
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# A\n\nparent text\n\n## B\n\nchild b\n\n## C\n\nchild c\n";

    #[test]
    fn parent_lists_children_instead_of_repeating_them() {
        let doc = Sectioned::parse(DOC);
        let a = doc.get("a").unwrap();
        let v = section_view(&doc, a, 8000, false);
        assert!(v.section.text.contains("parent text"));
        assert!(!v.section.text.contains("child b"));
        let ids: Vec<_> = v
            .section
            .subsections
            .iter()
            .map(|e| e.id.as_str())
            .collect();
        assert_eq!(ids, ["a/b", "a/c"]);
        assert!(!v.section.includes_subsections);
        assert!(v.note.unwrap().contains("include_subsections"));
        let all = section_view(&doc, a, 8000, true);
        assert!(all.section.text.contains("child c"));
        assert!(all.section.includes_subsections);
        let leaf = section_view(&doc, doc.get("a/b").unwrap(), 8000, false);
        assert!(leaf.section.text.contains("child b") && leaf.note.is_none());
    }
}
