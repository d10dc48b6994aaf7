//! Python identifiers: deriving them from model names and keeping them unique.

use std::collections::HashSet;

/// Python's keywords (3.13), including the soft ones that would confuse readers.
const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "case", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if",
    "import", "in", "is", "lambda", "match", "nonlocal", "not", "or", "pass", "raise", "return",
    "try", "type", "while", "with", "yield",
];

/// Names the generated module itself uses (imports, builtins it calls, `run`, `Output`).
pub(crate) const RESERVED: &[&str] = &[
    "BaseModel",
    "Input",
    "Output",
    "Path",
    "Secret",
    "bool",
    "float",
    "get_path_url",
    "given",
    "int",
    "json",
    "list",
    "replicate",
    "run",
    "str",
];

/// Whether `name` is a valid Python identifier (ASCII) that is not a keyword.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') && !KEYWORDS.contains(&name)
}

/// Turns arbitrary text (`flux-1.1-pro`) into a snake_case identifier (`flux_1_1_pro`).
pub(crate) fn to_identifier(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_underscore = true;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            last_underscore = false;
        } else if !last_underscore {
            out.push('_');
            last_underscore = true;
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() {
        out.push_str("model");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "m_");
    }
    if KEYWORDS.contains(&out.as_str()) || RESERVED.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// Hands out identifiers that collide with nothing taken before.
#[derive(Debug, Default)]
pub(crate) struct Namer {
    taken: HashSet<String>,
}

impl Namer {
    /// A namer that already avoids the module's reserved names.
    pub(crate) fn new() -> Self {
        Namer {
            taken: RESERVED.iter().map(|s| (*s).to_string()).collect(),
        }
    }

    /// Marks `name` as used; false when it already was.
    pub(crate) fn take(&mut self, name: &str) -> bool {
        self.taken.insert(name.to_string())
    }

    /// The first free name among `candidates`, else the last one with `_2`, `_3`… appended.
    pub(crate) fn fresh(&mut self, candidates: &[String]) -> String {
        for c in candidates {
            if self.take(c) {
                return c.clone();
            }
        }
        let base = candidates
            .last()
            .cloned()
            .unwrap_or_else(|| "value".to_string());
        let mut n = 2;
        loop {
            let candidate = format!("{base}_{n}");
            if self.take(&candidate) {
                return candidate;
            }
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_from_model_names() {
        assert_eq!(to_identifier("pixel-forge"), "pixel_forge");
        assert_eq!(to_identifier("upscale.x2"), "upscale_x2");
        assert_eq!(to_identifier("gpt-4.1-nano"), "gpt_4_1_nano");
        assert_eq!(to_identifier("3d-gen"), "m_3d_gen");
        assert_eq!(to_identifier("--"), "model");
        assert_eq!(to_identifier("json"), "json_");
        assert_eq!(to_identifier("Class"), "class_");
    }

    #[test]
    fn identifier_check() {
        assert!(is_identifier("prompt"));
        assert!(is_identifier("_x1"));
        assert!(!is_identifier("1x"));
        assert!(!is_identifier("a-b"));
        assert!(!is_identifier("lambda"));
        assert!(!is_identifier(""));
    }

    #[test]
    fn namer_dedupes() {
        let mut n = Namer::new();
        assert_eq!(n.fresh(&["flux".into()]), "flux");
        assert_eq!(n.fresh(&["flux".into(), "bob_flux".into()]), "bob_flux");
        assert_eq!(n.fresh(&["flux".into(), "bob_flux".into()]), "bob_flux_2");
        assert_eq!(n.fresh(&["json".into()]), "json_2");
    }
}
