//! Cross-references in the spec's prose — "see the Cog section", "(see Streaming section
//! below)", `see "Using cog.Secret for API Authentication"` — checked against the outline.
//! Only phrases that are clearly references are read; anything else is left alone.

use pipelines_docs_cache::sections::{Sectioned, slug};

use super::{Erratum, ErratumKind};

/// Words that may sit between the capitalised words of a section name.
const CONNECTORS: &[&str] = &["and", "of", "for", "&", "a", "to", "with"];
/// Words that introduce a section name ("in the X section", "see X section").
const LEADS: &[&str] = &["the", "see", "in", "to", "at"];

pub(super) fn check(doc: &Sectioned) -> Vec<Erratum> {
    let mut out = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    for p in doc.prose() {
        let mut names = named_before_section(&p.text);
        names.extend(parenthesised_see(&p.text));
        for name in names {
            let key = (p.section.clone(), name.clone());
            if seen.contains(&key) || resolves(doc, &name) {
                continue;
            }
            seen.push(key);
            let suggestions = doc.suggest(&name);
            let hint = if suggestions.is_empty() {
                String::new()
            } else {
                format!(" (closest: {})", suggestions.join(", "))
            };
            out.push(Erratum {
                section: p.section.clone(),
                kind: ErratumKind::Reference,
                code: None,
                line: p.line,
                note: format!(
                    "Note: this section refers to a \"{name}\" section, which the spec does not have{hint}; find the topic in the outline (get_docs with no arguments) instead."
                ),
            });
        }
    }
    out
}

/// Whether a name matches a section: its title, the last segment of its id, or its id.
fn resolves(doc: &Sectioned, name: &str) -> bool {
    let one = |n: &str| {
        let s = slug(n);
        !s.is_empty()
            && doc.sections().iter().any(|sec| {
                slug(&sec.title) == s || sec.id == s || sec.id.rsplit('/').next() == Some(&s)
            })
    };
    one(name) || (name.contains(" and ") && name.split(" and ").all(|part| one(part.trim())))
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '\'')
}

/// Names written right before the word `section(s)`, after `the`/`see`/`in`: "the Local
/// Development section", "see the \"Using cog.Secret…\" section".
fn named_before_section(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let bare = w.trim_end_matches(|c: char| c.is_ascii_punctuation());
        if !(bare == "section" || bare == "sections") || i == 0 {
            continue;
        }
        let before = &words[..i];
        // A quoted name: walk back to the opening quote.
        if before.last().is_some_and(|l| l.ends_with(is_quote)) {
            if let Some(start) = before.iter().rposition(|x| x.starts_with(is_quote)) {
                let quoted = before[start..].join(" ");
                let name = quoted
                    .trim_matches(|c: char| is_quote(c) || c == ',')
                    .trim();
                if !name.is_empty() {
                    out.push(name.to_owned());
                }
            }
            continue;
        }
        let mut j = before.len();
        while j > 0 {
            let x = before[j - 1];
            let capital = x.chars().next().is_some_and(char::is_uppercase)
                && !x.ends_with(|c: char| c.is_ascii_punctuation() && c != ')' && c != '.');
            if capital || (CONNECTORS.contains(&x) && j < before.len()) {
                j -= 1;
            } else {
                break;
            }
        }
        // Only after a lead word, so "A section …" at a sentence start is not a reference.
        let led = j > 0 && LEADS.contains(&before[j - 1].to_lowercase().as_str());
        while j < before.len() && CONNECTORS.contains(&before[j]) {
            j += 1;
        }
        if led && j < before.len() {
            let name = before[j..].join(" ");
            if !name.contains("://") && !name.contains('`') {
                out.push(name);
            }
        }
    }
    out
}

/// `(see Cog)`, `(see "Using cog.Secret for API Authentication")`.
fn parenthesised_see(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("(see ") {
        let after = &rest[at + 5..];
        let Some(end) = after.find(')') else { break };
        let inner = after[..end]
            .trim()
            .trim_start_matches("the ")
            .trim_end_matches(" below")
            .trim_end_matches(" above")
            .trim_end_matches(" sections")
            .trim_end_matches(" section")
            .trim_matches(|c: char| is_quote(c) || c == '.')
            .trim();
        let plain = !inner.is_empty()
            && inner.split_whitespace().count() <= 8
            && !inner.contains("://")
            && !inner.contains('`')
            && !inner.contains('/')
            && inner.chars().next().is_some_and(char::is_uppercase);
        if plain {
            out.push(inner.to_owned());
        }
        rest = &after[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_clear_references() {
        assert_eq!(
            named_before_section("Follow instructions in the Local Development section"),
            ["Local Development"]
        );
        assert_eq!(
            named_before_section(
                "See the Replicate Python Library and Model Library sections for assistance."
            ),
            ["Replicate Python Library and Model Library"]
        );
        assert_eq!(
            named_before_section("See the \"Using cog.Secret for API Authentication\" section."),
            ["Using cog.Secret for API Authentication"]
        );
        assert!(named_before_section("A section is a part. This section says.").is_empty());
        assert_eq!(
            parenthesised_see("x (see Streaming section below)"),
            ["Streaming"]
        );
        assert!(parenthesised_see("x (see https://cog.run)").is_empty());
    }

    #[test]
    fn dangling_reference_is_an_erratum_and_good_ones_are_not() {
        let doc = Sectioned::parse(
            "# Guide\n\nSee the Cog section, then the Local Development section (see Cog).\n\n## Cog\n\nx\n",
        );
        let found = check(&doc);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].note.contains("\"Local Development\""));
        assert_eq!(found[0].section, "guide");
    }
}
