//! Splitting a Markdown document into sections by heading, with stable ids.
//!
//! The id of a section is the slug of its heading prefixed by the ids of its enclosing
//! headings (those of a lower level), joined by `/`: `## Cog` > `### Outputs` →
//! `cog/outputs`. A slug is the lower-cased heading text with every run of
//! non-alphanumeric characters turned into `-`, trimmed of `-`. Duplicates get `-2`,
//! `-3`, …. Text before the first heading, if any, is the section `preamble`.
//!
//! A section's *text* runs from its heading to the next heading of the same or a higher
//! level (so it contains its subsections); its *own text* stops at the next heading of
//! any level. Headings inside code blocks are not headings, so code blocks stay intact.

use std::collections::HashMap;
use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use serde::Serialize;

/// The id given to text before the first heading.
pub const PREAMBLE_ID: &str = "preamble";

/// One section of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The stable id, e.g. `cog/outputs`.
    pub id: String,
    /// The heading text, inline markup removed.
    pub title: String,
    /// The heading level (1–6; 0 for the preamble).
    pub level: u8,
    /// Byte range of the section with its subsections.
    pub range: Range<usize>,
    /// Byte range of the section up to its first subsection.
    pub own: Range<usize>,
}

/// One line of a document's outline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct OutlineEntry {
    /// The section id to pass as `section`.
    pub id: String,
    /// The heading text.
    pub title: String,
    /// The heading level (1–6; 0 for text before the first heading).
    pub level: u8,
    /// Size in characters, subsections included.
    pub size: usize,
    /// Size in characters of the section's own text, up to its first subsection.
    pub own_size: usize,
}

/// A document split into sections.
#[derive(Debug, Clone)]
pub struct Sectioned {
    body: String,
    sections: Vec<Section>,
    index: HashMap<String, usize>,
}

impl Sectioned {
    /// Splits `body` into sections.
    pub fn parse(body: &str) -> Sectioned {
        let sections = split(body);
        let index = sections
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        Sectioned {
            body: body.to_owned(),
            sections,
            index,
        }
    }

    /// The whole document.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// All sections in document order.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// The section with this id.
    pub fn get(&self, id: &str) -> Option<&Section> {
        self.index.get(id).map(|&i| &self.sections[i])
    }

    /// A section's text, subsections included.
    pub fn text(&self, section: &Section) -> &str {
        self.body.get(section.range.clone()).unwrap_or("")
    }

    /// A section's own text, up to its first subsection.
    pub fn own_text(&self, section: &Section) -> &str {
        self.body.get(section.own.clone()).unwrap_or("")
    }

    /// The direct subsections of a section.
    pub fn children(&self, section: &Section) -> Vec<&Section> {
        let prefix = format!("{}/", section.id);
        self.sections
            .iter()
            .filter(|s| s.id.starts_with(&prefix) && !s.id[prefix.len()..].contains('/'))
            .collect()
    }

    /// The outline: every section's id, title, level and sizes.
    pub fn outline(&self) -> Vec<OutlineEntry> {
        self.sections.iter().map(|s| self.entry(s)).collect()
    }

    /// One section's outline line: id, title, level, total and own size.
    pub fn entry(&self, section: &Section) -> OutlineEntry {
        OutlineEntry {
            id: section.id.clone(),
            title: section.title.clone(),
            level: section.level,
            size: self.text(section).chars().count(),
            own_size: self.own_text(section).chars().count(),
        }
    }

    /// Ids that look like `wanted` (same last segment, or containing it), for "did you mean".
    pub fn suggest(&self, wanted: &str) -> Vec<String> {
        let wanted_slug = slug(wanted.rsplit('/').next().unwrap_or(wanted));
        let mut out: Vec<String> = self
            .sections
            .iter()
            .filter(|s| {
                !wanted_slug.is_empty()
                    && (s.id.contains(&wanted_slug)
                        || s.id
                            .rsplit('/')
                            .next()
                            .is_some_and(|last| wanted_slug.contains(last)))
            })
            .map(|s| s.id.clone())
            .collect();
        out.truncate(5);
        out
    }
}

/// The slug of a heading text.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.extend(c.to_lowercase());
        } else {
            pending_dash = true;
        }
    }
    out
}

