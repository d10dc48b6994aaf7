//! Removing old run outputs and unused venvs. A venv is removed only under its exclusive
//! lock, which no one can take while a run holds its shared lease or builds it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::walk;
use crate::run_local::{RunConfig, try_lock_venv_for_removal};

/// What to prune: each kind older than its age; `None` leaves that kind alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneOptions {
    /// Run output dirs not modified for this long.
    pub outputs_older_than: Option<Duration>,
    /// Venvs not used by a run for this long.
    pub venvs_older_than: Option<Duration>,
}

/// One removed entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Removed {
    /// `venv` or `outputs`.
    pub kind: String,
    /// The removed directory.
    pub path: PathBuf,
    /// Bytes freed.
    pub bytes: u64,
}

/// What [`prune`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PruneReport {
    /// Removed directories.
    pub removed: Vec<Removed>,
    /// Old venvs kept because a run is using them.
    pub kept_in_use: Vec<PathBuf>,
    /// Bytes freed in all.
    pub freed_bytes: u64,
    /// What could not be removed, and why.
    pub errors: Vec<String>,
}

impl PruneReport {
    /// Readable text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for r in &self.removed {
            out.push_str(&format!(
                "removed {} {} ({})\n",
                r.kind,
                r.path.display(),
                super::human(r.bytes)
            ));
        }
        for p in &self.kept_in_use {
            out.push_str(&format!("kept {} (in use by a run)\n", p.display()));
        }
        for e in &self.errors {
            out.push_str(&format!("error: {e}\n"));
        }
        out.push_str(&format!(
            "{} removed, {} freed\n",
            self.removed.len(),
            super::human(self.freed_bytes)
        ));
        out
    }
}

/// Left-over run dirs older than this are removed with old outputs.
const STALE_RUN_DIR: Duration = Duration::from_secs(86_400);

/// Removes, in `cache_dir`, run outputs and venvs older than the given ages (and, with
/// outputs, run dirs a killed process left behind).
pub fn prune(cache_dir: &Path, options: PruneOptions) -> PruneReport {
    let now = SystemTime::now();
    let mut report = PruneReport::default();
    if let Some(age) = options.outputs_older_than {
        for dir in walk::subdirs(&cache_dir.join("outputs")) {
            if older(now, walk::newest_mtime(&dir), age) {
                remove(&mut report, "outputs", &dir);
            }
        }
    }
    if options.outputs_older_than.is_some() {
        // Run dirs (project copies) left behind by a killed process: no run lasts a day.
        for dir in walk::subdirs(&cache_dir.join("runs")) {
            if older(now, walk::newest_mtime(&dir), STALE_RUN_DIR) {
                remove(&mut report, "run dir", &dir);
            }
        }
    }
    if let Some(age) = options.venvs_older_than {
        let root = cache_dir.join("venvs");
        for dir in walk::subdirs(&root) {
            let Some(key) = dir.file_name().map(|k| k.to_string_lossy().into_owned()) else {
                continue;
            };
            let lock_path = root.join(format!("{key}.lock"));
            if !older(now, venv_last_used(&dir, &lock_path), age) {
                continue;
            }
            match try_lock_venv_for_removal(&lock_path) {
                Ok(Some(_exclusive)) => remove(&mut report, "venv", &dir),
                Ok(None) => report.kept_in_use.push(dir),
                Err(e) => report.errors.push(e.to_string()),
            }
        }
    }
    report.freed_bytes = report.removed.iter().map(|r| r.bytes).sum();
    report
}

/// The automatic clean-up before a local run: outputs and venvs past the configured ages
/// (`RunConfig::outputs_max_age`, `RunConfig::venvs_max_age`; zero turns one off).
pub fn auto_prune(config: &RunConfig) -> PruneReport {
    let on = |d: Option<Duration>| d.filter(|d| !d.is_zero());
    let report = prune(
        &config.cache_dir,
        PruneOptions {
            outputs_older_than: on(config.outputs_max_age),
            venvs_older_than: on(config.venvs_max_age),
        },
    );
    if !report.removed.is_empty() {
        tracing::info!(
            removed = report.removed.len(),
            freed_bytes = report.freed_bytes,
            "pruned old run outputs and unused venvs"
        );
    }
    for e in &report.errors {
        tracing::warn!(error = %e, "cache prune");
    }
    report
}

/// When a run last used the venv: its lock file is touched on every lease.
pub(super) fn venv_last_used(dir: &Path, lock_path: &Path) -> SystemTime {
    walk::mtime(lock_path).max(walk::mtime(dir))
}

fn older(now: SystemTime, then: SystemTime, age: Duration) -> bool {
    now.duration_since(then).is_ok_and(|d| d >= age)
}

fn remove(report: &mut PruneReport, kind: &str, dir: &Path) {
    let bytes = walk::tree_usage(dir).1;
    match std::fs::remove_dir_all(dir) {
        Ok(()) => report.removed.push(Removed {
            kind: kind.to_owned(),
            path: dir.to_path_buf(),
            bytes,
        }),
        Err(e) => report
            .errors
            .push(format!("removing {}: {e}", dir.display())),
    }
}
