//! The stamp and `checked.<source>` files, read on every memoised read: their bytes are
//! kept with the file's identity (device, inode, size, modification and change times) and
//! read again only when a `stat` shows another identity. One `stat` instead of an open, a
//! `stat`, two reads and a close per read of the store.
//!
//! Both files are replaced by a rename on every write (see [`write_atomically`]), so a new
//! content is a new inode: an identity seen earlier cannot come back unless, within one
//! timestamp tick, the inode number is reused *and* the size matches, which these
//! writes (an upstream check or a store write apart) do not do.

use std::fs::{self, Metadata};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What `stat` says of a file: equal identities, same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Identity {
    fn of(meta: &Metadata) -> Self {
        Self {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

/// A small file's bytes as last read, and what it was when they were read.
#[derive(Debug)]
pub(super) struct SmallFile {
    path: PathBuf,
    last: Mutex<Option<(Identity, Arc<[u8]>)>>,
}

impl SmallFile {
    pub(super) fn new(path: PathBuf) -> Self {
        Self {
            path,
            last: Mutex::new(None),
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The file's bytes now; `None` when it cannot be read (absent, say).
    pub(super) fn read(&self) -> Option<Arc<[u8]>> {
        // `stat` before reading: bytes read after it are at least as new as the identity
        // they are kept under, so a write in between is read again next time.
        let Ok(meta) = fs::metadata(&self.path) else {
            *self.lock() = None;
            return None;
        };
        let identity = Identity::of(&meta);
        if let Some((seen, bytes)) = self.lock().as_ref()
            && *seen == identity
        {
            return Some(bytes.clone());
        }
        let bytes: Arc<[u8]> = fs::read(&self.path).ok()?.into();
        *self.lock() = Some((identity, bytes.clone()));
        Some(bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Identity, Arc<[u8]>)>> {
        // Only a cache: a poisoned one is recovered.
        self.last.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Writes `bytes` to `path` through a temporary file beside it and a rename, so that a
/// reader sees the old bytes or the new ones, never a part, and every content is a new
/// inode.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_is_seen_at_once_and_an_unchanged_file_is_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.stamp");
        let file = SmallFile::new(path.clone());
        assert!(file.read().is_none(), "absent");
        // Many rewrites in a row, each seen by the next read (same size every time).
        for i in 0..200 {
            let content = format!("{i:08}");
            write_atomically(&path, content.as_bytes()).unwrap();
            assert_eq!(&*file.read().unwrap(), content.as_bytes());
        }
        // Unchanged: the kept bytes (the same allocation) are answered.
        let a = file.read().unwrap();
        let b = file.read().unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        fs::remove_file(&path).unwrap();
        assert!(file.read().is_none(), "removed");
    }

    #[test]
    fn a_write_in_place_of_another_size_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checked.x");
        let file = SmallFile::new(path.clone());
        fs::write(&path, "2026-01-01T00:00:00Z").unwrap();
        assert_eq!(&*file.read().unwrap(), b"2026-01-01T00:00:00Z");
        // An older binary writes in place; a different size is a different identity.
        fs::write(&path, "2026-01-02T00:00:00.5Z").unwrap();
        assert_eq!(&*file.read().unwrap(), b"2026-01-02T00:00:00.5Z");
    }
}
