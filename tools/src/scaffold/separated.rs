//! Whether a model's `str` input takes several items in one string (`image_urls`: "A
//! comma-separated list of input urls"), and with which separator — read from its schema
//! (name and description) only. The automatic wiring joins a list output into such an
//! input only when the separator is written there; it never guesses one.

use crate::schema::InputParam;

/// What a `str` input says it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Separated {
    /// The separator the schema names (`","`), or `None` when it says "a list" without one.
    pub(crate) sep: Option<String>,
    /// The items are URLs (files pass as their URLs); else texts.
    pub(crate) urls: bool,
}

/// Separator words and the separator they name.
const NAMED: &[(&[&str], &str)] = &[
    (&["comma"], ","),
    (&["semicolon"], ";"),
    (&["newline", "new line", "line break"], "\n"),
    (&["pipe"], "|"),
    (&["space", "whitespace"], " "),
];

/// Reads the input's name and description; `None` when it does not say it takes several
/// items in one string.
pub(crate) fn separated(input: &InputParam) -> Option<Separated> {
    let description = input.description.as_deref().unwrap_or_default();
    let text = description.to_ascii_lowercase();
    let name = input.name.to_ascii_lowercase();
    let urls = ["url", "uri", "link"]
        .iter()
        .any(|w| text.contains(w) || name.contains(w));
    let sep = separator(&text).or_else(|| quoted_separator(description));
    let plural_name = ["_urls", "_uris", "_links", "_list"]
        .iter()
        .any(|s| name.ends_with(s));
    let says_list = sep.is_some()
        || plural_name
        || ["separated", "delimited", "list of"]
            .iter()
            .any(|w| text.contains(w));
    says_list.then_some(Separated { sep, urls })
}

/// `comma-separated`, `separated by commas`, `comma delimited`, `one per line`…
fn separator(text: &str) -> Option<String> {
    if text.contains("one per line") {
        return Some("\n".to_string());
    }
    for (words, sep) in NAMED {
        for word in *words {
            let phrases = [
                format!("{word}-separated"),
                format!("{word} separated"),
                format!("{word}-delimited"),
                format!("{word} delimited"),
                format!("separated by {word}"),
                format!("separated by a {word}"),
                format!("delimited by {word}"),
                format!("delimited by a {word}"),
            ];
            if phrases.iter().any(|p| text.contains(p.as_str())) {
                return Some((*sep).to_string());
            }
        }
    }
    None
}

/// `separated by ","` / `separated by '|'` / ``separated by `;` ``: a quoted separator of
/// at most three characters.
fn quoted_separator(description: &str) -> Option<String> {
    let lower = description.to_ascii_lowercase();
    for lead in [
        "separated by ",
        "delimited by ",
        "separated with ",
        "joined by ",
    ] {
        let Some(at) = lower.find(lead) else {
            continue;
        };
        let rest = &description[at + lead.len()..];
        let mut chars = rest.chars();
        let quote = chars.next()?;
        if !matches!(quote, '"' | '\'' | '`') {
            continue;
        }
        let inner: String = chars.by_ref().take_while(|c| *c != quote).collect();
        let closed = rest[quote.len_utf8() + inner.len()..].starts_with(quote);
        if closed && !inner.is_empty() && inner.chars().count() <= 3 {
            return Some(inner.replace("\\n", "\n"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, description: &str) -> InputParam {
        serde_json::from_value(serde_json::json!({
            "name": name, "python_type": "str", "required": true, "description": description
        }))
        .unwrap()
    }

    fn sep(name: &str, description: &str) -> Option<Option<String>> {
        separated(&input(name, description)).map(|s| s.sep)
    }

    #[test]
    fn separators_are_read_from_the_schema() {
        let comma = Some(Some(",".to_string()));
        assert_eq!(
            sep("image_urls", "A comma-separated list of input urls"),
            comma
        );
        assert_eq!(sep("urls", "Image URLs, separated by commas"), comma);
        assert_eq!(sep("tags", "Tags separated by \",\""), comma);
        assert_eq!(
            sep("prompts", "Prompts, one per line"),
            Some(Some("\n".into()))
        );
        assert_eq!(
            sep("prompts", "Prompts separated by '|'"),
            Some(Some("|".into()))
        );
        assert!(separated(&input("image_urls", "Comma-separated URLs")).is_some_and(|s| s.urls));
    }

    #[test]
    fn a_list_without_a_separator_says_so_and_a_plain_text_is_not_a_list() {
        assert_eq!(sep("image_urls", "The input images"), Some(None));
        assert_eq!(sep("images", "A list of image URLs"), Some(None));
        assert_eq!(sep("prompt", "Input prompt"), None);
        assert_eq!(sep("prompt", "Use commas to separate ideas"), None);
        assert_eq!(sep("text", "Text to speak, in any language"), None);
    }
}
