//! Meta-tests over the rule registry: documentation, fixtures, codes, names, citations;
//! the Rulebook driving verdicts; inline projects and path confinement.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use pipelines_docs_cache::{PackageFact, Rulebook};
use pipelines_tools::request::confine;
use pipelines_tools::validate::{
    Project, ProjectError, Schemas, Severity, ValidationReport, rule_by_code, rules, validate,
};

const FIXTURE_SPEC: &str = include_str!("../../tests/fakes/fixtures/docs/pipelines-llms.txt");

/// `(id, title)` of every section of the fixture spec, split by the docs cache.
fn fixture_sections() -> BTreeMap<String, String> {
    pipelines_docs_cache::sections::Sectioned::parse(FIXTURE_SPEC)
        .sections()
        .iter()
        .map(|s| (s.id.clone(), s.title.clone()))
        .collect()
}

#[test]
fn every_rule_is_documented() {
    for rule in rules() {
        let doc = rule.explanation();
        for heading in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
        ] {
            assert!(
                doc.contains(heading),
                "{} lacks `{heading}`:\n{doc}",
                rule.code
            );
        }
        assert!(
            !doc.starts_with(' '),
            "{}: explanation not dedented",
            rule.code
        );
    }
}

#[test]
fn codes_are_unique_and_names_kebab_case() {
    let mut codes = BTreeSet::new();
    let mut names = BTreeSet::new();
    for rule in rules() {
        assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
        assert!(names.insert(rule.name), "duplicate name {}", rule.name);
        assert!(
            !rule.name.is_empty()
                && !rule.name.starts_with('-')
                && !rule.name.ends_with('-')
                && !rule.name.contains("--")
                && rule
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{} is not kebab-case",
            rule.name
        );
        assert!(!rule.cites.is_empty(), "{} cites nothing", rule.code);
        assert_eq!(rule_by_code(rule.code).unwrap().code, rule.code);
        assert_eq!(rule_by_code(rule.name).unwrap().code, rule.code);
    }
}

const README: &str = include_str!("../../README.md");

/// The rows of the README's rule table: `[code, name, severity, what it flags]`, the name
/// without its backquotes.
fn readme_rule_rows() -> Vec<[String; 4]> {
    let mut lines = README
        .lines()
        .skip_while(|l| !l.starts_with("| Code | Name | Severity |"))
        .skip(2); // the header and its `|---|` line
    let mut rows = Vec::new();
    for line in lines.by_ref().take_while(|l| l.starts_with('|')) {
        let cells: Vec<String> = line
            .trim_matches('|')
            .splitn(4, " | ")
            .map(|c| c.trim().trim_matches('`').to_string())
            .collect();
        let row: [String; 4] = cells
            .try_into()
            .unwrap_or_else(|c| panic!("README rule row without four cells: {line} ({c:?})"));
        rows.push(row);
    }
    rows
}

/// The README's rule table is the registry, row for row (code, name, severity, in registry
/// order), and the README's rule counts and code ranges are the registry's.
#[test]
fn the_readme_rule_table_is_the_registry() {
    let rows = readme_rule_rows();
    let table: Vec<(&str, &str, Option<Severity>)> = rows
        .iter()
        .map(|[code, name, severity, _]| {
            let severity = [Severity::Error, Severity::Warning]
                .into_iter()
                .find(|s| s.as_str() == severity);
            (code.as_str(), name.as_str(), severity)
        })
        .collect();
    let registry: Vec<(&str, &str, Option<Severity>)> = rules()
        .iter()
        .map(|r| (r.code, r.name, Some(r.severity)))
        .collect();
    let expected: String = rules()
        .iter()
        .map(|r| {
            format!(
                "| {} | `{}` | {} | … |\n",
                r.code,
                r.name,
                r.severity.as_str()
            )
        })
        .collect();
    assert_eq!(
        table, registry,
        "the README's rule table differs from the registry; its rows should read:\n{expected}"
    );
    for [code, _, _, flags] in &rows {
        assert!(
            !flags.is_empty(),
            "README: {code} says nothing of what it flags"
        );
    }
    let n = rules().len();
    assert!(
        README.contains(&format!("run these {n} rules")),
        "the README's rules section does not say `run these {n} rules`"
    );
    let range = |prefix: &str| {
        let codes: Vec<&str> = rules()
            .iter()
            .map(|r| r.code)
            .filter(|c| {
                c.starts_with(prefix) && c[prefix.len()..].starts_with(|d: char| d.is_ascii_digit())
            })
            .collect();
        format!("{}–{}", codes[0], codes[codes.len() - 1])
    };
    let summary = format!(
        "{n} rules ({}, {}, {};",
        range("COG"),
        range("REQ"),
        range("PY")
    );
    assert!(
        README.contains(&summary),
        "the README's tool table does not say `{summary}`"
    );
}

