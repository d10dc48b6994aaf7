//! What can go wrong, and which failures mean the store is corrupt (rebuild it) rather
//! than that the disk or the system is in trouble right now (report it, keep the data).

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The cache dir could not be created or written.
    #[error("cache dir {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Another process held the store for longer than the wait budget.
    #[error("the store at {path} stayed locked by another process for {waited:?}")]
    Busy {
        /// The store path.
        path: PathBuf,
        /// How long we waited.
        waited: Duration,
    },
    /// The store could not be used because of the system (disk full, permissions, a read-only
    /// file system, an I/O error), not because its data is bad: nothing was discarded.
    #[error(
        "store at {path} cannot be used right now: {source} (nothing was discarded; check free \
         space and permissions of the cache dir, or set --cache-dir / MCP_PIPELINES_CACHE_DIR)"
    )]
    Unavailable {
        /// The store path.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
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

/// Failure inside one attempt at an operation.
#[derive(Debug)]
pub(super) enum DbFail {
    /// The data is bad (or sled's files are not what it expects): move aside and rebuild.
    Corrupt(sled::Error),
    /// The system failed (disk full, permissions, EIO, …): retry when worth it, else report.
    Transient(io::Error),
    /// Return as is.
    Store(StoreError),
}

impl From<sled::Error> for DbFail {
    fn from(e: sled::Error) -> Self {
        classify(e)
    }
}

impl From<StoreError> for DbFail {
    fn from(e: StoreError) -> Self {
        DbFail::Store(e)
    }
}

/// What a corruption is reported as: the I/O error's own text for a file-level finding
/// (without sled's `IO error:` prefix), sled's text otherwise.
pub(super) fn corruption_message(e: &sled::Error) -> String {
    match e {
        sled::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

/// Sorts a sled error into corruption or a transient system failure, by kind: an error the
/// operating system reported (it has an errno) is the system's; sled's own findings
/// (`Corruption`, a torn segment, a bug report) are the data's.
pub(super) fn classify(e: sled::Error) -> DbFail {
    match e {
        sled::Error::Io(io) => classify_io(io),
        other => DbFail::Corrupt(other),
    }
}

fn classify_io(io: io::Error) -> DbFail {
    use io::ErrorKind as K;
    match io.kind() {
        // Something that is not sled's in the store's place.
        K::NotADirectory | K::IsADirectory => DbFail::Corrupt(sled::Error::Io(io)),
        // Truncated or malformed files, found by sled while reading them.
        K::UnexpectedEof | K::InvalidData | K::WriteZero if io.raw_os_error().is_none() => {
            DbFail::Corrupt(sled::Error::Io(io))
        }
        // sled reports a lock held elsewhere as a message: never corruption.
        _ if is_sled_lock_error(&io) => DbFail::Transient(io),
        // sled's own invariant failures ("encountered torn segment", …) carry no errno.
        K::Other if io.raw_os_error().is_none() => DbFail::Corrupt(sled::Error::Io(io)),
        _ => DbFail::Transient(io),
    }
}

/// Whether sled failed to open because its lock file is locked (by another process, or
/// still by this process's previous handle while sled's threads let go of it). sled says so
/// only in its message.
pub(super) fn is_sled_lock_error(io: &io::Error) -> bool {
    io.kind() == io::ErrorKind::Other
        && io.raw_os_error().is_none()
        && io.to_string().starts_with("could not acquire lock on ")
}

/// Whether a system failure may go away on its own soon (worth a short retry).
pub(super) fn is_retryable(io: &io::Error) -> bool {
    use io::ErrorKind as K;
    const EIO: i32 = 5;
    const EAGAIN: i32 = 11;
    const EBUSY: i32 = 16;
    matches!(io.kind(), K::Interrupted | K::TimedOut | K::WouldBlock)
        || matches!(io.raw_os_error(), Some(EIO | EAGAIN | EBUSY))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corrupt(e: sled::Error) -> bool {
        matches!(classify(e), DbFail::Corrupt(_))
    }

    #[test]
    fn system_failures_are_not_corruption() {
        for errno in [
            28, /* ENOSPC */
            13, /* EACCES */
            30, /* EROFS */
            5,  /* EIO */
            24, /* EMFILE */
        ] {
            let e = sled::Error::Io(io::Error::from_raw_os_error(errno));
            assert!(!corrupt(e), "errno {errno}");
        }
        for kind in [
            io::ErrorKind::StorageFull,
            io::ErrorKind::PermissionDenied,
            io::ErrorKind::Interrupted,
        ] {
            assert!(!corrupt(sled::Error::Io(io::Error::from(kind))), "{kind:?}");
        }
    }

    #[test]
    fn a_held_lock_is_not_corruption() {
        let held = io::Error::other(
            "could not acquire lock on \"/c/store/db\": Os { code: 11, kind: WouldBlock }",
        );
        assert!(is_sled_lock_error(&held));
        assert!(matches!(
            classify(sled::Error::Io(held)),
            DbFail::Transient(_)
        ));
        assert!(!is_sled_lock_error(&io::Error::other(
            "encountered torn segment"
        )));
    }

    #[test]
    fn bad_data_is_corruption() {
        assert!(corrupt(sled::Error::Corruption { at: None, bt: () }));
        assert!(corrupt(sled::Error::ReportableBug("x".into())));
        assert!(corrupt(sled::Error::Unsupported("x".into())));
        assert!(corrupt(sled::Error::Io(io::Error::other(
            "encountered torn segment"
        ))));
        assert!(corrupt(sled::Error::Io(io::Error::from(
            io::ErrorKind::UnexpectedEof
        ))));
        assert!(corrupt(sled::Error::Io(io::Error::from_raw_os_error(
            20 /* ENOTDIR */
        ))));
    }

    #[test]
    fn only_passing_failures_are_retried() {
        assert!(is_retryable(&io::Error::from_raw_os_error(5)));
        assert!(is_retryable(&io::Error::from(io::ErrorKind::Interrupted)));
        assert!(!is_retryable(&io::Error::from_raw_os_error(28)));
        assert!(!is_retryable(&io::Error::from_raw_os_error(13)));
    }
}
