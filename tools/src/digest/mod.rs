//! The rules digest: everything that decides whether a pipeline is valid, once and
//! compactly — every validator rule as one line (code, what to do, section id) from the
//! registry, the Rulebook's facts, and the spec's other binding statements that no rule
//! enforces yet (marked as advice) — grouped by topic, within [`MAX_DIGEST_CHARS`].

mod binding;

use pipelines_docs_cache::Rulebook;
use pipelines_docs_cache::sections::Sectioned;
use serde::Serialize;

use crate::validate::{Rule, rules};

/// The digest's size cap, in characters. Lines are never cut to fit: wording is kept short
/// at the source (rule docs), and only advice lines would be left out, whole, and counted.
pub const MAX_DIGEST_CHARS: usize = 8000;

/// The topics, in the order a pipeline is written.
const TOPICS: &[&str] = &[
    "cog.yaml",
    "requirements",
    "inputs",
    "outputs",
    "calling models",
    "runtime",
    "secrets",
];

/// The digest and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RulesDigest {
    /// The digest, one line per rule, fact or advice, grouped by topic.
    pub text: String,
    /// Validator rules listed.
    pub rules: usize,
    /// Binding statements no rule enforces, listed as advice.
    pub advice: usize,
    /// Advice left out to stay within the size cap.
    pub advice_omitted: usize,
    /// Where it came from: the cached spec's version, or built-in defaults.
    pub from: String,
}

impl RulesDigest {
    /// The digest text.
    pub fn to_text(&self) -> String {
        self.text.clone()
    }
}

/// The topic of a section id (or a rule's first citation).
fn topic_of(section: &str, code: &str, name: &str) -> &'static str {
    let s = section.to_lowercase();
    if s.contains("secret") || name.contains("secret") || name.contains("env") {
        "secrets"
    } else if s.starts_with("cog/outputs") || name.contains("output") {
        "outputs"
    } else if s.starts_with("cog/inputs") || s.starts_with("cog/types") || name.contains("input") {
        if code.starts_with("PY01") && (name.contains("model") || name.contains("schema")) {
            "calling models"
        } else {
            "inputs"
        }
    } else if s.starts_with("replicate-python-library") || s.starts_with("model-library") {
        "calling models"
    } else if s.starts_with("runtime") {
        "runtime"
    } else if s.starts_with("requirements") || code.starts_with("REQ") {
        "requirements"
    } else if s.starts_with("cog") || code.starts_with("COG") {
        "cog.yaml"
    } else if name.contains("model") || name.contains("use") || name.contains("schema") {
        "calling models"
    } else {
        "runtime"
    }
}

/// Drops `(…)` asides and `— … —` parentheticals.
fn drop_asides(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let parts: Vec<&str> = out.split(" — ").collect();
    let kept = if parts.len() >= 3 {
        let mut v = vec![parts[0]];
        v.extend(parts.iter().skip(2).copied());
        v.join(" ")
    } else {
        out.clone()
    };
    kept.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" ,", ",")
        .replace(" :", ":")
}

/// A rule's "what it does" sentence as what to do: `Flags X` → `Avoid X`, `Checks that X`
/// → `Ensure X`, `Checks X against Y` → `Keep X within Y`, `Reports X` → `Fix X`.
fn imperative(what: &str) -> String {
    if let Some(rest) = what.strip_prefix("Flags ") {
        format!("Avoid {rest}")
    } else if let Some(rest) = what.strip_prefix("Checks that ") {
        format!("Ensure {rest}")
    } else if let Some(rest) = what
        .strip_prefix("Checks ")
        .filter(|r| r.contains(" against "))
    {
        format!("Keep {}", rest.replacen(" against ", " within ", 1))
    } else if let Some(rest) = what.strip_prefix("Reports ") {
        format!("Fix {rest}")
    } else {
        what.to_owned()
    }
}

/// One rule as "what to do": the first sentence of its `## What it does`, imperative.
pub fn rule_line(rule: &Rule) -> String {
    let explanation = rule.explanation();
    let what = explanation
        .split("## What it does")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").map(str::trim).find(|p| !p.is_empty()))
        .unwrap_or(rule.name);
    let flat = what.split_whitespace().collect::<Vec<_>>().join(" ");
    // The first sentence ("e.g." and the like do not end one).
    let first = binding::sentences(&flat)
        .into_iter()
        .next()
        .unwrap_or_else(|| flat.clone());
    let short = drop_asides(first.trim_end_matches('.'));
    let imperative = imperative(&short);
    let severity = match rule.severity {
        crate::validate::Severity::Error => "",
        crate::validate::Severity::Warning => " (warning)",
    };
    format!(
        "- {}{severity}: {imperative} [{}]",
        rule.code,
        rule.cites.first().copied().unwrap_or("")
    )
}

