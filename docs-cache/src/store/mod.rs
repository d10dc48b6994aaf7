//! The on-disk store: a sled database under the cache dir, behind typed methods.
//!
//! Several server processes share one cache dir (Claude and Cursor each spawn one),
//! while sled allows a single process per database. So the store never holds the
//! database open while idle: every operation takes an inter-process lock file
//! (`<cache_dir>/store.lock`), opens sled, does its work, flushes and closes. Lock
//! contention is waited out with bounded backoff. Reads are memoised in process (bounded:
//! LRU by entries and bytes) and revalidated against a stamp file (`<cache_dir>/store.stamp`)
//! that every write replaces after flushing, so a warm read costs one `stat` of it.
//!
//! A corrupt store (sled reports corruption, or panics) is moved aside to
//! `store.corrupt-<unix-ms>` (only the newest copy is kept) and rebuilt empty. A failure of
//! the system (disk full, permissions, EIO) is retried when it may pass, else returned as
//! [`StoreError::Unavailable`]: the data is kept.
//!
//! Files: `error` (errors, corruption vs transient), `types` (stored values), `db` (reads and
//! writes in an open database), `lock` (the lock file, the stamp, opening sled), `opener`
//! (the thread sled is opened on), `memo` (the bounded read memo), `small_file` (the stamp
//! and checked files, read again only when changed), `checked` and `peek` (a source's
//! state without opening sled), `versions` (the documents' versions), `recovery` (moving
//! aside).

mod checked;
mod db;
mod error;
mod lock;
mod memo;
mod opener;
mod peek;
mod recovery;
mod small_file;
#[cfg(test)]
mod tests;
mod types;
mod versions;

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use error::StoreError;
pub use recovery::CORRUPT_PREFIX;
pub use types::{
    DOCS_TREE, DocVersion, NewVersion, PutOutcome, SourceState, TreeStats, VersionInfo, sha256_hex,
};

use db::{Written, db_get, db_insert, open_tree};
use error::{DbFail, is_retryable};
use memo::Memo;
use types::{SOURCES_TREE, decode, encode};

/// Tries of one operation whose failure may pass (EIO, EINTR, …).
const TRANSIENT_TRIES: u32 = 3;

/// The cache's typed store. Cheap to clone; safe to share across threads and processes.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("db_path", &self.inner.db_path)
            .finish()
    }
}

struct Inner {
    cache_dir: PathBuf,
    db_path: PathBuf,
    lock_path: PathBuf,
    /// The stamp file's bytes, read again only when it changed.
    stamp: small_file::SmallFile,
    /// The `checked.<source>` files, likewise.
    checked: Mutex<std::collections::HashMap<String, Arc<small_file::SmallFile>>>,
    /// Sources' states as [`Store::peek_source_state`] last gave them, under one stamp.
    peeked: Mutex<peek::Peeks>,
    /// Serialises this process's own operations (flock is per open file, not per process).
    op: Mutex<()>,
    memo: Mutex<Memo>,
    /// Failures to inject before opening sled (tests only).
    #[cfg(test)]
    faults: Mutex<Vec<tests::Fault>>,
}

impl Store {
    /// Opens (creating if needed) the store at `<cache_dir>/store`. Nothing is held open.
    pub fn open(cache_dir: &Path) -> Result<Store, StoreError> {
        fs::create_dir_all(cache_dir).map_err(|source| StoreError::Io {
            path: cache_dir.to_path_buf(),
            source,
        })?;
        let store = Store {
            inner: Arc::new(Inner {
                cache_dir: cache_dir.to_path_buf(),
                db_path: cache_dir.join("store"),
                lock_path: cache_dir.join("store.lock"),
                stamp: small_file::SmallFile::new(cache_dir.join("store.stamp")),
                checked: Mutex::new(std::collections::HashMap::new()),
                peeked: Mutex::new(peek::Peeks::default()),
                op: Mutex::new(()),
                memo: Mutex::new(Memo::default()),
                #[cfg(test)]
                faults: Mutex::new(Vec::new()),
            }),
        };
        // Open once now so a corrupt store is rebuilt early, and errors surface at start.
        store.with_db(false, |_| Ok(()))?;
        Ok(store)
    }

    /// The cache dir this store lives in.
    pub fn cache_dir(&self) -> &Path {
        &self.inner.cache_dir
    }

    /// Reads a JSON value; `None` if absent.
    pub fn get_json<T: DeserializeOwned>(
        &self,
        tree: &str,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let raw = self.get_raw(tree, key)?;
        raw.map(|bytes| decode(tree, key, &bytes)).transpose()
    }

    /// Writes a JSON value.
    pub fn put_json<T: Serialize>(
        &self,
        tree: &str,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let bytes = encode(tree, key, value)?;
        self.write(|db, w| {
            db_insert(db, w, tree, key, bytes.clone())?;
            Ok(())
        })
    }

    /// All keys of a tree, sorted.
    pub fn list_keys(&self, tree: &str) -> Result<Vec<String>, StoreError> {
        let stamp = self.read_stamp();
        {
            let mut m = self.memo();
            if m.stamp == stamp
                && let Some(keys) = m.keys(tree)
            {
                return Ok(keys.as_ref().clone());
            }
        }
        let keys = self.with_db(false, |db| {
            let t = open_tree(db, tree)?;
            let mut keys = Vec::new();
            for item in t.iter().keys() {
                let k = item.map_err(DbFail::from)?;
                keys.push(String::from_utf8_lossy(&k).into_owned());
            }
            Ok(keys)
        })?;
        {
            let mut m = self.memo();
            m.refresh(stamp);
            m.put_keys(tree.to_owned(), Arc::new(keys.clone()));
        }
        Ok(keys)
    }

