//! The run's Replicate proxy, with real parts: cog's HTTP server and replicate-python in a
//! cached venv (shared with the `run_local` tests), the fake Replicate API behind the proxy.
//! This file holds the helpers; the tests are in the modules, one concern each.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::run_local::{
    MockSchema, Mocks, ModelCall, PythonSearch, RunConfig, RunInputs,
};
use serde_json::Value;

mod cancel;
mod mocks;
mod tokens;
mod trace;

const REAL_TOKEN: &str = "r8_real_token_never_in_the_child_0123";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/run_local")
        .join(name)
}

fn config(fake: &FakeReplicate, token: Option<&str>) -> RunConfig {
    let mut config = RunConfig::new(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/run-local-cache"),
        vec!["cog==0.15.3".into(), "replicate==1.1.0b3".into()],
    );
    config.python = PythonSearch::from_env(None);
    config.timeout = Duration::from_secs(180);
    config.replicate_base_url = Some(fake.base_url.clone());
    config.replicate_api_token = token.map(str::to_owned);
    config.extra_env = vec![("REPLICATE_POLL_INTERVAL".into(), "0".into())];
    config
}

fn inputs(value: Value) -> RunInputs {
    value.as_object().unwrap().clone()
}

/// The schemas of fixture models as the schema cache would hold them.
async fn schemas(
    fake: &FakeReplicate,
    models: &[&str],
) -> std::collections::HashMap<String, MockSchema> {
    models
        .iter()
        .map(|model| {
            let (version, openapi) = fake.latest_version(model).expect("a fixture model");
            let schema = MockSchema::from_openapi(Some(version), openapi, None);
            ((*model).to_owned(), schema)
        })
        .collect()
}

/// Sends a request and reads its JSON answer.
trait JsonOf {
    async fn json_of(self) -> Value;
}

impl JsonOf for reqwest::RequestBuilder {
    async fn json_of(self) -> Value {
        self.send().await.unwrap().json().await.unwrap()
    }
}

fn overlap(a: &ModelCall, b: &ModelCall) -> bool {
    a.started_ms < b.ended_ms.unwrap() && b.started_ms < a.ended_ms.unwrap()
}

fn mocked(outputs: Value) -> Mocks {
    Mocks {
        outputs: outputs.as_object().unwrap().clone().into_iter().collect(),
        latency_ms: Some(50),
        ..Mocks::default()
    }
}
