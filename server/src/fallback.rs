//! When the cache dir cannot be written (read-only, full, wrong owner), the server still
//! works: on a temporary copy of the store, so cached docs and schemas (and so the cached
//! Rulebook) are still read, and anything fetched lives until the process exits.

use std::fs::{self, File, TryLockError};
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use pipelines_docs_cache::{Store, StoreError};

/// How long to wait for writers before copying the store anyway.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// Why the temporary copy could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum FallbackError {
    /// No temporary directory could be created.
    #[error("creating a temp dir: {0}")]
    TempDir(#[source] io::Error),
    /// The copied store did not open.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Copies `<cache_dir>/store` and the `checked.*` files into a fresh temp dir (under the
/// store's shared lock when its lock file can be opened) and opens the copy.
pub fn open_copy(cache_dir: &Path) -> Result<(Store, tempfile::TempDir), FallbackError> {
    let temp = tempfile::Builder::new()
        .prefix("mcp-pipelines-cache-")
        .tempdir()
        .map_err(FallbackError::TempDir)?;
    // Writers hold the lock exclusively; a shared lock gives a consistent copy. Waited for
    // a few seconds at most: a copy taken mid-write is at worst rebuilt as corrupt.
    let lock = File::open(cache_dir.join("store.lock")).ok();
    if let Some(l) = &lock {
        let started = Instant::now();
        while let Err(TryLockError::WouldBlock) = l.try_lock_shared() {
            if started.elapsed() > LOCK_WAIT {
                tracing::debug!("the store stayed locked; copying it without the lock");
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    if let Err(e) = copy_cache(cache_dir, temp.path()) {
        tracing::warn!(error = %e, "could not copy the cached store; starting empty");
        let _ = fs::remove_dir_all(temp.path().join("store"));
    }
    drop(lock);
    let store = Store::open(temp.path())?;
    Ok((store, temp))
}

fn copy_cache(cache_dir: &Path, to: &Path) -> io::Result<()> {
    let entries = match fs::read_dir(cache_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str == "store" && entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &to.join("store"))?;
        } else if name_str.starts_with("checked.") && entry.file_type()?.is_file() {
            fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if kind.is_file() {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
