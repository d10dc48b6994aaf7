//! What the validator reports: [`Diagnostic`]s and the [`ValidationReport`] around them.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// How serious a finding is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The pipeline will fail to build, load or run: fix before uploading.
    Error,
    /// Likely a mistake, or ignored by the runtime.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One finding: a rule that the project breaks, where, why and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Diagnostic {
    /// The rule code, e.g. `PY003`.
    pub code: String,
    /// The rule name in kebab-case, e.g. `dict-output`.
    pub name: String,
    /// `error` or `warning`.
    pub severity: Severity,
    /// The file, relative to the project root, e.g. `main.py`.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// The id of the spec section that states the rule (e.g. `cog/outputs`); read it with the
    /// docs tool.
    pub doc_section: String,
    /// The title of that section (e.g. `Outputs`).
    pub doc_title: String,
    /// How to fix it.
    pub fix: String,
    /// A suggested edit as a unified diff, when the fix is mechanical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit: Option<String>,
    /// Where the finding's span ends (1-based line and column in characters, exclusive),
    /// when it has one. Not serialized: [`ValidationReport::to_text_with_source`] draws the
    /// caret under the span with it.
    #[serde(skip)]
    pub end: Option<(usize, usize)>,
}

/// Counts of findings by severity.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Summary {
    /// Number of errors.
    pub errors: usize,
    /// Number of warnings.
    pub warnings: usize,
}

/// The validator's answer: `ok` is true when there is no error (warnings allowed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ValidationReport {
    /// True when no diagnostic is an error.
    pub ok: bool,
    /// Every finding, ordered by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// Counts by severity.
    pub summary: Summary,
}

impl ValidationReport {
    /// Wraps diagnostics, counting them.
    pub fn new(diagnostics: Vec<Diagnostic>) -> Self {
        let errors = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        let warnings = diagnostics.len() - errors;
        ValidationReport {
            ok: errors == 0,
            diagnostics,
            summary: Summary { errors, warnings },
        }
    }

    /// Renders the report ruff-style:
    ///
    /// ```text
    /// main.py:3:14: PY003 [error] dict-output: `run` returns `dict`, which cog cannot serialize
    ///   help: Define `class Output(BaseModel)` with one field per value and return it
    ///   see: cog/outputs (Outputs)
    /// ```
    pub fn to_text(&self) -> String {
        self.render(None)
    }

    /// Renders the report as [`to_text`](Self::to_text) does, with each finding's source
    /// line and a caret under its span, as ruff shows them; `source` gives a file's text by
    /// its name in the report. A finding without a span (or whose file `source` does not
    /// give) shows no source line.
    ///
    /// ```text
    /// main.py:3:14: PY003 [error] dict-output: `run` returns `dict`, which cog cannot serialize
    ///   |
    /// 3 | def run(prompt: str) -> dict:
    ///   |                         ^^^^
    ///   help: Define `class Output(BaseModel)` with one field per value and return it
    ///   see: cog/outputs (Outputs)
    /// ```
    pub fn to_text_with_source<'s>(&self, source: impl Fn(&str) -> Option<&'s str>) -> String {
        self.render(Some(&source))
    }

    /// [`to_text`](Self::to_text) of a report's parts (no report needed).
    pub fn text_of(diagnostics: &[Diagnostic], summary: Summary) -> String {
        render(diagnostics, summary, None)
    }

    fn render(&self, source: Option<SourceOf<'_, '_>>) -> String {
        render(&self.diagnostics, self.summary, source)
    }
}

fn render(
    diagnostics: &[Diagnostic],
    summary: Summary,
    source: Option<SourceOf<'_, '_>>,
) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let _ = writeln!(
            out,
            "{}:{}:{}: {} [{}] {}: {}",
            d.file,
            d.line,
            d.column,
            d.code,
            d.severity.as_str(),
            d.name,
            d.message
        );
        if let Some(text) = source.and_then(|source| source(&d.file)) {
            write_source_line(&mut out, d, text);
        }
        let _ = writeln!(out, "  help: {}", d.fix);
        let _ = writeln!(out, "  see: {} ({})", d.doc_section, d.doc_title);
        if let Some(edit) = &d.edit {
            let _ = writeln!(out, "  suggested edit:");
            for line in edit.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    let Summary { errors, warnings } = summary;
    if errors == 0 && warnings == 0 {
        out.push_str("No problems found.\n");
    } else {
        let _ = writeln!(
            out,
            "Found {errors} error{} and {warnings} warning{}.",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" }
        );
    }
    out
}

/// A file's text by its name in the report.
type SourceOf<'f, 's> = &'f dyn Fn(&str) -> Option<&'s str>;

/// The line a finding starts on, with `^` under its span (to the end of the line when the
/// span goes on); nothing when the finding has no span or the line is not in `text`.
fn write_source_line(out: &mut String, d: &Diagnostic, text: &str) {
    let Some((end_line, end_column)) = d.end else {
        return;
    };
    let Some(line) = d.line.checked_sub(1).and_then(|i| text.lines().nth(i)) else {
        return;
    };
    let line = line.trim_end();
    let length = line.chars().count();
    let start = d.column.max(1);
    let stop = if end_line == d.line {
        end_column.min(length + 1)
    } else {
        length + 1
    };
    let carets = stop.saturating_sub(start).max(1);
    let gutter = " ".repeat(d.line.to_string().len());
    let indent: String = line
        .chars()
        .take(start - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let _ = writeln!(out, "{gutter} |");
    let _ = writeln!(out, "{} | {line}", d.line);
    let _ = writeln!(out, "{gutter} | {indent}{}", "^".repeat(carets));
}
