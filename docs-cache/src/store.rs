//! The on-disk store: a sled database under the cache dir, behind typed methods.
//!
//! Several server processes share one cache dir (Claude and Cursor each spawn one),
//! while sled allows a single process per database. So the store never holds the
//! database open while idle: every operation takes an inter-process lock file
//! (`<cache_dir>/store.lock`), opens sled, does its work, flushes and closes. Lock
//! contention is waited out with bounded backoff. Reads are memoised in process and
//! revalidated against a stamp file (`<cache_dir>/store.stamp`) that every write
//! rewrites after flushing, so a warm read costs one small file read.
//!
//! A store that will not open (other than for a lock), or that panics inside sled,
//! is moved aside to `store.corrupt-<unix-ms>` and rebuilt empty.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long one operation waits for another process before giving up.
const LOCK_BUDGET: Duration = Duration::from_secs(30);
/// Tree holding [`DocVersion`]s, keyed `<source>/<version, zero padded>`.
const VERSIONS_TREE: &str = "doc_versions";
/// Tree holding [`SourceState`]s, keyed by source name.
const SOURCES_TREE: &str = "doc_sources";

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The cache dir could not be created or written.
    #[error("cache dir {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Another process held the store for longer than the wait budget.
    #[error("the store at {path} stayed locked by another process for {waited:?}")]
    Busy {
        /// The store path.
        path: PathBuf,
        /// How long we waited.
        waited: Duration,
    },
    /// sled failed even after the store was rebuilt.
    #[error("store at {path}: {message}")]
    Db {
        /// The store path.
        path: PathBuf,
        /// sled's message.
        message: String,
    },
    /// A stored value did not decode as the requested type.
    #[error("stored value {tree}/{key} does not decode: {source}")]
    Decode {
        /// The tree.
        tree: String,
        /// The key.
        key: String,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// A value did not encode as JSON.
    #[error("value for {tree}/{key} does not encode: {source}")]
    Encode {
        /// The tree.
        tree: String,
        /// The key.
        key: String,
        /// The JSON error.
        source: serde_json::Error,
    },
}

/// One fetched version of a source document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocVersion {
    /// The source name (`pipelines`, `runtime`, `cog`).
    pub source: String,
    /// 1 for the first version fetched, then increasing.
    pub version: u64,
    /// The URL it was fetched from.
    pub url: String,
    /// The body as text.
    pub body: String,
    /// When it was fetched (RFC 3339).
    pub fetched_at: String,
    /// The `ETag` response header, if any.
    pub etag: Option<String>,
    /// The `Last-Modified` response header, if any.
    pub last_modified: Option<String>,
    /// Hex sha256 of the body.
    pub sha256: String,
}

/// A stored version without its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VersionInfo {
    /// The version number.
    pub version: u64,
    /// When it was fetched (RFC 3339).
    pub fetched_at: String,
    /// The `ETag`, if any.
    pub etag: Option<String>,
    /// Hex sha256 of the body.
    pub sha256: String,
    /// Body size in bytes.
    pub size: usize,
}

/// What the store knows about one source between versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceState {
    /// The newest stored version number.
    pub latest: u64,
    /// When the host was last asked (RFC 3339), whether or not the body changed.
    pub checked_at: String,
    /// The validators to send next time.
    pub etag: Option<String>,
    /// The `Last-Modified` to send next time.
    pub last_modified: Option<String>,
}

/// A body just fetched, to be stored as a version.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    /// The source name.
    pub source: &'a str,
    /// The URL it came from.
    pub url: &'a str,
    /// The body.
    pub body: &'a str,
    /// When it was fetched (RFC 3339).
    pub fetched_at: &'a str,
    /// The `ETag` header.
    pub etag: Option<&'a str>,
    /// The `Last-Modified` header.
    pub last_modified: Option<&'a str>,
}

/// The outcome of [`Store::put_version`].
#[derive(Debug, Clone)]
pub struct PutOutcome {
    /// The version now latest (new, or the existing one when the body was identical).
    pub current: DocVersion,
    /// The version that was latest before, if any.
    pub previous: Option<DocVersion>,
    /// Whether a new version was added (the body differed from the latest).
    pub added: bool,
}

/// Hex sha256 of a text.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

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
    stamp_path: PathBuf,
    /// Serialises this process's own operations (flock is per open file, not per process).
    op: Mutex<()>,
    memo: Mutex<Memo>,
}

