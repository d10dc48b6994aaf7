//! Recovering from a corrupt store: move it aside to `store.corrupt-<unix-ms>` (keeping
//! only the newest such copy, for inspection) so the store can be rebuilt empty.

use std::fs;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use super::error::StoreError;

/// The prefix of the copy a corrupt store is moved to.
pub const CORRUPT_PREFIX: &str = "store.corrupt-";

/// Moves `db_path` aside to a fresh `store.corrupt-*` in `cache_dir` and deletes older
/// copies, so at most one is ever kept.
pub(super) fn move_aside(cache_dir: &Path, db_path: &Path) -> Result<(), StoreError> {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let name = format!("{CORRUPT_PREFIX}{millis}");
    let aside = cache_dir.join(&name);
    match fs::rename(db_path, &aside) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            // Could not rename (e.g. a file in the way on another fs): remove it.
            remove_any(db_path).map_err(|_| StoreError::Io {
                path: db_path.to_path_buf(),
                source,
            })?;
        }
    }
    remove_older_copies(cache_dir, &name);
    Ok(())
}

/// Deletes every `store.corrupt-*` in `cache_dir` except `keep`.
fn remove_older_copies(cache_dir: &Path, keep: &str) {
    let Ok(entries) = fs::read_dir(cache_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(CORRUPT_PREFIX)
            && name != keep
            && let Err(e) = remove_any(&entry.path())
        {
            tracing::warn!(path = %entry.path().display(), error = %e,
                "could not delete an old copy of a corrupt store");
        }
    }
}

fn remove_any(path: &Path) -> std::io::Result<()> {
    if fs::symlink_metadata(path)?.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

/// The message of a panic caught inside sled.
pub(super) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        format!("sled panicked: {s}")
    } else if let Some(s) = panic.downcast_ref::<String>() {
        format!("sled panicked: {s}")
    } else {
        "sled panicked".to_owned()
    }
}
