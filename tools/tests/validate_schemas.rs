//! Model-call rules (PY016–PY019) against schemas fetched from the fake Replicate API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use pipelines_docs_cache::{Rulebook, Store};
use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::schema::{ReplicateClient, ReplicateConfig};
use pipelines_tools::validate::{Project, Schemas, validate};

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

const MAIN: &str = r#"import replicate
from cog import Path

pixel_forge = replicate.use("acme/pixel-forge")


def run(prompt: str) -> Path:
    good = pixel_forge(prompt=prompt, aspect_ratio="16:9", num_outputs=2, output_format="png")
    bad = pixel_forge.create(promt=prompt, aspect_ratio="2:1", num_outputs=7)
    return Path(good[0] if bad else good[1])
"#;

#[tokio::test]
async fn model_calls_are_checked_against_fetched_schemas() {
    let fake = FakeReplicate::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let config = ReplicateConfig {
        base_url: fake.base_url.clone(),
        ..ReplicateConfig::default()
    };
    let client = ReplicateClient::new(config, store).unwrap();
    let project = project(MAIN);
    assert_eq!(project.used_models(), vec!["acme/pixel-forge"]);
    let rulebook = Rulebook::defaults();

    // Nothing fetched yet: PY016 asks for the schema, nothing else is checked.
    let before: Vec<String> = validate(&project, &rulebook, &Schemas::new())
        .into_iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(before, vec!["PY016"]);

    client
        .fetch_model_schema("acme/pixel-forge", false)
        .await
        .unwrap();
    let schemas: Schemas = client.cache().schemas_for(&project.used_refs());
    let diagnostics = validate(&project, &rulebook, &schemas);
    let found: Vec<(String, usize, String)> = diagnostics
        .iter()
        .map(|d| (d.code.clone(), d.line, d.message.clone()))
        .collect();
    let codes: Vec<&str> = found.iter().map(|(c, _, _)| c.as_str()).collect();
    assert_eq!(
        codes,
        vec!["PY018", "PY017", "PY019", "PY019"],
        "{found:#?}"
    );
    assert!(found.iter().all(|(_, line, _)| *line == 9), "{found:#?}");
    assert!(found[1].2.contains("did you mean `prompt`"), "{found:#?}");
}
