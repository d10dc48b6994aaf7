//! The parts of a sectioned document that linting reads: fenced code blocks and prose
//! paragraphs, each with the id of the section whose own text holds it.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use crate::sections::Sectioned;

/// A fenced code block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// The id of the section holding the block.
    pub section: String,
    /// The fence's language tag (`py`, `python`, `yaml`…; empty when none).
    pub lang: String,
    /// The code.
    pub code: String,
    /// The 1-based line of the document where the block starts.
    pub line: usize,
}

impl CodeBlock {
    /// Whether the fence says Python (`py`, `python`, `python3`).
    pub fn is_python(&self) -> bool {
        matches!(self.lang.as_str(), "py" | "python" | "python3")
    }
}

/// A paragraph, list item or table cell of prose (code blocks excluded; inline code kept in
/// backticks; links as their text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prose {
    /// The id of the section holding it.
    pub section: String,
    /// The text, on one line.
    pub text: String,
    /// The 1-based line of the document where it starts.
    pub line: usize,
}

impl Sectioned {
    fn section_at(&self, offset: usize) -> String {
        self.sections()
            .iter()
            .rev()
            .find(|s| s.own.start <= offset && offset < s.own.end.max(s.own.start + 1))
            .map(|s| s.id.clone())
            .unwrap_or_default()
    }

    /// Every fenced code block, in document order.
    pub fn code_blocks(&self) -> Vec<CodeBlock> {
        let body = self.body();
        let mut out = Vec::new();
        let mut current: Option<CodeBlock> = None;
        for (event, range) in Parser::new(body).into_offset_iter() {
            match event {
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                    current = Some(CodeBlock {
                        section: self.section_at(range.start),
                        lang: info
                            .split_whitespace()
                            .next()
                            .unwrap_or("")
                            .to_ascii_lowercase(),
                        code: String::new(),
                        line: body[..range.start].matches('\n').count() + 1,
                    });
                }
                Event::Text(t) => {
                    if let Some(b) = current.as_mut() {
                        b.code.push_str(&t);
                    }
                }
                Event::End(TagEnd::CodeBlock) => {
                    if let Some(b) = current.take() {
                        out.push(b);
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Every paragraph, list item and heading-free block of prose, in document order.
    pub fn prose(&self) -> Vec<Prose> {
        let body = self.body();
        let mut out = Vec::new();
        let mut text = String::new();
        let mut start = 0;
        let mut in_code = false;
        let flush = |text: &mut String, start: usize, out: &mut Vec<Prose>| {
            let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if !t.is_empty() {
                out.push(Prose {
                    section: self.section_at(start),
                    text: t,
                    line: body[..start.min(body.len())].matches('\n').count() + 1,
                });
            }
            text.clear();
        };
        for (event, range) in Parser::new(body).into_offset_iter() {
            match event {
                Event::Start(Tag::CodeBlock(_)) => in_code = true,
                Event::End(TagEnd::CodeBlock) => in_code = false,
                Event::Start(Tag::Paragraph | Tag::Item | Tag::TableCell) => {
                    flush(&mut text, start, &mut out);
                    start = range.start;
                }
                Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell) => {
                    flush(&mut text, start, &mut out);
                }
                Event::Start(Tag::Heading { .. }) | Event::End(TagEnd::Heading(_)) => {
                    text.clear();
                    start = range.start;
                }
                Event::Text(t) if !in_code => {
                    if text.is_empty() {
                        start = range.start;
                    }
                    text.push_str(&t);
                }
                Event::Code(t) => {
                    text.push('`');
                    text.push_str(&t);
                    text.push('`');
                }
                Event::SoftBreak | Event::HardBreak => text.push(' '),
                _ => {}
            }
        }
        flush(&mut text, start, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_prose_carry_their_section() {
        let doc = Sectioned::parse(
            "# A\n\nSee the **B** section.\n\n## B\n\n```py\nx = 1\n```\n\n- item `one`\n",
        );
        let blocks = doc.code_blocks();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].section, "a/b");
        assert!(blocks[0].is_python());
        assert_eq!(blocks[0].code, "x = 1\n");
        assert_eq!(blocks[0].line, 7);
        let prose = doc.prose();
        assert_eq!(prose[0].section, "a");
        assert_eq!(prose[0].text, "See the B section.");
        assert_eq!(prose[1].text, "item `one`");
        assert_eq!(prose[1].section, "a/b");
    }
}
