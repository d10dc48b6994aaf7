//! The only place that touches Astral's Python parser and AST (`ruff_python_*` =0.0.10).
//!
//! The source is parsed once; `walker` walks the tree once and extracts the plain
//! facts the rules read (imports, `replicate.use()` calls, the predict function, classes…),
//! so a change in the parser's API stays inside this folder.

mod depth;
pub mod flow;
pub mod model;
mod types;
pub mod usage;
// The parts of `model` (their one-way dependencies are described in model.rs).
mod classes;
mod imports;
mod literal;
mod names;
pub mod system_tools;
mod uses;
mod walker;

use ruff_python_ast::{PySourceType, PythonVersion};
use ruff_python_parser::{ParseOptions, parse_unchecked};
use ruff_source_file::LineIndex;
use ruff_text_size::TextSize;

pub use depth::NESTING_LIMIT;
pub(crate) use depth::is_shallow;
pub use model::{
    Allowed, CallResult, ClassInfo, DefaultKind, FieldInfo, FunctionInfo, Import, Literal, Model,
    ModelCallSite, OutputCall, ParamInfo, PredictSignature, UseCall, UseRef,
};
pub use types::TypeExpr;
pub use usage::{DirectRun, LegacyUse, TodoCall, Usage};

/// A byte range in a Python source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Start offset (bytes).
    pub start: u32,
    /// End offset (bytes, exclusive).
    pub end: u32,
}

impl Span {
    pub(crate) fn from_range(range: ruff_text_size::TextRange) -> Self {
        Span {
            start: range.start().to_u32(),
            end: range.end().to_u32(),
        }
    }
}

/// One syntax error recovered by the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// The parser's message.
    pub message: String,
    /// Where it was found.
    pub span: Span,
}

/// A parsed Python file and the facts extracted from it.
#[derive(Debug)]
pub struct PythonFile {
    /// Path relative to the project root, e.g. `main.py`.
    pub path: String,
    /// The source text.
    pub source: String,
    line_index: LineIndex,
    /// Every syntax error the parser recovered from (empty when the file is valid).
    pub syntax_errors: Vec<SyntaxError>,
    /// Facts the rules read.
    pub model: Model,
    /// How the module uses APIs (legacy pipeline APIs, `replicate.run`, names read).
    pub usage: Usage,
}

impl PythonFile {
    /// Parses `source` (never fails: syntax errors are recorded, the tree is recovered).
    /// Sources nested deeper than [`NESTING_LIMIT`] are not parsed: they get one syntax
    /// error "nested too deeply" and no facts (the parser and the walkers recurse).
    pub fn parse(path: impl Into<String>, source: impl Into<String>) -> Self {
        let source = source.into();
        if let Some(at) = depth::too_deep(&source, NESTING_LIMIT) {
            let at = u32::try_from(at).unwrap_or(u32::MAX);
            return PythonFile {
                path: path.into(),
                line_index: LineIndex::from_source_text(&source),
                source,
                usage: Usage::default(),
                syntax_errors: vec![SyntaxError {
                    message: format!(
                        "nested too deeply (limit {NESTING_LIMIT}): the file was not analysed"
                    ),
                    span: Span { start: at, end: at },
                }],
                model: Model::default(),
            };
        }
        Self::parse_checked(path.into(), source)
    }

    /// [`PythonFile::parse`] of a source [`is_shallow`] to at most [`NESTING_LIMIT`]: its
    /// depth check would pass, so it is not made again.
    pub(crate) fn parse_shallow(path: impl Into<String>, source: String) -> Self {
        debug_assert!(depth::too_deep(&source, NESTING_LIMIT).is_none());
        Self::parse_checked(path.into(), source)
    }

    /// Parses a source whose depth is known to be within [`NESTING_LIMIT`].
    fn parse_checked(path: String, source: String) -> Self {
        let options =
            ParseOptions::from(PySourceType::Python).with_target_version(PythonVersion::PY313);
        let parsed = parse_unchecked(&source, options).try_into_module();
        let line_index = LineIndex::from_source_text(&source);
        let (syntax_errors, model, usage) = match parsed {
            Some(parsed) => {
                let mut errors: Vec<SyntaxError> = parsed
                    .errors()
                    .iter()
                    .map(|e| SyntaxError {
                        message: e.error.to_string(),
                        span: Span::from_range(e.location),
                    })
                    .collect();
                errors.extend(
                    parsed
                        .unsupported_syntax_errors()
                        .iter()
                        .map(|e| SyntaxError {
                            message: e.to_string(),
                            span: Span::from_range(e.range),
                        }),
                );
                errors.sort_by_key(|e| e.span.start);
                let (model, usage) = walker::extract(parsed.syntax());
                (errors, model, usage)
            }
            None => (Vec::new(), Model::default(), Usage::default()),
        };
        PythonFile {
            path,
            source,
            line_index,
            syntax_errors,
            model,
            usage,
        }
    }

    /// The 1-based line and column (in characters) of a byte offset; clamped to the source.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let mut offset = (offset as usize).min(self.source.len());
        while offset > 0 && !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let offset = TextSize::try_from(offset).unwrap_or_default();
        let lc = self.line_index.line_column(offset, &self.source);
        (lc.line.get(), lc.column.get())
    }

    /// The source text of a span (empty when out of bounds).
    pub fn text(&self, span: Span) -> &str {
        self.source
            .get(span.start as usize..span.end as usize)
            .unwrap_or_default()
    }

    /// The byte offset where the line holding `offset` starts.
    pub fn line_start(&self, offset: u32) -> u32 {
        let offset = (offset as usize).min(self.source.len());
        self.source.as_bytes()[..offset]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| (i + 1) as u32)
    }
}
