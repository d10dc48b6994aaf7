//! `requirements.txt`, parsed once with `pep508_rs`: options, comments and line
//! continuations are stripped first.

use std::str::FromStr;

use pep440_rs::VersionSpecifiers;
use pep508_rs::{Requirement, VersionOrUrl};

/// One requirement line.
#[derive(Debug, Clone, PartialEq)]
pub struct RequirementLine {
    /// The distribution name, PEP 503-normalised.
    pub name: String,
    /// The version specifiers (empty when unpinned or given by URL).
    pub specifiers: VersionSpecifiers,
    /// Whether the requirement is a URL.
    pub is_url: bool,
    /// The requirement as written (comment stripped).
    pub text: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// A line that is not a valid PEP 508 requirement.
#[derive(Debug, Clone, PartialEq)]
pub struct RequirementError {
    /// The parser's message.
    pub message: String,
    /// The line as written.
    pub text: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// A parsed requirements file.
#[derive(Debug, Clone, PartialEq)]
pub struct RequirementsFile {
    /// Path relative to the project root.
    pub path: String,
    /// Its text.
    pub source: String,
    /// Valid requirements.
    pub requirements: Vec<RequirementLine>,
    /// Invalid lines.
    pub errors: Vec<RequirementError>,
}

impl RequirementsFile {
    /// Parses the text (never fails: bad lines are kept in [`RequirementsFile::errors`]).
    pub fn parse(path: impl Into<String>, source: impl Into<String>) -> Self {
        let source = source.into();
        let mut requirements = Vec::new();
        let mut errors = Vec::new();
        for (line, column, text) in logical_lines(&source) {
            if text.starts_with('-') {
                // `-r other.txt`, `--index-url …`, `-e .`: pip options, not requirements.
                continue;
            }
            match parse_requirement(&text) {
                Ok(req) => {
                    let (specifiers, is_url) = match req.version_or_url {
                        Some(VersionOrUrl::VersionSpecifier(s)) => (s, false),
                        Some(VersionOrUrl::Url(_)) => (VersionSpecifiers::empty(), true),
                        None => (VersionSpecifiers::empty(), false),
                    };
                    requirements.push(RequirementLine {
                        name: normalize(req.name.as_ref()),
                        specifiers,
                        is_url,
                        text,
                        line,
                        column,
                    });
                }
                Err((message, start)) => {
                    let offset = text.char_indices().take_while(|(i, _)| *i < start).count();
                    errors.push(RequirementError {
                        message,
                        text,
                        line,
                        column: column + offset,
                    });
                }
            }
        }
        RequirementsFile {
            path: path.into(),
            source,
            requirements,
            errors,
        }
    }

    /// A requirement by (normalised) name.
    pub fn get(&self, name: &str) -> Option<&RequirementLine> {
        let name = normalize(name);
        self.requirements.iter().find(|r| r.name == name)
    }
}

/// Parses one requirement; the error is a message and a byte offset.
///
/// `pep508_rs` 0.9 panics on a name ending in `.`, `-` or `_` followed by another
/// character (e.g. `a-@`): such names are refused here first, and any other panic is caught.
fn parse_requirement(text: &str) -> Result<Requirement<pep508_rs::VerbatimUrl>, (String, usize)> {
    let name_len = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .unwrap_or(text.len());
    if let Some(last) = text[..name_len].chars().last()
        && matches!(last, '.' | '-' | '_')
    {
        return Err((
            format!("Package name must end with an alphanumeric character, not '{last}'"),
            name_len - 1,
        ));
    }
    let parsed = std::panic::catch_unwind(|| Requirement::<pep508_rs::VerbatimUrl>::from_str(text));
    match parsed {
        Ok(Ok(req)) => Ok(req),
        Ok(Err(e)) => Err((e.message.to_string(), e.start)),
        Err(_) => Err(("the requirement could not be parsed".to_string(), 0)),
    }
}

/// PEP 503 normalisation, shared with the Rulebook so both sides compare the same names.
pub use pipelines_docs_cache::rulebook::normalize_package_name as normalize;

/// Logical lines: continuations joined, comments stripped, blank lines dropped, each with
/// the 1-based line and column where its text starts.
fn logical_lines(source: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, usize, String)> = None;
    for (i, raw) in source.lines().enumerate() {
        let without_comment = strip_comment(raw);
        let (body, continues) = match without_comment.trim_end().strip_suffix('\\') {
            Some(b) => (b, true),
            None => (without_comment, false),
        };
        let trimmed = body.trim_start();
        let lead = body.len() - trimmed.len();
        let column = raw.get(..lead).map_or(0, |w| w.chars().count()) + 1;
        let entry = pending.get_or_insert_with(|| (i + 1, column, String::new()));
        if !entry.2.is_empty() && !trimmed.is_empty() {
            entry.2.push(' ');
        }
        entry.2.push_str(trimmed.trim_end());
        if !continues
            && let Some(done) = pending.take()
            && !done.2.is_empty()
        {
            out.push(done);
        }
    }
    if let Some(done) = pending.take()
        && !done.2.is_empty()
    {
        out.push(done);
    }
    out
}

/// pip treats `#` at the start of a line or after whitespace as a comment.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_options_comments_and_continuations() {
        let r = RequirementsFile::parse(
            "requirements.txt",
            "# top\n--index-url https://x\n-r other.txt\nPillow>=10 # images\nrequests \\\n  ==2.31.0\n\nnot a req!!\n",
        );
        assert_eq!(r.requirements.len(), 2, "{r:?}");
        assert_eq!(r.requirements[0].name, "pillow");
        assert_eq!(r.requirements[0].line, 4);
        assert_eq!(r.requirements[1].name, "requests");
        assert_eq!(r.requirements[1].specifiers.to_string(), "==2.31.0");
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].line, 8);
        assert_eq!(normalize("Scikit_Learn"), "scikit-learn");
        let r = RequirementsFile::parse("r.txt", "a-@\nb_ ==1\n");
        assert_eq!(r.errors.len(), 2);
        assert_eq!(r.errors[0].column, 2);
    }
}