struct Heading {
    level: u8,
    title: String,
    start: usize,
}

fn level_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn headings(body: &str) -> Vec<Heading> {
    let mut out = Vec::new();
    let mut current: Option<Heading> = None;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                // Start at the beginning of the line (headings may be indented up to 3 spaces).
                let line_start = body[..range.start].rfind('\n').map_or(0, |i| i + 1);
                current = Some(Heading {
                    level: level_number(level),
                    title: String::new(),
                    start: line_start,
                });
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(mut h) = current.take() {
                    h.title = h.title.split_whitespace().collect::<Vec<_>>().join(" ");
                    out.push(h);
                }
            }
            Event::Text(t) | Event::Code(t) | Event::InlineHtml(t) => {
                if let Some(h) = current.as_mut() {
                    h.title.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(h) = current.as_mut() {
                    h.title.push(' ');
                }
            }
            _ => {}
        }
    }
    out
}

fn split(body: &str) -> Vec<Section> {
    let heads = headings(body);
    let mut sections = Vec::with_capacity(heads.len() + 1);
    let first_start = heads.first().map_or(body.len(), |h| h.start);
    if !body[..first_start].trim().is_empty() {
        sections.push(Section {
            id: PREAMBLE_ID.to_owned(),
            title: "(before the first heading)".to_owned(),
            level: 0,
            range: 0..first_start,
            own: 0..first_start,
        });
    }
    let mut seen: HashMap<String, usize> = sections.iter().map(|s| (s.id.clone(), 1)).collect();
    // (level, id) of the enclosing headings.
    let mut stack: Vec<(u8, String)> = Vec::new();
    for (i, h) in heads.iter().enumerate() {
        while stack.last().is_some_and(|(l, _)| *l >= h.level) {
            stack.pop();
        }
        let mut own_slug = slug(&h.title);
        if own_slug.is_empty() {
            own_slug = "section".to_owned();
        }
        let base = match stack.last() {
            Some((_, parent)) => format!("{parent}/{own_slug}"),
            None => own_slug,
        };
        let count = seen.entry(base.clone()).or_insert(0);
        *count += 1;
        let id = if *count == 1 {
            base
        } else {
            format!("{base}-{count}")
        };
        seen.entry(id.clone()).or_insert(1);
        let own_end = heads.get(i + 1).map_or(body.len(), |n| n.start);
        let end = heads[i + 1..]
            .iter()
            .find(|n| n.level <= h.level)
            .map_or(body.len(), |n| n.start);
        stack.push((h.level, id.clone()));
        sections.push(Section {
            id,
            title: h.title.clone(),
            level: h.level,
            range: h.start..end,
            own: h.start..own_end,
        });
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Using cog.Secret for API Authentication"),
            "using-cog-secret-for-api-authentication"
        );
        assert_eq!(slug("`use()` Function"), "use-function");
        assert_eq!(slug("  --Hello,  World!--"), "hello-world");
        assert_eq!(slug("Step 1: Identify"), "step-1-identify");
    }

    #[test]
    fn setext_indented_duplicates_and_code_blocks() {
        let doc = "Title\n-----\n\nintro\n\n ## Cog\n\n```py\n# not a heading\n```\n\n### Outputs\n\nx\n\n### Outputs\n\ny\n\n# Top\n\nz\n";
        let s = Sectioned::parse(doc);
        let ids: Vec<_> = s.sections().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["title", "cog", "cog/outputs", "cog/outputs-2", "top"]);
        let cog = s.get("cog").unwrap();
        assert!(s.text(cog).starts_with(" ## Cog"));
        assert!(s.own_text(cog).contains("```py\n# not a heading\n```"));
        assert!(s.text(cog).contains("y\n"));
        assert!(!s.text(cog).contains("# Top"));
        assert_eq!(s.children(cog).len(), 2);
    }

    #[test]
    fn preamble() {
        let s = Sectioned::parse("hello\n\n# A\n\nb\n");
        assert_eq!(s.sections()[0].id, PREAMBLE_ID);
        assert_eq!(s.sections()[1].id, "a");
        assert_eq!(Sectioned::parse("").sections().len(), 0);
    }
}