#[test]
fn every_rule_has_fail_and_pass_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for rule in rules() {
        for kind in ["fail", "pass"] {
            let dir = root.join(rule.code).join(kind);
            assert!(dir.is_dir(), "missing fixture {}", dir.display());
        }
    }
    for entry in std::fs::read_dir(&root).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let looks_like_code = name.starts_with(|c: char| c.is_ascii_uppercase())
            && name.ends_with(|c: char| c.is_ascii_digit());
        if !looks_like_code {
            continue; // other tools' fixtures share the folder
        }
        assert!(
            rule_by_code(&name).is_some(),
            "fixture folder {name} has no rule"
        );
    }
}

#[test]
fn every_cited_section_exists_in_the_fixture_spec() {
    let sections = fixture_sections();
    for rule in rules() {
        for cite in rule.cites {
            let title = sections
                .get(*cite)
                .unwrap_or_else(|| panic!("{} cites unknown section {cite}", rule.code));
            assert_eq!(
                pipelines_tools::validate::builtin_title(cite),
                Some(title.as_str()),
                "built-in title of {cite}"
            );
        }
    }
}

fn inline(files: &[(&str, &str)]) -> Project {
    let map: BTreeMap<String, String> = files
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    Project::from_files(&map).unwrap()
}

fn codes(project: &Project, rulebook: &Rulebook) -> Vec<String> {
    validate(project, rulebook, &Schemas::new())
        .into_iter()
        .map(|d| d.code)
        .collect()
}

#[test]
fn the_runtime_list_in_the_rulebook_drives_py009_and_req003() {
    let project = inline(&[
        (
            "cog.yaml",
            "build:\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n",
        ),
        (
            "requirements.txt",
            "replicate>=1.1.0b1,<2.0.0a1\nnumpy\npydantic>=2\n",
        ),
        (
            "main.py",
            "import numpy\nimport pydantic\n\n\ndef run(x: int) -> int:\n    return int(numpy.sum([x]))\n",
        ),
    ]);
    let defaults = Rulebook::defaults();
    let before = codes(&project, &defaults);
    assert_eq!(
        before.iter().filter(|c| *c == "PY009").count(),
        1,
        "{before:?}"
    );
    assert_eq!(
        before.iter().filter(|c| *c == "REQ003").count(),
        2,
        "{before:?}"
    );

    let mut changed = defaults.clone();
    changed.python_packages.push(PackageFact {
        name: "numpy".into(),
        specifier: String::new(),
        source: defaults.python_packages[0].source.clone(),
    });
    for p in &mut changed.python_packages {
        if p.name == "pydantic" {
            p.specifier = ">=2,<3".into();
        }
    }
    let after = codes(&project, &changed);
    assert!(
        !after.iter().any(|c| c == "PY009" || c == "REQ003"),
        "{after:?}"
    );

    let mut removed = defaults.clone();
    removed.python_packages.retain(|p| p.name != "pydantic");
    let gone = codes(&project, &removed);
    assert_eq!(gone.iter().filter(|c| *c == "PY009").count(), 2, "{gone:?}");
}

#[test]
fn the_cog_and_replicate_specifiers_come_from_the_rulebook() {
    let project = inline(&[
        (
            "cog.yaml",
            "build:\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n",
        ),
        ("requirements.txt", "cog==0.16.0\nreplicate==1.1.0b3\n"),
        ("main.py", "def run(x: int) -> int:\n    return x\n"),
    ]);
    assert!(codes(&project, &Rulebook::defaults()).is_empty());
    let mut stricter = Rulebook::defaults();
    stricter.cog_requirement.value = ">=0.17".into();
    stricter.replicate_requirement.value = ">=1.2,<2".into();
    assert_eq!(codes(&project, &stricter), vec!["REQ001", "REQ002"]);
}

#[test]
fn inline_files_and_json_shape() {
    let project = inline(&[
        ("cog.yaml", "predict: \"main.py:run\"\n"),
        (
            "main.py",
            "def run(prompt: str) -> dict:\n    return {\"p\": prompt}\n",
        ),
    ]);
    let report = ValidationReport::new(validate(&project, &Rulebook::defaults(), &Schemas::new()));
    assert!(!report.ok);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["summary"]["errors"], 1);
    assert_eq!(json["summary"]["warnings"], 0);
    let d = &json["diagnostics"][0];
    for key in [
        "code",
        "name",
        "severity",
        "file",
        "line",
        "column",
        "message",
        "doc_section",
        "fix",
    ] {
        assert!(d.get(key).is_some(), "diagnostic lacks {key}: {d}");
    }
    assert_eq!(d["code"], "PY003");
    assert_eq!(d["severity"], "error");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(1), Some(25))
    );
    assert_eq!(d["doc_section"], "cog/outputs");
    assert!(
        report
            .to_text()
            .starts_with("main.py:1:25: PY003 [error] dict-output: ")
    );

    // With a cached spec, the title is the spec's own.
    let mut cached = Rulebook::defaults();
    cached
        .section_titles
        .insert("cog/outputs".to_string(), "Outputs (cached)".to_string());
    let titled = validate(&project, &cached, &Schemas::new());
    assert_eq!(titled[0].doc_title, "Outputs (cached)");
}

