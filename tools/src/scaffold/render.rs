//! A small placeholder renderer for the template files in `tools/templates/`.
//!
//! `{{key}}` is replaced by its value. A line holding nothing but a placeholder is a block:
//! each line of the value is indented like the placeholder, and an empty value removes the
//! line. Runs of blank lines are then folded to at most `max_blank_lines`. Every placeholder
//! must have a value and every value must be used, so a typo fails loudly (in tests).

use std::collections::BTreeSet;

use super::error::ScaffoldError;

/// A template file embedded in the binary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Template {
    /// The file name under `tools/templates/`.
    pub(crate) name: &'static str,
    /// Its text.
    pub(crate) text: &'static str,
    /// The most consecutive blank lines kept (2 for Python, 1 elsewhere).
    pub(crate) max_blank_lines: usize,
}

macro_rules! template {
    ($name:literal, $blank:expr) => {
        Template {
            name: $name,
            text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/", $name)),
            max_blank_lines: $blank,
        }
    };
}

pub(crate) const COG_YAML: Template = template!("cog.yaml.tmpl", 1);
pub(crate) const REQUIREMENTS: Template = template!("requirements.txt.tmpl", 1);
pub(crate) const MAIN_PY: Template = template!("main.py.tmpl", 2);
pub(crate) const OUTPUT_CLASS: Template = template!("output_class.py.tmpl", 0);
pub(crate) const GIVEN_HELPER: Template = template!("given_helper.py.tmpl", 0);
pub(crate) const README: Template = template!("README.md.tmpl", 1);
pub(crate) const TODO_HELPER: Template = template!("todo_helper.py.tmpl", 1);

/// Fills `template` with `vars`.
pub(crate) fn render(template: &Template, vars: &[(&str, &str)]) -> Result<String, ScaffoldError> {
    let fail = |reason: String| ScaffoldError::Template {
        template: template.name,
        reason,
    };
    let lookup = |key: &str| {
        vars.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .ok_or_else(|| fail(format!("no value for {{{{{key}}}}}")))
    };
    let mut used = BTreeSet::new();
    let mut lines: Vec<String> = Vec::new();
    for line in template.text.lines() {
        let trimmed = line.trim();
        if let Some(key) = block_key(trimmed) {
            let value = lookup(key)?;
            used.insert(key);
            let indent = &line[..line.len() - line.trim_start().len()];
            lines.extend(value.lines().map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("{indent}{l}")
                }
            }));
            continue;
        }
        let mut out = String::with_capacity(line.len());
        let mut rest = line;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| fail(format!("unclosed placeholder in {line:?}")))?;
            let key = &after[..end];
            out.push_str(lookup(key)?);
            used.insert(key);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        lines.extend(out.split('\n').map(str::to_string));
    }
    if let Some((unused, _)) = vars.iter().find(|(k, _)| !used.contains(k)) {
        return Err(fail(format!(
            "value {unused:?} is not used by the template"
        )));
    }
    Ok(fold_blank_lines(&lines, template.max_blank_lines))
}

fn block_key(trimmed: &str) -> Option<&str> {
    let key = trimmed.strip_prefix("{{")?.strip_suffix("}}")?;
    (!key.contains("{{") && !key.contains("}}")).then_some(key)
}

fn fold_blank_lines(lines: &[String], max: usize) -> String {
    let mut out = String::new();
    let mut blanks = 0usize;
    let mut started = false;
    for line in lines {
        let line = line.trim_end();
        if line.is_empty() {
            blanks += 1;
            continue;
        }
        if started {
            for _ in 0..blanks.min(max) {
                out.push('\n');
            }
        }
        blanks = 0;
        started = true;
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Template = Template {
        name: "test",
        text: "a {{x}} b\n\n\n\n  {{block}}\n{{empty}}\nend\n",
        max_blank_lines: 1,
    };

    #[test]
    fn renders_inline_and_block_placeholders() {
        let out = render(&T, &[("x", "X"), ("block", "one\n\ntwo"), ("empty", "")]).unwrap();
        assert_eq!(out, "a X b\n\n  one\n\n  two\nend\n");
    }

    #[test]
    fn missing_and_unused_values_fail() {
        assert!(render(&T, &[("x", "X"), ("block", "")]).is_err());
        let extra = [("x", "X"), ("block", ""), ("empty", ""), ("typo", "")];
        assert!(render(&T, &extra).is_err());
    }

    #[test]
    fn embedded_templates_have_no_unclosed_placeholders() {
        for t in [
            COG_YAML,
            REQUIREMENTS,
            MAIN_PY,
            OUTPUT_CLASS,
            GIVEN_HELPER,
            README,
            TODO_HELPER,
        ] {
            assert_eq!(
                t.text.matches("{{").count(),
                t.text.matches("}}").count(),
                "{}",
                t.name
            );
        }
    }
}