#[derive(Default)]
struct Memo {
    stamp: Vec<u8>,
    values: HashMap<(String, String), Option<Vec<u8>>>,
    keys: HashMap<String, Vec<String>>,
}

impl Memo {
    /// Drops every memoised value if the stamp moved on.
    fn refresh(&mut self, stamp: Vec<u8>) {
        if self.stamp != stamp {
            self.stamp = stamp;
            self.values.clear();
            self.keys.clear();
        }
    }
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
                stamp_path: cache_dir.join("store.stamp"),
                op: Mutex::new(()),
                memo: Mutex::new(Memo::default()),
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
            let m = self.memo();
            if m.stamp == stamp
                && let Some(keys) = m.keys.get(tree)
            {
                return Ok(keys.clone());
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
            m.keys.insert(tree.to_owned(), keys.clone());
        }
        Ok(keys)
    }

    /// Stores a freshly fetched body. If it equals the latest version's body, no version is
    /// added; the source's validators and `checked_at` are updated either way.
    pub fn put_version(&self, new: &NewVersion<'_>) -> Result<PutOutcome, StoreError> {
        let sha256 = sha256_hex(new.body);
        let source_key = new.source.to_owned();
        self.write(|db, w| {
            let state: Option<SourceState> = db_get(db, SOURCES_TREE, &source_key)?
                .map(|b| decode(SOURCES_TREE, &source_key, &b))
                .transpose()?;
            let previous: Option<DocVersion> = match &state {
                Some(s) => {
                    let k = version_key(new.source, s.latest);
                    db_get(db, VERSIONS_TREE, &k)?
                        .map(|b| decode(VERSIONS_TREE, &k, &b))
                        .transpose()?
                }
                None => None,
            };
            let (current, added) = match &previous {
                Some(p) if p.sha256 == sha256 => (p.clone(), false),
                _ => {
                    let version = state.as_ref().map_or(0, |s| s.latest) + 1;
                    let v = DocVersion {
                        source: new.source.to_owned(),
                        version,
                        url: new.url.to_owned(),
                        body: new.body.to_owned(),
                        fetched_at: new.fetched_at.to_owned(),
                        etag: new.etag.map(str::to_owned),
                        last_modified: new.last_modified.map(str::to_owned),
                        sha256: sha256.clone(),
                    };
                    let k = version_key(new.source, version);
                    db_insert(db, w, VERSIONS_TREE, &k, encode(VERSIONS_TREE, &k, &v)?)?;
                    (v, true)
                }
            };
            let next = SourceState {
                latest: current.version,
                checked_at: new.fetched_at.to_owned(),
                etag: new.etag.map(str::to_owned),
                last_modified: new.last_modified.map(str::to_owned),
            };
            db_insert(
                db,
                w,
                SOURCES_TREE,
                &source_key,
                encode(SOURCES_TREE, &source_key, &next)?,
            )?;
            Ok(PutOutcome {
                current,
                previous: if added { previous } else { None },
                added,
            })
        })
    }

    /// Records that the host was asked and answered "not modified" at `checked_at`. When
    /// the validators are unchanged (the usual 304) only the small `checked.<source>` file is
    /// rewritten, so a 304 costs no database write.
    pub fn mark_checked(
        &self,
        source: &str,
        checked_at: &str,
        etag: Option<&str>,
        last_modified: Option<&str>,
    ) -> Result<(), StoreError> {
        let Some(state) = self.get_json::<SourceState>(SOURCES_TREE, source)? else {
            return Ok(());
        };
        let unchanged = etag.is_none_or(|e| state.etag.as_deref() == Some(e))
            && last_modified.is_none_or(|l| state.last_modified.as_deref() == Some(l));
        if unchanged {
            return self.write_checked(source, checked_at);
        }
        self.write(|db, w| {
            let Some(bytes) = db_get(db, SOURCES_TREE, source)? else {
                return Ok(());
            };
            let mut state: SourceState = decode(SOURCES_TREE, source, &bytes)?;
            state.checked_at = checked_at.to_owned();
            if etag.is_some() {
                state.etag = etag.map(str::to_owned);
            }
            if last_modified.is_some() {
                state.last_modified = last_modified.map(str::to_owned);
            }
            db_insert(
                db,
                w,
                SOURCES_TREE,
                source,
                encode(SOURCES_TREE, source, &state)?,
            )?;
            Ok(())
        })
    }

    /// The state of a source, if anything was ever stored for it. `checked_at` is the later
    /// of the stored one and the last 304's.
    pub fn source_state(&self, source: &str) -> Result<Option<SourceState>, StoreError> {
        let mut state: Option<SourceState> = self.get_json(SOURCES_TREE, source)?;
        if let Some(s) = state.as_mut()
            && let Ok(checked) = fs::read_to_string(self.checked_path(source))
            && checked.trim() > s.checked_at.as_str()
        {
            s.checked_at = checked.trim().to_owned();
        }
        Ok(state)
    }

    /// One stored version.
    pub fn version(&self, source: &str, version: u64) -> Result<Option<DocVersion>, StoreError> {
        self.get_json(VERSIONS_TREE, &version_key(source, version))
    }

    /// The newest stored version.
    pub fn latest_version(&self, source: &str) -> Result<Option<DocVersion>, StoreError> {
        match self.source_state(source)? {
            Some(s) => self.version(source, s.latest),
            None => Ok(None),
        }
    }

    /// Every stored version of a source, oldest first, without bodies.
    pub fn list_versions(&self, source: &str) -> Result<Vec<VersionInfo>, StoreError> {
        let prefix = format!("{source}/");
        let mut out = Vec::new();
        for key in self.list_keys(VERSIONS_TREE)? {
            if !key.starts_with(&prefix) {
                continue;
            }
            if let Some(v) = self.get_json::<DocVersion>(VERSIONS_TREE, &key)? {
                out.push(VersionInfo {
                    version: v.version,
                    fetched_at: v.fetched_at,
                    etag: v.etag,
                    sha256: v.sha256,
                    size: v.body.len(),
                });
            }
        }
        out.sort_by_key(|v| v.version);
        Ok(out)
    }

    // ---- internals -------------------------------------------------------------------

    fn memo(&self) -> MutexGuard<'_, Memo> {
        // A poisoned memo is only a cache: recover it.
        self.inner.memo.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read_stamp(&self) -> Vec<u8> {
        fs::read(&self.inner.stamp_path).unwrap_or_default()
    }

    fn get_raw(&self, tree: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let stamp = self.read_stamp();
        let memo_key = (tree.to_owned(), key.to_owned());
        {
            let m = self.memo();
            if m.stamp == stamp
                && let Some(v) = m.values.get(&memo_key)
            {
                return Ok(v.clone());
            }
        }
        let value = self.with_db(false, |db| db_get(db, tree, key))?;
        {
            let mut m = self.memo();
            m.refresh(stamp);
            m.values.insert(memo_key, value.clone());
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
                    m.keys.remove(&tree);
                    m.values.insert((tree, key), Some(bytes));
                }
                m.stamp = after;
            }
            _ => {
                m.values.clear();
                m.keys.clear();
                m.stamp.clear();
            }
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

    /// Takes the locks, opens sled, runs `f`, flushes, closes. Rebuilds a corrupt store.
    fn with_db_stamped<R>(
        &self,
        writes: bool,
        mut f: impl FnMut(&sled::Db) -> Result<R, DbFail>,
    ) -> Result<(R, StampChange), StoreError> {
        let _op = self.inner.op.lock().unwrap_or_else(|e| e.into_inner());
        let _file_lock = self.lock_file()?;
        let before = self.read_stamp();
        let mut rebuilt = false;
        loop {
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
                Ok(Err(DbFail::Sled(message))) => message,
                Err(panic) => panic_message(panic.as_ref()),
            };
            if rebuilt {
                return Err(StoreError::Db {
                    path: self.inner.db_path.clone(),
                    message: failure,
                });
            }
            tracing::warn!(path = %self.inner.db_path.display(), error = %failure,
                "docs store is unreadable; moving it aside and rebuilding");
            self.move_aside()?;
            rebuilt = true;
        }
    }

    /// Opens sled, waiting out a lock another process holds (sled's own lock, in case a
    /// process without our lock file opened it).
    fn open_db(&self) -> Result<sled::Db, DbFail> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            let result = sled::Config::new()
                .path(&self.inner.db_path)
                .cache_capacity(8 * 1024 * 1024)
                .flush_every_ms(None)
                .open();
            match result {
                Ok(db) => return Ok(db),
                Err(e) if is_lock_error(&e) && started.elapsed() < LOCK_BUDGET => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(e) if is_lock_error(&e) => {
                    return Err(DbFail::Store(StoreError::Busy {
                        path: self.inner.db_path.clone(),
                        waited: started.elapsed(),
                    }));
                }
                Err(e) => return Err(DbFail::from(e)),
            }
        }
    }

    fn lock_file(&self) -> Result<File, StoreError> {
        let io = |source| StoreError::Io {
            path: self.inner.lock_path.clone(),
            source,
        };
        let open = || {
            OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&self.inner.lock_path)
        };
        let file = match open() {
            // The cache dir was removed under us: make it again.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir_all(&self.inner.cache_dir).map_err(io)?;
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
                        path: self.inner.db_path.clone(),
                        waited: started.elapsed(),
                    });
                }
                Err(fs::TryLockError::Error(e)) => return Err(io(e)),
            }
        }
    }

    /// Writes a new stamp; returns it, or `None` if it could not be written.
    fn bump_stamp(&self) -> Option<Vec<u8>> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let stamp = format!("{}-{nanos}", std::process::id()).into_bytes();
        match fs::write(&self.inner.stamp_path, &stamp) {
            Ok(()) => Some(stamp),
            Err(e) => {
                tracing::warn!(error = %e, "could not write the store stamp; caches may be stale");
                None
            }
        }
    }

    fn move_aside(&self) -> Result<(), StoreError> {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let aside = self.inner.cache_dir.join(format!("store.corrupt-{millis}"));
        let result = fs::rename(&self.inner.db_path, &aside);
        match result {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                // Could not rename (e.g. a file in the way on another fs): remove it.
                let removed = if self.inner.db_path.is_dir() {
                    fs::remove_dir_all(&self.inner.db_path)
                } else {
                    fs::remove_file(&self.inner.db_path)
                };
                removed.map_err(|_| StoreError::Io {
                    path: self.inner.db_path.clone(),
                    source,
                })?;
            }
        }
        self.bump_stamp();
        let mut m = self.memo();
        m.values.clear();
        m.keys.clear();
        m.stamp.clear();
        Ok(())
    }

    fn checked_path(&self, source: &str) -> PathBuf {
        let safe: String = source
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        self.inner.cache_dir.join(format!("checked.{safe}"))
    }

    /// Writes `checked.<source>` atomically (temp file + rename).
    fn write_checked(&self, source: &str, checked_at: &str) -> Result<(), StoreError> {
        let path = self.checked_path(source);
        let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
        fs::write(&tmp, checked_at)
            .and_then(|()| fs::rename(&tmp, &path))
            .map_err(|source| StoreError::Io { path, source })
    }
}