#[test]
fn inline_file_names_cannot_escape() {
    for bad in ["../main.py", "/etc/passwd", "a/../../b.py"] {
        let map = BTreeMap::from([(bad.to_string(), String::new())]);
        assert!(
            matches!(
                Project::from_files(&map),
                Err(ProjectError::InvalidFileName { .. })
            ),
            "{bad} accepted"
        );
    }
}

#[test]
fn confine_refuses_escapes_and_symlinks_out() {
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let project = root.path().join("proj");
    std::fs::create_dir(&project).unwrap();
    let roots = vec![root.path().to_path_buf()];

    assert_eq!(
        confine(Path::new("proj"), &roots).unwrap(),
        project.canonicalize().unwrap()
    );
    assert!(confine(&project, &roots).is_ok());
    assert!(matches!(
        confine(Path::new("proj/../.."), &roots),
        Err(ProjectError::OutsideRoots { .. })
    ));
    assert!(matches!(
        confine(outside.path(), &roots),
        Err(ProjectError::OutsideRoots { .. })
    ));
    #[cfg(unix)]
    {
        let link = root.path().join("link");
        std::os::unix::fs::symlink(outside.path(), &link).unwrap();
        assert!(matches!(
            confine(Path::new("link"), &roots),
            Err(ProjectError::OutsideRoots { .. })
        ));
        // A project file that is a symlink pointing out is refused too.
        std::fs::write(outside.path().join("secret.py"), "x = 1\n").unwrap();
        std::fs::write(project.join("cog.yaml"), "predict: \"main.py:run\"\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.py"), project.join("main.py"))
            .unwrap();
        assert!(matches!(
            Project::from_dir(&project),
            Err(ProjectError::OutsideRoots { .. })
        ));
    }
    assert!(matches!(
        confine(Path::new("nope"), &roots),
        Err(ProjectError::NotFound { .. })
    ));
    assert!(matches!(
        Project::from_dir(&root.path().join("nope")),
        Err(ProjectError::NotFound { .. })
    ));
}

/// The production path: a Rulebook derived from a cached spec carries that spec's section
/// titles, and every diagnostic citing a section shows the cached title.
#[test]
fn diagnostics_carry_the_cached_specs_section_titles() {
    use pipelines_docs_cache::{DocVersion, extract, sections::Sectioned};
    let body = "# Cog\n\nAbout cog.\n\n## OUTPUTS\n\nReturn a Path or a str.\n";
    let version = DocVersion {
        source: "pipelines".into(),
        version: 1,
        url: "http://docs.test/llms.txt".into(),
        body: body.into(),
        fetched_at: "2026-01-01T00:00:00Z".into(),
        etag: None,
        last_modified: None,
        sha256: "0".into(),
    };
    let book = extract::derive(Some((&version, &Sectioned::parse(body))), None);
    assert_eq!(book.section_title("cog/outputs"), Some("OUTPUTS"));
    let project = inline(&[
        ("cog.yaml", "predict: \"main.py:run\"\n"),
        (
            "main.py",
            "def run(prompt: str) -> dict:\n    return {\"p\": prompt}\n",
        ),
    ]);
    let diagnostics = validate(&project, &book, &Schemas::new());
    let d = diagnostics.iter().find(|d| d.code == "PY003").unwrap();
    assert_eq!(
        (d.doc_section.as_str(), d.doc_title.as_str()),
        ("cog/outputs", "OUTPUTS")
    );
    // Without a cached spec: the built-in title.
    let d = validate(&project, &Rulebook::defaults(), &Schemas::new())
        .into_iter()
        .find(|d| d.code == "PY003")
        .unwrap();
    assert_eq!(d.doc_title, "Outputs");
}

#[test]
fn a_local_run_reads_a_class_predictors_parameters_as_the_rules_do() {
    let map = BTreeMap::from([
        (
            "cog.yaml".to_owned(),
            "build:\n  python_version: \"3.12\"\npredict: \"main.py:Predictor\"\n".to_owned(),
        ),
        (
            "main.py".to_owned(),
            "from cog import BasePredictor\n\nclass Predictor(BasePredictor):\n    def predict(self, prompt: str, steps: int = 4) -> str:\n        return prompt\n".to_owned(),
        ),
    ]);
    let project = Project::from_files(&map).unwrap();
    let params = project
        .predict_params()
        .expect("the class's predict method");
    let names: Vec<(&str, bool)> = params
        .iter()
        .map(|p| (p.name.as_str(), p.required))
        .collect();
    assert_eq!(names, [("prompt", true), ("steps", false)]);
}
