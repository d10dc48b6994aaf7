//! The pipeline validator: every documented mistake in a pipeline project, each finding
//! citing the spec section that forbids it.
//!
//! Layout:
//! - `project` — loading (the only I/O) from a directory or inline files (paths are confined first by
//!   [`crate::request::confine`]).
//! - `python/` — the one wrapper around Astral's parser; extracts the facts rules read.
//! - `cog_yaml`, `requirements` — the other two parsers, with positions.
//! - `rule` — [`Rule`] and the `declare_rule!` macro; `rules/` — one rule per file;
//!   `registry` — the list of all rules.
//! - `diagnostic` — [`Diagnostic`], [`ValidationReport`] (JSON and ruff-style text).
//!
//! `validate` is pure and cannot fail: a syntax error is a diagnostic.

mod bounded;
mod cog_yaml;
mod diagnostic;
mod edit;
mod import_names;
mod parsed;
pub(crate) use import_names::distribution_for;
pub(crate) mod project;
pub mod python;
mod registry;
mod requirements;
mod rule;
mod rules;
mod stdlib;
mod suppress;
mod titles;
mod value_shape;
mod versions;

pub use crate::schema::Schemas;
pub use bounded::{
    BIG_STACK_BYTES, BoundedError, PARSE_BUDGET, SHALLOW_NESTING, SMALL_PROJECT_BYTES,
    on_big_stack, on_big_stack_async, small_and_shallow,
};
pub use cog_yaml::{CogConfig, CogYaml, CogYamlError, Located};
pub use diagnostic::{Diagnostic, Severity, Summary, ValidationReport};
pub use project::{MAX_FILE_BYTES, PredictParam, PredictTarget, Project, ProjectError};
pub use python::NESTING_LIMIT;
pub use registry::{rule_by_code, rules};
pub use requirements::{RequirementError, RequirementLine, RequirementsFile};
pub use rule::Rule;
pub use suppress::{MAX_PER_FILE, MAX_PER_RULE_PER_FILE};
pub use titles::builtin_title;

use pipelines_docs_cache::Rulebook;
use rule::{Context, Findings};

/// Runs every rule. Each diagnostic's section title comes from the cached spec the
/// Rulebook was derived from ([`Rulebook::section_title`]), else the built-in table, else
/// the section id itself.
pub fn validate(project: &Project, rulebook: &Rulebook, schemas: &Schemas) -> Vec<Diagnostic> {
    let ctx = Context {
        project,
        rulebook,
        schemas,
    };
    let mut out = Vec::new();
    for rule in rules() {
        let mut findings = Findings::default();
        (rule.check)(&ctx, &mut findings);
        if findings.items.is_empty() {
            continue;
        }
        let section = rule.cites.first().copied().unwrap_or_default();
        let doc_title = rulebook
            .section_title(section)
            .or_else(|| builtin_title(section))
            .unwrap_or(section)
            .to_string();
        out.extend(findings.items.into_iter().map(|f| Diagnostic {
            code: rule.code.to_string(),
            name: rule.name.to_string(),
            severity: f.severity.unwrap_or(rule.severity),
            file: f.at.file,
            line: f.at.line,
            column: f.at.column,
            message: f.message,
            doc_section: section.to_string(),
            doc_title: doc_title.clone(),
            fix: f.fix,
            edit: f.edit,
            end: f.at.end,
        }));
    }
    out.sort_by(|a, b| {
        (file_rank(&a.file), &a.file, a.line, a.column, &a.code).cmp(&(
            file_rank(&b.file),
            &b.file,
            b.line,
            b.column,
            &b.code,
        ))
    });
    suppress::apply_noqa(project, &mut out);
    suppress::cap(out)
}

/// Runs every rule and wraps the result in a [`ValidationReport`].
pub fn validate_report(
    project: &Project,
    rulebook: &Rulebook,
    schemas: &Schemas,
) -> ValidationReport {
    ValidationReport::new(validate(project, rulebook, schemas))
}

fn file_rank(file: &str) -> u8 {
    match file {
        "cog.yaml" => 0,
        f if f.ends_with(".txt") => 1,
        _ => 2,
    }
}