fn facts(book: &Rulebook) -> Vec<(&'static str, String)> {
    let mut out = vec![(
        "requirements",
        format!(
            "- fact: requirements.txt pins cog{} and replicate{} [{}]",
            book.cog_requirement.value,
            book.replicate_requirement.value,
            book.cog_requirement.source.section
        ),
    )];
    let packages: Vec<String> = book
        .python_packages
        .iter()
        .map(|p| format!("{}{}", p.name, p.specifier))
        .collect();
    out.push((
        "runtime",
        format!(
            "- fact: Python packages (besides cog, replicate; nothing else installs): {} [{}]",
            packages.join(", "),
            book.python_packages
                .first()
                .map_or("runtime", |p| p.source.section.as_str())
        ),
    ));
    let system: Vec<&str> = book
        .system_packages
        .iter()
        .map(|p| p.value.as_str())
        .collect();
    out.push((
        "runtime",
        format!(
            "- fact: system packages: {} [{}]",
            system.join(", "),
            book.system_packages
                .first()
                .map_or("runtime", |p| p.source.section.as_str())
        ),
    ));
    if let Some(py) = &book.python_version {
        out.push((
            "runtime",
            format!("- fact: Python {} [{}]", py.value, py.source.section),
        ));
    }
    out
}

/// Builds the digest from the registry, the Rulebook and (when cached) the spec.
pub fn digest(spec: Option<&Sectioned>, book: &Rulebook, from: &str) -> RulesDigest {
    let registry: Vec<&Rule> = rules().to_vec();
    let mut lines: Vec<(&str, String)> = registry
        .iter()
        .map(|r| {
            let cite = r.cites.first().copied().unwrap_or("");
            (topic_of(cite, r.code, r.name), rule_line(r))
        })
        .collect();
    lines.extend(facts(book));
    let advice: Vec<(&str, String)> = spec
        .map(binding::statements)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| !binding::enforced(s, &registry))
        .map(|s| {
            (
                topic_of(&s.section, "", ""),
                format!("- advice: {} [{}]", s.text, s.section),
            )
        })
        .collect();
    let header = format!(
        "Rules digest ({from}; {} rules). `- CODE` lines are checked by validate_pipeline, \
         `advice` lines are not; each ends with its section id for get_docs.\n",
        registry.len()
    );
    let render = |advice: &[(&str, String)], omitted: usize| {
        let mut out = header.clone();
        for topic in TOPICS {
            let group: Vec<&String> = lines
                .iter()
                .chain(advice.iter())
                .filter(|(t, _)| t == topic)
                .map(|(_, l)| l)
                .collect();
            if group.is_empty() {
                continue;
            }
            out.push_str(&format!("\n## {topic}\n"));
            for l in group {
                out.push_str(l);
                out.push('\n');
            }
        }
        if omitted > 0 {
            out.push_str(&format!(
                "\n({omitted} more binding statements: search them with get_docs(query=\"<words>\"))\n"
            ));
        }
        out
    };
    let mut kept = advice.len();
    let mut text = render(&advice, 0);
    while text.chars().count() > MAX_DIGEST_CHARS && kept > 0 {
        kept -= 1;
        text = render(&advice[..kept], advice.len() - kept);
    }
    RulesDigest {
        text,
        rules: registry.len(),
        advice: kept,
        advice_omitted: advice.len() - kept,
        from: from.to_owned(),
    }
}

/// Pronouns that cannot open a digest line: the line would not say what it is about.
const PRONOUNS: &[&str] = &[
    "This", "These", "That", "Those", "It", "Its", "They", "Their", "Them", "He", "She",
];

/// Why a digest line is not a whole statement an agent can act on, if it is not: cut short,
/// without its subject (it opens with a pronoun), or without its section id.
pub fn whole_line_problem(line: &str) -> Option<&'static str> {
    let body = line.trim().trim_start_matches("- ");
    let text = body.split_once(": ").map_or(body, |(_, t)| t).trim_start();
    if line.contains('…') || line.contains("...") {
        return Some("cut short");
    }
    if !line.trim_end().ends_with(']') {
        return Some("no section id at the end");
    }
    if binding::opens_with_pronoun(text) {
        return Some("no subject (opens with a pronoun)");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_once_and_within_the_cap() {
        let d = digest(None, &Rulebook::defaults(), "built-in defaults");
        for r in rules() {
            assert_eq!(
                d.text.matches(&format!("- {}", r.code)).count(),
                1,
                "{}",
                r.code
            );
        }
        assert!(d.text.contains("pydantic<2") && d.text.contains("ffmpeg"));
        assert!(d.text.chars().count() <= MAX_DIGEST_CHARS);
        for line in d.text.lines().filter(|l| l.starts_with("- ")) {
            assert_eq!(whole_line_problem(line), None, "{line}");
            assert!(!line.contains(": Checks "), "{line}");
        }
        assert_eq!(
            imperative("Checks a pin against the spec"),
            "Keep a pin within the spec"
        );
        assert_eq!(drop_asides("a (b) c — d — e"), "a c e");
    }
}
