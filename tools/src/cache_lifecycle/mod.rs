//! The cache dir's lifecycle: what it holds ([`cache_info`]: docs, schemas, venvs, run
//! outputs) and removing what is old ([`prune`]: run outputs past an age, venvs unused for
//! long), never a venv in use (its lock file is held by a run, see `run_local::venv`).
//! Everything here is blocking file-system work: call it from `spawn_blocking`.

mod prune;
mod walk;

use std::path::{Path, PathBuf};

use pipelines_docs_cache::Store;
use serde::Serialize;

pub use prune::{PruneOptions, PruneReport, Removed, auto_prune, prune};

/// Entries and bytes of one part of the cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Usage {
    /// Number of entries (document versions, schemas, venvs, run output dirs).
    pub entries: u64,
    /// Bytes.
    pub bytes: u64,
}

/// One cached virtualenv.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct VenvUsage {
    /// The cache key (the venv's directory name).
    pub key: String,
    /// Bytes on disk.
    pub bytes: u64,
    /// When a run last used it (RFC 3339).
    pub last_used: String,
    /// Whether a run holds it right now.
    pub in_use: bool,
}

/// What the cache dir holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CacheInfo {
    /// The cache dir.
    pub cache_dir: PathBuf,
    /// Stored versions of the docs (bytes of the stored records).
    pub docs: Usage,
    /// Cached model schemas (bytes of the stored records).
    pub schemas: Usage,
    /// The store's files on disk (docs and schemas together, with sled's overhead).
    pub store_on_disk: Usage,
    /// Virtualenvs for local runs.
    pub venvs: Usage,
    /// Each virtualenv.
    pub venv_list: Vec<VenvUsage>,
    /// Output dirs of local runs.
    pub outputs: Usage,
    /// Everything under the cache dir, in bytes.
    pub total_bytes: u64,
}

impl CacheInfo {
    /// Readable text.
    pub fn to_text(&self) -> String {
        let mut out = format!("Cache dir: {}\n", self.cache_dir.display());
        let line = |name: &str, what: &str, u: &Usage| {
            format!("  {name:<9} {:>10}  {} {what}\n", human(u.bytes), u.entries)
        };
        out.push_str(&line("docs", "version(s)", &self.docs));
        out.push_str(&line("schemas", "schema(s)", &self.schemas));
        out.push_str(&line("store", "file(s) on disk", &self.store_on_disk));
        out.push_str(&line("venvs", "virtualenv(s)", &self.venvs));
        for v in &self.venv_list {
            out.push_str(&format!(
                "    {} {:>10}  last used {}{}\n",
                v.key,
                human(v.bytes),
                v.last_used,
                if v.in_use { " (in use)" } else { "" }
            ));
        }
        out.push_str(&line("outputs", "run output dir(s)", &self.outputs));
        out.push_str(&format!("  total     {:>10}\n", human(self.total_bytes)));
        out
    }
}

/// Sizes of everything in `cache_dir`; the docs and schemas from `store` when given.
pub fn cache_info(cache_dir: &Path, store: Option<&Store>) -> CacheInfo {
    let stats = |tree: &str| {
        store
            .and_then(|s| s.tree_stats(tree).ok())
            .map(|t| Usage {
                entries: t.entries,
                bytes: t.bytes,
            })
            .unwrap_or_default()
    };
    let store_dir = walk::tree_usage(&cache_dir.join("store"));
    let venv_list = venvs(cache_dir);
    let venvs = Usage {
        entries: venv_list.len() as u64,
        bytes: venv_list.iter().map(|v| v.bytes).sum(),
    };
    let output_dirs = walk::subdirs(&cache_dir.join("outputs"));
    let outputs = Usage {
        entries: output_dirs.len() as u64,
        bytes: output_dirs.iter().map(|d| walk::tree_usage(d).1).sum(),
    };
    CacheInfo {
        cache_dir: cache_dir.to_path_buf(),
        docs: stats(pipelines_docs_cache::store::DOCS_TREE),
        schemas: stats(crate::schema::CACHE_TREE),
        store_on_disk: Usage {
            entries: store_dir.0,
            bytes: store_dir.1,
        },
        venvs,
        venv_list,
        outputs,
        total_bytes: walk::tree_usage(cache_dir).1,
    }
}

fn venvs(cache_dir: &Path) -> Vec<VenvUsage> {
    let root = cache_dir.join("venvs");
    let mut out: Vec<VenvUsage> = walk::subdirs(&root)
        .into_iter()
        .filter_map(|dir| {
            let key = dir.file_name()?.to_string_lossy().into_owned();
            let lock = root.join(format!("{key}.lock"));
            let in_use = crate::run_local::venv_in_use(&lock);
            Some(VenvUsage {
                bytes: walk::tree_usage(&dir).1,
                last_used: rfc3339(prune::venv_last_used(&dir, &lock)),
                in_use,
                key,
            })
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

fn rfc3339(t: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Bytes as B, KiB, MiB or GiB.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
