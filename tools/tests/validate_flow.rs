//! The data-flow rules (PY020–PY025) against schemas fetched from the fake Replicate API:
//! the rule fixtures give the same verdicts with freshly fetched schemas as with their
//! `schemas.json`, plus cases where the flow is ambiguous and nothing may be reported.
//!
//! `FLOW_FIXTURES_WRITE=1` rewrites the fixtures' `schemas.json` from the fake.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use pipelines_docs_cache::{Rulebook, Store};
use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::schema::{ModelSchema, ReplicateClient, ReplicateConfig};
use pipelines_tools::validate::{Diagnostic, Project, Schemas, validate};

mod fixture_support;

const CODES: &[&str] = &["PY020", "PY021", "PY022", "PY023", "PY024", "PY025"];

struct Fetcher {
    _fake: FakeReplicate,
    _dir: tempfile::TempDir,
    client: ReplicateClient,
}

impl Fetcher {
    async fn start() -> Fetcher {
        let fake = FakeReplicate::start().await;
        let dir = tempfile::tempdir().unwrap();
        let config = ReplicateConfig {
            base_url: fake.base_url.clone(),
            ..ReplicateConfig::default()
        };
        let client = ReplicateClient::new(config, Store::open(dir.path()).unwrap()).unwrap();
        Fetcher {
            _fake: fake,
            _dir: dir,
            client,
        }
    }

    async fn schemas(&self, project: &Project) -> Vec<ModelSchema> {
        let mut out = Vec::new();
        for model in project.used_models() {
            out.push(self.client.fetch_model_schema(&model, false).await.unwrap());
        }
        out
    }
}

fn verdicts(diagnostics: &[Diagnostic]) -> Vec<(String, usize, usize)> {
    diagnostics
        .iter()
        .map(|d| (d.code.clone(), d.line, d.column))
        .collect()
}

#[tokio::test]
async fn fixtures_match_schemas_fetched_from_the_fake() {
    let fetcher = Fetcher::start().await;
    let root = fixture_support::root();
    for code in CODES {
        for kind in ["fail", "pass"] {
            let dir = root.join(code).join(kind);
            let project = fixture_support::project(&dir);
            let fetched = fetcher.schemas(&project).await;
            if std::env::var_os("FLOW_FIXTURES_WRITE").is_some() {
                let stored: Vec<ModelSchema> = fetched
                    .iter()
                    .map(|s| ModelSchema {
                        fetched_at: "2026-06-01T12:00:00Z".into(),
                        from_cache: true,
                        ..s.clone()
                    })
                    .collect();
                let text = serde_json::to_string_pretty(&stored).unwrap() + "\n";
                std::fs::write(dir.join("schemas.json"), text).unwrap();
            }
            let stored: Vec<ModelSchema> =
                serde_json::from_str(&std::fs::read_to_string(dir.join("schemas.json")).unwrap())
                    .unwrap();
            let live = validate(
                &project,
                &Rulebook::defaults(),
                &fetched.into_iter().collect(),
            );
            let from_file = validate(
                &project,
                &Rulebook::defaults(),
                &stored.into_iter().collect(),
            );
            assert_eq!(verdicts(&live), verdicts(&from_file), "{code}/{kind}");
            let codes: Vec<&str> = live.iter().map(|d| d.code.as_str()).collect();
            match kind {
                "fail" => assert!(
                    codes.iter().filter(|c| *c == code).count() >= 2,
                    "{code}/fail: several cases expected, got {codes:?}"
                ),
                _ => assert!(live.is_empty(), "{code}/pass: {live:#?}"),
            }
        }
    }
}

fn project(main: &str) -> Project {
    Project::from_files(&BTreeMap::from([
        (
            "cog.yaml".to_string(),
            "build:\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n"
                .to_string(),
        ),
        (
            "requirements.txt".to_string(),
            "replicate>=1.1.0b1,<2.0.0a1\n".to_string(),
        ),
        ("main.py".to_string(), main.to_string()),
    ]))
    .unwrap()
}

async fn check(fetcher: &Fetcher, main: &str) -> Vec<Diagnostic> {
    let project = project(main);
    let schemas: Schemas = fetcher.schemas(&project).await.into_iter().collect();
    validate(&project, &Rulebook::defaults(), &schemas)
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics.iter().map(|d| d.code.clone()).collect()
}

const HEAD: &str = "import replicate\nfrom cog import Path\n\ninspector = replicate.use(\"acme/scene-inspector\")\nforge = replicate.use(\"acme/pixel-forge\")\nupscale = replicate.use(\"acme/upscale.x2\")\n\n\n";

#[tokio::test]
async fn ambiguous_flows_report_nothing() {
    let fetcher = Fetcher::start().await;
    let cases = [
        // Re-bound in a branch.
        "def run(image: Path, flag: bool) -> str:\n    result = inspector(image=image, question=\"q\")\n    if flag:\n        result = {\"answer\": \"x\"}\n    return result.answer\n",
        // Passed to a function we cannot see.
        "def run(image: Path) -> str:\n    result = inspector(image=image, question=\"q\")\n    tidy(result)\n    return result[\"extra\"]\n\n\ndef tidy(r):\n    r[\"extra\"] = \"\"\n",
        // Mutated.
        "def run(image: Path) -> str:\n    result = inspector(image=image, question=\"q\")\n    result[\"extra\"] = \"y\"\n    return result[\"extra\"]\n",
        // A parameter shadowing a model output name, and an aug-assignment.
        "def run(prompt: str) -> Path:\n    images = forge(prompt=prompt)\n    images += []\n    return upscale(image=images)\n",
        // Stored in a container first.
        "def run(prompt: str) -> Path:\n    images = forge(prompt=prompt)\n    box = [images]\n    return upscale(image=box[0])\n",
    ];
    for main in cases {
        let found = check(&fetcher, &format!("{HEAD}{main}")).await;
        assert!(found.is_empty(), "{main}\n{found:#?}");
    }
}

#[tokio::test]
async fn sync_run_with_async_models_and_edits() {
    let fetcher = Fetcher::start().await;
    let main = "import replicate\nfrom cog import Path\n\nforge = replicate.use(\"acme/pixel-forge\", use_async=True)\n\n\ndef run(prompt: str) -> Path:\n    local = replicate.use(\"acme/upscale.x2\", use_async=True)\n    images = forge(prompt=prompt)\n    return local(image=images[0])\n";
    let found = check(&fetcher, main).await;
    let py024: Vec<usize> = found
        .iter()
        .filter(|d| d.code == "PY024")
        .map(|d| d.line)
        .collect();
    assert!(py024.contains(&8) && py024.contains(&9), "{found:#?}");

    let main = format!(
        "{HEAD}def run(image: Path, prompt: str) -> Path:\n    result = inspector(image=image, question=\"q\")\n    print(result.answer)\n    images = forge(prompt=prompt)\n    return upscale(image=images)\n"
    );
    let found = check(&fetcher, &main).await;
    assert_eq!(codes(&found), vec!["PY020", "PY022"], "{found:#?}");
    let edit = found[0].edit.as_deref().unwrap();
    assert!(edit.contains("+    print(result[\"answer\"])"), "{edit}");
    assert!(found[0].doc_section == "miscellaneous-important-things-to-keep-in-mind");
    let edit = found[1].edit.as_deref().unwrap();
    assert!(
        edit.contains("+    return upscale(image=images[0])"),
        "{edit}"
    );
    assert!(found[1].fix.contains("images[0]"), "{}", found[1].fix);
}
