//! The spec's binding statements — sentences with "IMPORTANT", "CRITICAL", "Do NOT",
//! "must", "Never" — and whether a validator rule already enforces each.

use pipelines_docs_cache::sections::Sectioned;

use crate::validate::Rule;

/// Words that make a sentence binding (case-sensitive, whole words).
const MARKERS: &[&str] = &[
    "IMPORTANT",
    "CRITICAL",
    "NOT",
    "must",
    "MUST",
    "Never",
    "NEVER",
    "never",
];

/// Abbreviations whose dot does not end a sentence.
const ABBREVIATIONS: &[&str] = &["e.g.", "i.e.", "etc.", "vs.", "(e.g.", "(i.e."];

/// A binding sentence and its section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Statement {
    pub section: String,
    /// The sentence as the digest shows it (with the sentence before when it opens with a
    /// pronoun).
    pub text: String,
    /// The binding sentence alone (what a rule must enforce).
    pub binding: String,
}

fn is_binding(sentence: &str) -> bool {
    sentence
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| MARKERS.contains(&w))
}

/// Splits prose into sentences at `. `, `! `, `? ` (not inside backticks).
pub(super) fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_code = false;
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        cur.push(c);
        if c == '`' {
            in_code = !in_code;
        }
        let end = matches!(c, '.' | '!' | '?')
            && !in_code
            && chars.get(i + 1).is_none_or(|n| n.is_whitespace())
            && !ABBREVIATIONS.iter().any(|a| cur.ends_with(a));
        if end {
            out.push(cur.trim().to_owned());
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

/// Every binding sentence of the spec's prose, cleaned of emphasis markers.
pub(super) fn statements(doc: &Sectioned) -> Vec<Statement> {
    let mut out: Vec<Statement> = Vec::new();
    for p in doc.prose() {
        let all = sentences(&p.text);
        for (i, s) in all.iter().enumerate() {
            if !is_binding(s) {
                continue;
            }
            let binding = clean(s);
            let mut text = binding.clone();
            // "This will not be logged": the sentence before says what "this" is.
            if opens_with_pronoun(&text)
                && let Some(before) = i.checked_sub(1).map(|j| clean(&all[j]))
            {
                text = format!("{before} {text}");
            }
            if !out.iter().any(|o| o.text == text) {
                out.push(Statement {
                    section: p.section.clone(),
                    text,
                    binding,
                });
            }
        }
    }
    out
}

fn clean(sentence: &str) -> String {
    sentence
        .replace(['⚠', '️'], "")
        .trim_start_matches(|c: char| c == ':' || c == '*' || c == '-' || c.is_whitespace())
        .to_owned()
}

/// Whether a sentence opens with a pronoun ("This", "It", "They"…) instead of its subject.
pub(super) fn opens_with_pronoun(text: &str) -> bool {
    let first = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .next()
        .unwrap_or_default();
    super::PRONOUNS.contains(&first)
}

fn related(section: &str, cite: &str) -> bool {
    section == cite
        || section.starts_with(&format!("{cite}/"))
        || cite.starts_with(&format!("{section}/"))
}

fn code_spans(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(|s| {
            let s = s.trim_start_matches("replicate.");
            s.split(['[', '(']).next().unwrap_or(s).to_owned()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Whether a rule enforces the statement: a rule cites its section (or an enclosing or
/// enclosed one) and, when the statement names code, the rule's docs name it too.
pub(super) fn enforced(statement: &Statement, rules: &[&Rule]) -> bool {
    let citing: Vec<&&Rule> = rules
        .iter()
        .filter(|r| r.cites.iter().any(|c| related(&statement.section, c)))
        .collect();
    if citing.is_empty() {
        return false;
    }
    let spans = code_spans(&statement.binding);
    spans.is_empty()
        || citing
            .iter()
            .any(|r| spans.iter().any(|s| r.docs.contains(s.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_binding_sentences() {
        let doc = Sectioned::parse(
            "# A\n\nThis is fine. You must not do `x`, e.g. this. **IMPORTANT: Do NOT return `dict`!** Tail.\n",
        );
        let st = statements(&doc);
        let texts: Vec<_> = st.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "You must not do `x`, e.g. this.",
                "IMPORTANT: Do NOT return `dict`!"
            ]
        );
        let doc = Sectioned::parse(
            "# A\n\n* `cog.Secret` - Represents a secret value. This will not be logged and must be read with `x()`.\n",
        );
        let st = statements(&doc);
        assert_eq!(
            st[0].text,
            "`cog.Secret` - Represents a secret value. This will not be logged and must be read with `x()`."
        );
        assert_eq!(
            code_spans("use `replicate.use()`, `Output` and `list[Output]`"),
            ["use", "Output", "list"]
        );
    }
}
