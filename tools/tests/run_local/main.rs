//! End-to-end tests of the local runner with real parts: a real Python ≥ 3.12, a venv with
//! cog 0.15.3 and replicate 1.1.0b3 installed from PyPI (built once per machine under
//! `target/run-local-cache` and shared by every test), cog's real HTTP server, and the real
//! replicate-python client talking to the fake Replicate API on 127.0.0.1. This file holds
//! the helpers; the tests are in the modules, one concern each.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pipelines_tools::run_local::{
    Progress, ProgressFn, ProjectSource, PythonSearch, RunConfig, RunInputs,
};
use serde_json::Value;

mod failing;
mod inputs;
mod isolation;
mod stopping;
mod succeeding;
mod venvs;

const CONTEXT_TOKEN: &str = "r8_from_context_0123456789";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/run_local")
        .join(name)
}

/// One cache shared by every test (and the bench), so the venv is built once per machine.
fn shared_cache() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/run-local-cache")
}

fn config() -> RunConfig {
    let mut config = RunConfig::new(
        shared_cache(),
        vec!["cog==0.15.3".into(), "replicate==1.1.0b3".into()],
    );
    config.python = PythonSearch::from_env(None);
    config.timeout = Duration::from_secs(180);
    config
}

fn inputs(value: Value) -> RunInputs {
    value.as_object().unwrap().clone()
}

fn recorder() -> (ProgressFn, Arc<Mutex<Vec<Progress>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (
        Arc::new(move |p: Progress| sink.lock().unwrap().push(p)),
        seen,
    )
}

fn messages(seen: &Arc<Mutex<Vec<Progress>>>) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|p| p.message.clone())
        .collect()
}

/// Inline copy of a fixture, so the run happens in a fresh temp dir under `root`.
fn inline(name: &str) -> ProjectSource {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(fixture(name)).unwrap() {
        let path = entry.unwrap().path();
        let file_name = path.file_name().unwrap().to_str().unwrap().to_owned();
        files.insert(file_name, std::fs::read_to_string(&path).unwrap());
    }
    ProjectSource::Inline(files)
}

/// Live (non-zombie) processes whose working directory is under `root`.
fn live_processes_under(root: &Path) -> Vec<(i32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cwd) = std::fs::read_link(entry.path().join("cwd")) else {
            continue;
        };
        if !cwd.starts_with(root) {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .unwrap_or("");
        if state != "Z" && !state.is_empty() {
            let cmdline = std::fs::read_to_string(entry.path().join("cmdline")).unwrap_or_default();
            found.push((pid, cmdline.replace('\0', " ")));
        }
    }
    found
}
