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
fn codes_are_unique_names_kebab_case_and_the_issue_list_is_complete() {
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
    let expected: BTreeSet<&str> = [
        ("COG001", "missing-cog-yaml"),
        ("COG002", "invalid-cog-yaml"),
        ("COG003", "missing-predict"),
        ("COG004", "predict-target-not-found"),
        ("COG005", "gpu-enabled"),
        ("COG006", "ignored-build-key"),
        ("COG007", "requirements-file-missing"),
        ("REQ001", "cog-version"),
        ("REQ002", "replicate-version"),
        ("REQ003", "package-not-in-runtime"),
        ("REQ004", "invalid-requirement"),
        ("PY000", "syntax-error"),
        ("PY001", "use-not-at-module-scope"),
        ("PY002", "use-ref-not-literal"),
        ("PY003", "dict-output"),
        ("PY004", "output-class-name"),
        ("PY005", "list-of-output-class"),
        ("PY006", "list-field-in-output"),
        ("PY007", "nested-output-type"),
        ("PY008", "optional-needs-none-type"),
        ("PY009", "unsupported-import"),
        ("PY010", "env-var-access"),
        ("PY011", "secret-typed-as-str"),
        ("PY012", "missing-annotation"),
        ("PY013", "unsupported-input-type"),
        ("PY014", "varargs-in-run"),
        ("PY015", "deprecated-file-type"),
        ("PY016", "schema-not-fetched"),
        ("PY017", "unknown-model-input"),
        ("PY018", "missing-required-model-input"),
        ("PY019", "invalid-model-input-value"),
        ("PY020", "object-output-attribute"),
        ("PY021", "unknown-output-field"),
        ("PY022", "list-output-as-single"),
        ("PY023", "str-output-indexed"),
        ("PY024", "async-misuse"),
        ("PY025", "prediction-output-not-called"),
        ("PY026", "legacy-pipeline-api"),
        ("PY027", "replicate-run-instead-of-use"),
        ("PY028", "class-predictor"),
        ("PY029", "unused-run-input"),
        ("PY030", "model-call-without-inputs"),
        ("PY031", "none-input-sent-to-model"),
        ("PY032", "scaffold-placeholder"),
        ("PY033", "system-tool-not-in-runtime"),
        ("PY034", "file-list-to-model"),
        ("PY035", "unused-model-output"),
        ("REQ005", "runtime-package-not-listed"),
    ]
    .into_iter()
    .map(|(code, name)| {
        let rule = rule_by_code(code).unwrap_or_else(|| panic!("{code} not registered"));
        assert_eq!(rule.name, name, "{code}");
        code
    })
    .collect();
    assert_eq!(codes, expected);
    let warnings: BTreeSet<&str> = rules()
        .iter()
        .filter(|r| r.severity == Severity::Warning)
        .map(|r| r.code)
        .collect();
    assert_eq!(
        warnings,
        BTreeSet::from([
            "COG006", "PY011", "PY015", "PY021", "PY023", "PY027", "PY028", "PY029", "PY030",
            "PY033", "PY035", "REQ005"
        ])
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
