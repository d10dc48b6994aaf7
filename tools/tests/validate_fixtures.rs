//! Rule fixtures: `tests/fixtures/<CODE>/{fail,pass}[-case]/` are small projects. Each `fail`
//! project must trigger its rule, and its ruff-style text is snapshotted with each finding's
//! source line and a caret under its span; each `pass` project must be clean (no finding at
//! all), which is asserted, not snapshotted.
//!
//! A fixture may hold `schemas.json`: the cached model schemas (`ModelSchema` list) the
//! validator sees. A fixture without its own `cog.yaml`/`requirements.txt` takes the defaults
//! (see `fixture_support`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use pipelines_docs_cache::Rulebook;
use pipelines_tools::schema::ModelSchema;
use pipelines_tools::validate::{Schemas, ValidationReport, rules, validate};

mod fixture_support;

fn schemas_of(dir: &Path) -> Schemas {
    match std::fs::read_to_string(dir.join("schemas.json")) {
        Ok(text) => serde_json::from_str::<Vec<ModelSchema>>(&text)
            .unwrap()
            .into_iter()
            .collect(),
        Err(_) => Schemas::new(),
    }
}

fn report_of(dir: &Path) -> ValidationReport {
    let project = fixture_support::project(dir);
    ValidationReport::new(validate(&project, &Rulebook::defaults(), &schemas_of(dir)))
}

#[test]
fn fixtures_trigger_their_rule_and_pass_fixtures_are_clean() {
    insta::glob!("fixtures/{COG,REQ,PY}[0-9][0-9]*/{fail,pass}*", |dir| {
        if !dir.is_dir() {
            return;
        }
        // `fail`, `fail-alias`, `pass-streaming`…: several projects per rule.
        let name = dir.file_name().unwrap().to_str().unwrap();
        let kind = name.split('-').next().unwrap().to_string();
        let code = dir
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let report = report_of(dir);
        let files = fixture_support::files(dir);
        let text = report.to_text_with_source(|file| files.get(file).map(String::as_str));
        let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.as_str()).collect();
        match kind.as_str() {
            "fail" => {
                assert!(
                    codes.contains(&code.as_str()),
                    "{code}/{name} does not trigger {code}:\n{text}"
                );
                insta::assert_snapshot!(text);
            }
            "pass" => assert!(
                report.diagnostics.is_empty(),
                "{code}/{name} is not clean:\n{text}"
            ),
            other => unreachable!("the glob only matches fail/pass, got {other}"),
        }
    });
}

/// Like ruff, several failing cases per rule: the `fail*` projects of each rule hold at least
/// three findings of it in all.
#[test]
fn every_rule_has_at_least_three_failing_cases() {
    let root = fixture_support::root();
    for rule in rules() {
        let mut found = 0;
        for entry in std::fs::read_dir(root.join(rule.code)).unwrap() {
            let dir = entry.unwrap().path();
            let name = dir.file_name().unwrap().to_str().unwrap();
            if name.starts_with("fail") {
                found += report_of(&dir)
                    .diagnostics
                    .iter()
                    .filter(|d| d.code == rule.code)
                    .count();
            }
        }
        assert!(
            found >= 3,
            "{}: {found} failing case(s) in its fail* fixtures, want 3",
            rule.code
        );
    }
}
