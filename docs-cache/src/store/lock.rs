//! The inter-process lock (`<cache_dir>/store.lock`) and opening sled under it. Lock
//! contention is recognised by kind (`TryLockError::WouldBlock`), never by message text.

use std::fs::{self, File, OpenOptions};
use std::path::Path;
use std::time::{Duration, Instant};

use super::error::{DbFail, StoreError, classify};

/// How long one operation waits for another process before giving up.
pub(super) const LOCK_BUDGET: Duration = Duration::from_secs(30);

/// Takes the store's lock file, waiting out other processes with bounded backoff.
pub(super) fn lock_file(
    cache_dir: &Path,
    lock_path: &Path,
    db_path: &Path,
) -> Result<File, StoreError> {
    let io = |source| StoreError::Io {
        path: lock_path.to_path_buf(),
        source,
    };
    let open = || {
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock_path)
    };
    let file = match open() {
        // The cache dir was removed under us: make it again.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(cache_dir).map_err(io)?;
            open()
        }
        other => other,
    }
    .map_err(io)?;
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_BUDGET => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Busy {
                    path: db_path.to_path_buf(),
                    waited: started.elapsed(),
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(io(e)),
        }
    }
}

/// Opens sled, waiting out a lock another process holds (sled's own lock, in case a
/// process without our lock file opened it).
pub(super) fn open_db(db_path: &Path) -> Result<sled::Db, DbFail> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        let config = sled::Config::new()
            .path(db_path)
            .cache_capacity(8 * 1024 * 1024)
            .flush_every_ms(None);
        let result = super::opener::open_on_opener_thread(move || config.open());
        match result {
            Ok(db) => return Ok(db),
            // A lock error whose holder is gone by the time it is checked (this process's
            // previous handle, released by sled's threads a moment later) is waited out too.
            Err(e)
                if (sled_lock_error(&e) || sled_lock_held(db_path))
                    && started.elapsed() < LOCK_BUDGET =>
            {
                drop(e);
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) if sled_lock_error(&e) || sled_lock_held(db_path) => {
                return Err(DbFail::Store(StoreError::Busy {
                    path: db_path.to_path_buf(),
                    waited: started.elapsed(),
                }));
            }
            Err(e) => return Err(classify(e)),
        }
    }
}

fn sled_lock_error(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if super::error::is_sled_lock_error(io))
}

/// Whether another open file holds sled's exclusive lock on `<db>/db` (sled takes it with
/// `flock`; its error for that carries only a message, so we ask the lock itself).
fn sled_lock_held(db_path: &Path) -> bool {
    let Ok(file) = OpenOptions::new().read(true).open(db_path.join("db")) else {
        return false;
    };
    matches!(file.try_lock(), Err(fs::TryLockError::WouldBlock))
}

/// Writes a new stamp to `stamp_path` (a new file renamed over the old, see
/// [`super::small_file`]); returns it, or `None` if it could not be written.
pub(super) fn bump_stamp(stamp_path: &Path) -> Option<Vec<u8>> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let stamp = format!("{}-{nanos}", std::process::id()).into_bytes();
    match super::small_file::write_atomically(stamp_path, &stamp) {
        Ok(()) => Some(stamp),
        Err(e) => {
            tracing::warn!(error = %e, "could not write the store stamp; caches may be stale");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_db_held_by_another_handle_is_recognised_as_locked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let db = open_db(&path).unwrap();
        assert!(sled_lock_held(&path));
        drop(db);
        assert!(!sled_lock_held(&path));
    }
}