    /// Entries and value bytes of a tree, without decoding anything.
    pub fn tree_stats(&self, tree: &str) -> Result<TreeStats, StoreError> {
        self.with_db(false, |db| {
            let t = open_tree(db, tree)?;
            let mut stats = TreeStats::default();
            for item in t.iter().values() {
                let v = item.map_err(DbFail::from)?;
                stats.entries += 1;
                stats.bytes += v.len() as u64;
            }
            Ok(stats)
        })
    }

    // ---- internals -------------------------------------------------------------------

    fn memo(&self) -> MutexGuard<'_, Memo> {
        // A poisoned memo is only a cache: recover it.
        self.inner.memo.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The stamp every write rewrites (this process's or another's): equal stamps, same
    /// contents.
    pub fn stamp(&self) -> Vec<u8> {
        self.read_stamp()
    }

    fn read_stamp(&self) -> Vec<u8> {
        self.inner
            .stamp
            .read()
            .map(|bytes| bytes.to_vec())
            .unwrap_or_default()
    }

    fn get_raw(&self, tree: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let stamp = self.read_stamp();
        {
            let mut m = self.memo();
            if m.stamp == stamp
                && let Some(v) = m.value(tree, key)
            {
                return Ok(v);
            }
        }
        let value = self.with_db(false, |db| db_get(db, tree, key))?;
        {
            let mut m = self.memo();
            m.refresh(stamp);
            m.put_value(tree.to_owned(), key.to_owned(), value.clone());
        }
        Ok(value)
    }

    /// Runs a write, then rewrites the stamp (after sled has flushed) and drops the memo.
    /// The memo is updated with what was written when nothing else wrote since it was
    /// filled; otherwise it is dropped.
    fn write<R>(
        &self,
        mut f: impl FnMut(&sled::Db, &mut Vec<Written>) -> Result<R, DbFail>,
    ) -> Result<R, StoreError> {
        let mut written = Vec::new();
        let (out, change) = self.with_db_stamped(true, |db| {
            written.clear();
            f(db, &mut written)
        })?;
        let mut m = self.memo();
        match change.after {
            Some(after) if m.stamp == change.before => {
                for (tree, key, bytes) in written {
                    m.forget_keys(&tree);
                    m.put_value(tree, key, Some(bytes));
                }
                m.stamp = after;
            }
            _ => m.reset(),
        }
        Ok(out)
    }

    fn with_db<R>(
        &self,
        writes: bool,
        f: impl FnMut(&sled::Db) -> Result<R, DbFail>,
    ) -> Result<R, StoreError> {
        self.with_db_stamped(writes, f).map(|(out, _)| out)
    }

    /// Takes the locks, opens sled, runs `f`, flushes, closes. Rebuilds a corrupt store;
    /// retries a failure of the system that may pass, and reports the others.
    fn with_db_stamped<R>(
        &self,
        writes: bool,
        mut f: impl FnMut(&sled::Db) -> Result<R, DbFail>,
    ) -> Result<(R, StampChange), StoreError> {
        let _op = self.inner.op.lock().unwrap_or_else(|e| e.into_inner());
        let _file_lock = lock::lock_file(
            &self.inner.cache_dir,
            &self.inner.lock_path,
            &self.inner.db_path,
        )?;
        let before = self.read_stamp();
        let mut rebuilt = false;
        let mut tries = 0;
        loop {
            tries += 1;
            let attempt = catch_unwind(AssertUnwindSafe(
                || -> Result<(R, Option<Vec<u8>>), DbFail> {
                    let db = self.open_db()?;
                    let out = f(&db)?;
                    if writes {
                        db.flush().map_err(DbFail::from)?;
                    }
                    drop(db);
                    // After the flush, still under the lock: readers elsewhere revalidate.
                    let after = if writes { self.bump_stamp() } else { None };
                    Ok((out, after))
                },
            ));
            let failure = match attempt {
                Ok(Ok((out, after))) => {
                    let before = if rebuilt {
                        b"(rebuilt)".to_vec()
                    } else {
                        before
                    };
                    return Ok((out, StampChange { before, after }));
                }
                Ok(Err(DbFail::Store(e))) => return Err(e),
                Ok(Err(DbFail::Transient(io))) => {
                    if is_retryable(&io) && tries < TRANSIENT_TRIES {
                        tracing::debug!(error = %io, "docs store I/O failed; retrying");
                        std::thread::sleep(Duration::from_millis(20 * u64::from(tries)));
                        continue;
                    }
                    return Err(StoreError::Unavailable {
                        path: self.inner.db_path.clone(),
                        source: io,
                    });
                }
                Ok(Err(DbFail::Corrupt(e))) => error::corruption_message(&e),
                Err(panic) => recovery::panic_message(panic.as_ref()),
            };
            if rebuilt {
                return Err(StoreError::Db {
                    path: self.inner.db_path.clone(),
                    message: failure,
                });
            }
            tracing::warn!(path = %self.inner.db_path.display(), error = %failure,
                "docs store is corrupt; moving it aside and rebuilding");
            recovery::move_aside(&self.inner.cache_dir, &self.inner.db_path)?;
            self.bump_stamp();
            self.memo().reset();
            rebuilt = true;
        }
    }

    fn open_db(&self) -> Result<sled::Db, DbFail> {
        #[cfg(test)]
        if let Some(fault) = self
            .inner
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
        {
            return Err(fault.into_fail());
        }
        lock::open_db(&self.inner.db_path)
    }

    /// Writes a new stamp; returns it, or `None` if it could not be written.
    fn bump_stamp(&self) -> Option<Vec<u8>> {
        lock::bump_stamp(self.inner.stamp.path())
    }
}

/// The stamp when the lock was taken, and the one written after a write.
struct StampChange {
    before: Vec<u8>,
    after: Option<Vec<u8>>,
}
