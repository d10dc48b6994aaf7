//! Running a pipeline locally, without Docker: cog's own HTTP server in a cached virtualenv,
//! with the real replicate client, the way `cog predict --use-replicate-token` would.
//!
//! Layout:
//! - `run` — [`run_locally`], [`RunConfig`], [`RunRequest`]: the stages under timeout and cancellation.
//! - `python` — finding Python ≥ 3.12 (explicit, PATH, pyenv).
//! - `requirements` / `venv` — the venv cache keyed by requirements + Python version.
//! - `server` — starting cog's HTTP server, health-check, `POST /predictions`.
//! - `child` / `env` — process groups, capped draining capture, the environment allow-list.
//! - `inputs` — JSON and `key=value` inputs, type checks against [`RunSignature`].
//! - `outputs` / `data_uri` — `data:` outputs written to files.
//! - `project` — a directory or inline files in a fresh temp dir.
//! - `proxy` — the run's loopback Replicate proxy: token isolation, the trace of model
//!   calls, mocks.
//! - `progress` / `result` / `error` — what callers receive.
//! - `sandbox` / `private_tmp` / `privileges` / `reaper` — Landlock confinement, a run's own
//!   `/tmp`, no capabilities; no process outlives its run.
//! - `magic` / `logs` / `advice` — file types from content, pipeline vs harness logs, hints.
//! - `uv` — building venvs with uv when it is available.
//! - `runtime` — Replicate's runtime list as pins (`replicate`) or what resolves (`latest`).
//! - `input_schema` — the OpenAPI schema cog checks inputs against; 422s made readable.

mod advice;
mod child;
mod config;
mod data_uri;
mod env;
mod error;
mod input_schema;
mod inputs;
mod logs;
mod magic;
mod outputs;
mod plan;
mod private_tmp;
mod privileges;
mod progress;
mod project;
pub mod proxy;
mod python;
mod reaper;
mod requirements;
mod result;
mod run;
mod rundir;
mod runtime;
mod sandbox;
mod server;
mod system_tools;
mod uv;
mod venv;

pub use error::RunError;
pub use inputs::{RunInputs, RunParam, RunSignature, check_inputs, parse_kv_inputs};
pub use progress::{Progress, ProgressFn};
pub use project::ProjectSource;
pub use proxy::{
    DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_PREDICTIONS, DEFAULT_MOCK_LATENCY_MS, MockSchema, Mocks,
    ModelCall, ProxyLimits, calls_table, calls_table_with,
};
pub use python::{
    MIN_PYTHON, Python, PythonSearch, PythonVersion, find_python, find_python_preferring,
};
pub use requirements::ResolvedRequirements;
pub use result::{RunResult, RunStatus, TextOptions, Timings};
pub use run::{RunConfig, RunRequest, prepare_venv, run_locally};
pub use runtime::{RuntimeChoice, RuntimePin, RuntimePins, RuntimeUsed};
pub use sandbox::landlock_abi;
pub use tokio_util::sync::CancellationToken;
pub use venv::{VenvInfo, VenvLease};
pub(crate) use venv::{try_lock_venv_for_removal, venv_in_use};

#[cfg(test)]
pub(crate) mod testing {
    /// Processes of process group `pgid` that are still alive (zombies excluded).
    pub(crate) fn live_processes_in_group(pgid: i32) -> Vec<i32> {
        for _ in 0..50 {
            let live = scan(pgid);
            if live.is_empty() {
                return live;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        scan(pgid)
    }

    fn scan(pgid: i32) -> Vec<i32> {
        let mut live = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // After "(comm)": state ppid pgrp …
            let Some((_, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            if fields.get(2).and_then(|g| g.parse::<i32>().ok()) == Some(pgid)
                && fields.first() != Some(&"Z")
            {
                live.push(pid);
            }
        }
        live
    }
}