/// (tree, key, bytes) of one write, to update the memo.
type Written = (String, String, Vec<u8>);

/// The stamp when the lock was taken, and the one written after a write.
struct StampChange {
    before: Vec<u8>,
    after: Option<Vec<u8>>,
}

/// Failure inside one attempt: either a sled problem (triggers a rebuild) or a store
/// error to return as is.
enum DbFail {
    Sled(String),
    Store(StoreError),
}

impl From<sled::Error> for DbFail {
    fn from(e: sled::Error) -> Self {
        DbFail::Sled(e.to_string())
    }
}

impl From<StoreError> for DbFail {
    fn from(e: StoreError) -> Self {
        DbFail::Store(e)
    }
}

fn is_lock_error(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock")
        || io.kind() == std::io::ErrorKind::WouldBlock)
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        format!("sled panicked: {s}")
    } else if let Some(s) = panic.downcast_ref::<String>() {
        format!("sled panicked: {s}")
    } else {
        "sled panicked".to_owned()
    }
}

fn open_tree(db: &sled::Db, tree: &str) -> Result<sled::Tree, DbFail> {
    db.open_tree(tree).map_err(DbFail::from)
}

fn db_get(db: &sled::Db, tree: &str, key: &str) -> Result<Option<Vec<u8>>, DbFail> {
    let t = open_tree(db, tree)?;
    Ok(t.get(key.as_bytes())?.map(|v| v.to_vec()))
}

fn db_insert(
    db: &sled::Db,
    written: &mut Vec<Written>,
    tree: &str,
    key: &str,
    bytes: Vec<u8>,
) -> Result<(), DbFail> {
    let t = open_tree(db, tree)?;
    t.insert(key.as_bytes(), bytes.as_slice())?;
    written.push((tree.to_owned(), key.to_owned(), bytes));
    Ok(())
}

fn version_key(source: &str, version: u64) -> String {
    format!("{source}/{version:012}")
}

fn decode<T: DeserializeOwned>(tree: &str, key: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Decode {
        tree: tree.to_owned(),
        key: key.to_owned(),
        source,
    })
}

fn encode<T: Serialize>(tree: &str, key: &str, value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|source| StoreError::Encode {
        tree: tree.to_owned(),
        key: key.to_owned(),
        source,
    })
}
