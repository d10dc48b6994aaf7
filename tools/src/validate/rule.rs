//! What a rule is, the `declare_rule!` macro that defines one, and the context it checks.

use pipelines_docs_cache::Rulebook;

use super::Schemas;
use super::diagnostic::Severity;
use super::project::Project;
use super::python::{FunctionInfo, PredictSignature, PythonFile, Span};

/// One rule: its identity, its documentation and its check.
#[derive(Debug)]
pub struct Rule {
    /// The code, e.g. `PY003`.
    pub code: &'static str,
    /// The kebab-case name, e.g. `dict-output`.
    pub name: &'static str,
    /// The default severity (a check may lower it for a finding).
    pub severity: Severity,
    /// Ids of the spec sections that state the rule; the first is cited in diagnostics.
    pub cites: &'static [&'static str],
    /// The rule's `///` documentation as written (`## What it does`, `## Why is this bad?`,
    /// `## Example`, `## Use instead`).
    pub docs: &'static str,
    pub(crate) check: fn(&Context<'_>, &mut Findings),
}

impl Rule {
    /// The documentation as Markdown (the one leading space of each doc line removed).
    pub fn explanation(&self) -> String {
        self.docs
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Declares a rule as a `pub(crate) static`, capturing its `///` docs.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])+
        pub(crate) static $ident:ident = {
            code: $code:literal,
            name: $name:literal,
            severity: $severity:ident,
            cites: [$($cite:literal),+ $(,)?],
            check: $check:path $(,)?
        };
    ) => {
        $(#[doc = $doc])+
        pub(crate) static $ident: $crate::validate::rule::Rule = $crate::validate::rule::Rule {
            code: $code,
            name: $name,
            severity: $crate::validate::Severity::$severity,
            cites: &[$($cite),+],
            docs: concat!($($doc, "\n"),+),
            check: $check,
        };
    };
}
pub(crate) use declare_rule;

/// What a rule reads: the project, the Rulebook and the cached model schemas.
pub(crate) struct Context<'a> {
    pub project: &'a Project,
    pub rulebook: &'a Rulebook,
    pub schemas: &'a Schemas,
}

impl<'a> Context<'a> {
    /// The predict Python file, when present.
    pub fn python(&self) -> Option<&'a PythonFile> {
        self.project.python.as_deref()
    }

    /// The predict function name (`run` when `predict` is absent or malformed).
    pub fn run_name(&self) -> &'a str {
        self.project
            .predict
            .as_ref()
            .map_or("run", |p| p.function.as_str())
    }

    /// The predict function: a module-level function, or the `predict` method of a class.
    pub fn run_function(&self) -> Option<&'a FunctionInfo> {
        self.run_signature().map(|s| s.function)
    }

    /// The parameters of the predict function, without `self`.
    pub fn run_params(&self) -> Vec<&'a super::python::ParamInfo> {
        self.run_signature()
            .map(|s| s.params.iter().collect())
            .unwrap_or_default()
    }

    fn run_signature(&self) -> Option<PredictSignature<'a>> {
        self.python()?.model.predict_signature(self.run_name())
    }

    /// A location in the predict Python file.
    pub fn py_at(&self, span: Span) -> Location {
        match self.python() {
            Some(py) => Location::of_span(py, span),
            None => Location::start("main.py"),
        }
    }
}

/// A file position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Where the span ends (line, column; exclusive), when there is one.
    pub end: Option<(usize, usize)>,
}

impl Location {
    pub fn new(file: impl Into<String>, line: usize, column: usize) -> Self {
        Location {
            file: file.into(),
            line,
            column,
            end: None,
        }
    }

    /// The span `span` of a Python file.
    pub fn of_span(py: &PythonFile, span: Span) -> Self {
        let (line, column) = py.line_col(span.start);
        Location {
            file: py.path.clone(),
            line,
            column,
            end: Some(py.line_col(span.end)),
        }
    }

    pub fn start(file: impl Into<String>) -> Self {
        Location::new(file, 1, 1)
    }
}

/// One finding of one rule, before the rule's identity and citation are attached.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub at: Location,
    pub message: String,
    pub fix: String,
    pub edit: Option<String>,
    pub severity: Option<Severity>,
}

impl Finding {
    pub fn new(at: Location, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Finding {
            at,
            message: message.into(),
            fix: fix.into(),
            edit: None,
            severity: None,
        }
    }

    pub fn with_edit(mut self, edit: Option<String>) -> Self {
        self.edit = edit;
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
}

/// Where checks put their findings.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub items: Vec<Finding>,
}

impl Findings {
    pub fn push(&mut self, finding: Finding) {
        self.items.push(finding);
    }
}
