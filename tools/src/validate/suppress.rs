//! What happens to findings after the rules ran: `# noqa` suppression (ruff semantics) and
//! the caps that keep a hostile project from producing an unbounded report.

use std::collections::HashMap;

use super::diagnostic::Diagnostic;
use super::project::Project;

/// At most this many findings of one rule in one file; the rest become one summary.
pub const MAX_PER_RULE_PER_FILE: usize = 50;
/// At most this many findings in one file (summaries included).
pub const MAX_PER_FILE: usize = 200;

/// What a `# noqa` comment on a line suppresses.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Noqa {
    /// `# noqa`: every finding on the line.
    All,
    /// `# noqa: A, B`: these codes.
    Codes(Vec<String>),
}

impl Noqa {
    fn covers(&self, code: &str) -> bool {
        match self {
            Noqa::All => true,
            Noqa::Codes(codes) => codes.iter().any(|c| c.eq_ignore_ascii_case(code)),
        }
    }
}

/// The `# noqa` directive of one line, as ruff reads it: `# noqa` alone suppresses
/// everything, `# noqa: A, B` (commas or spaces) only those codes.
pub(crate) fn parse_noqa(line: &str) -> Option<Noqa> {
    let mut rest = line;
    while let Some(hash) = rest.find('#') {
        let after = rest[hash + 1..].trim_start();
        rest = &rest[hash + 1..];
        let Some(head) = after.get(..4) else {
            continue;
        };
        if !head.eq_ignore_ascii_case("noqa") {
            continue;
        }
        let tail = &after[4..];
        let Some(list) = tail.trim_start().strip_prefix(':') else {
            // `# noqa` followed by nothing or by another word boundary.
            if tail.is_empty() || !tail.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                return Some(Noqa::All);
            }
            continue;
        };
        let codes: Vec<String> = list
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(str::trim)
            .filter(|c| {
                !c.is_empty()
                    && c.starts_with(|ch: char| ch.is_ascii_uppercase())
                    && c.chars().all(|ch| ch.is_ascii_alphanumeric())
            })
            .map(str::to_string)
            .collect();
        return Some(if codes.is_empty() {
            Noqa::All
        } else {
            Noqa::Codes(codes)
        });
    }
    None
}

/// The text of a project file, by its path in diagnostics.
fn source_of<'p>(project: &'p Project, file: &str) -> Option<&'p str> {
    if let Some(py) = project.python.as_ref().filter(|p| p.path == file) {
        return Some(&py.source);
    }
    if let Some(m) = project.local_modules.iter().find(|m| m.path == file) {
        return Some(&m.source);
    }
    if let Some(r) = project.requirements.as_ref().filter(|r| r.path == file) {
        return Some(&r.source);
    }
    if file == "cog.yaml" {
        return project.cog.as_ref().map(|c| c.source.as_str());
    }
    None
}

/// Drops findings whose line carries a `# noqa` that covers their code.
pub(crate) fn apply_noqa(project: &Project, diagnostics: &mut Vec<Diagnostic>) {
    let mut lines: HashMap<String, Vec<&str>> = HashMap::new();
    diagnostics.retain(|d| {
        let Some(source) = source_of(project, &d.file) else {
            return true;
        };
        let file_lines = lines
            .entry(d.file.clone())
            .or_insert_with(|| source.lines().collect());
        let Some(line) = d.line.checked_sub(1).and_then(|i| file_lines.get(i)) else {
            return true;
        };
        !parse_noqa(line).is_some_and(|n| n.covers(&d.code))
    });
}

/// Keeps at most [`MAX_PER_RULE_PER_FILE`] findings of a rule in a file and
/// [`MAX_PER_FILE`] in a file; what is cut becomes one "… and N more" finding. Expects the
/// diagnostics sorted by file and position.
pub(crate) fn cap(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    if diagnostics.len() <= MAX_PER_RULE_PER_FILE.min(MAX_PER_FILE) {
        return diagnostics; // no count can exceed a limit
    }
    let mut per_rule: HashMap<(String, String), usize> = HashMap::new();
    let mut per_file: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(diagnostics.len().min(4 * MAX_PER_FILE));
    let mut summaries: Vec<(usize, usize)> = Vec::new(); // (index in out, extra count)
    let mut summary_of: HashMap<(String, String), usize> = HashMap::new();
    for d in diagnostics {
        let key = (d.file.clone(), d.code.clone());
        let n = per_rule.entry(key.clone()).or_default();
        *n += 1;
        let file_n = per_file.entry(d.file.clone()).or_default();
        if *n <= MAX_PER_RULE_PER_FILE && *file_n < MAX_PER_FILE {
            *file_n += 1;
            out.push(d);
            continue;
        }
        match summary_of.get(&key) {
            Some(&i) => summaries[i].1 += 1,
            None => {
                summary_of.insert(key, summaries.len());
                let mut summary = d;
                summary.edit = None;
                summaries.push((out.len(), 1));
                out.push(summary);
            }
        }
    }
    for (index, extra) in summaries {
        if let Some(d) = out.get_mut(index) {
            d.message = format!(
                "… and {extra} more {} finding{} in {} (first at line {})",
                d.code,
                if extra == 1 { "" } else { "s" },
                d.file,
                d.line
            );
            d.fix = format!(
                "Fix the findings above first; `{}` reports at most {MAX_PER_RULE_PER_FILE} \
                 per file",
                d.code
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noqa_directives_read_like_ruff() {
        assert_eq!(parse_noqa("x = 1  # noqa"), Some(Noqa::All));
        assert_eq!(parse_noqa("x = 1  #NOQA"), Some(Noqa::All));
        assert_eq!(
            parse_noqa("x = 1  # noqa: PY029, REQ005"),
            Some(Noqa::Codes(vec!["PY029".into(), "REQ005".into()]))
        );
        assert_eq!(
            parse_noqa("x = 1  # type: ignore  # noqa:PY001 PY002"),
            Some(Noqa::Codes(vec!["PY001".into(), "PY002".into()]))
        );
        assert_eq!(parse_noqa("x = 1  # noqaX"), None);
        assert_eq!(parse_noqa("x = 1  # a comment"), None);
        assert_eq!(parse_noqa("x = 1"), None);
        assert!(Noqa::Codes(vec!["py029".into()]).covers("PY029"));
        assert!(!Noqa::Codes(vec!["PY029".into()]).covers("PY030"));
    }
}
