//! `fetch_model_schemas` and `search_models` against the fake Replicate API. This file holds
//! the helpers; the tests are in the modules, one concern each.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use pipelines_docs_cache::Store;
use pipelines_test_fakes::replicate::FakeReplicate;
use pipelines_tools::schema::{ModelSchema, ReplicateClient, ReplicateConfig, SchemaError};

mod caching;
mod errors;
mod fetching;
mod search;
mod secrets;

const TOKEN: &str = "r8_TESTtoken_do_not_leak_123";

struct Setup {
    fake: FakeReplicate,
    client: ReplicateClient,
    _dir: tempfile::TempDir,
    store: Store,
}

fn config(base_url: &str) -> ReplicateConfig {
    ReplicateConfig {
        timeout: Duration::from_secs(10),
        ..ReplicateConfig::default()
    }
    .with_base_url(base_url)
    .with_token(Some(TOKEN))
}

async fn setup() -> Setup {
    let fake = FakeReplicate::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let client = ReplicateClient::new(config(&fake.base_url), store.clone()).unwrap();
    Setup {
        fake,
        client,
        _dir: dir,
        store,
    }
}

fn refs(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

async fn one(s: &Setup, reference: &str) -> Result<ModelSchema, SchemaError> {
    s.client.fetch_model_schema(reference, false).await
}

/// A base URL where nothing listens (a port we bound and released).
fn dead_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
