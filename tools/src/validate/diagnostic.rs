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
        let mut out = String::new();
        for d in &self.diagnostics {
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
            let _ = writeln!(out, "  help: {}", d.fix);
            let _ = writeln!(out, "  see: {} ({})", d.doc_section, d.doc_title);
            if let Some(edit) = &d.edit {
                let _ = writeln!(out, "  suggested edit:");
                for line in edit.lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
        let Summary { errors, warnings } = self.summary;
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
}
