//! Corruption vs transient failures (injected), the single corrupt copy, the memo bounds,
//! and version listings that load no bodies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io;
use std::path::Path;

use super::error::DbFail;
use super::memo::Memo;
use super::types::{INFOS_TREE, VERSIONS_TREE, version_key};
use super::*;

/// A failure injected before sled opens.
#[derive(Debug, Clone, Copy)]
pub(super) enum Fault {
    /// The OS answers this errno.
    Errno(i32),
    /// sled reports corruption.
    Corrupt,
}

impl Fault {
    pub(super) fn into_fail(self) -> DbFail {
        match self {
            Fault::Errno(n) => DbFail::from(sled::Error::Io(io::Error::from_raw_os_error(n))),
            Fault::Corrupt => DbFail::from(sled::Error::Corruption { at: None, bt: () }),
        }
    }
}

const ENOSPC: i32 = 28;
const EACCES: i32 = 13;
const EIO: i32 = 5;

fn inject(store: &Store, faults: &[Fault]) {
    let mut f = store.inner.faults.lock().unwrap();
    f.extend(faults.iter().rev().copied());
}

fn corrupt_copies(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(CORRUPT_PREFIX))
        .collect()
}

fn put(store: &Store, source: &str, body: &str) {
    store
        .put_version(&NewVersion {
            source,
            url: "http://127.0.0.1/x",
            body,
            fetched_at: "2026-01-01T00:00:00Z",
            etag: None,
            last_modified: None,
        })
        .unwrap();
}

#[test]
fn disk_full_and_permissions_are_reported_and_keep_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.put_json("t", "k", &"kept").unwrap();
    for errno in [ENOSPC, EACCES] {
        inject(&store, &[Fault::Errno(errno)]);
        let err = store.put_json("t", "other", &"x").unwrap_err();
        assert!(matches!(err, StoreError::Unavailable { .. }), "{err:?}");
        assert!(err.to_string().contains("nothing was discarded"), "{err}");
    }
    assert!(
        corrupt_copies(dir.path()).is_empty(),
        "no rebuild for a system failure"
    );
    let fresh = Store::open(dir.path()).unwrap();
    assert_eq!(
        fresh.get_json::<String>("t", "k").unwrap().as_deref(),
        Some("kept")
    );
    assert_eq!(fresh.get_json::<String>("t", "other").unwrap(), None);
}

#[test]
fn a_passing_io_error_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    inject(&store, &[Fault::Errno(EIO), Fault::Errno(EIO)]);
    store.put_json("t", "k", &1).unwrap();
    assert_eq!(store.get_json::<i32>("t", "k").unwrap(), Some(1));
    // One that does not pass is reported after the retries, data kept.
    inject(&store, &[Fault::Errno(EIO); 3]);
    let err = store.put_json("t", "k", &2).unwrap_err();
    assert!(matches!(err, StoreError::Unavailable { .. }), "{err:?}");
    assert!(corrupt_copies(dir.path()).is_empty());
    assert_eq!(
        Store::open(dir.path())
            .unwrap()
            .get_json::<i32>("t", "k")
            .unwrap(),
        Some(1)
    );
}

#[test]
fn corruption_rebuilds_and_keeps_only_one_corrupt_copy() {
    let dir = tempfile::tempdir().unwrap();
    // Copies left by earlier recoveries.
    for old in ["store.corrupt-1", "store.corrupt-2"] {
        std::fs::create_dir(dir.path().join(old)).unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    store.put_json("t", "k", &"lost").unwrap();
    inject(&store, &[Fault::Corrupt]);
    store.put_json("t", "after", &"new").unwrap();
    assert_eq!(
        store.get_json::<String>("t", "k").unwrap(),
        None,
        "rebuilt empty"
    );
    assert_eq!(
        store.get_json::<String>("t", "after").unwrap().as_deref(),
        Some("new")
    );
    let copies = corrupt_copies(dir.path());
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert!(!copies.contains(&"store.corrupt-1".to_owned()));

    inject(&store, &[Fault::Corrupt]);
    store.put_json("t", "again", &1).unwrap();
    assert_eq!(corrupt_copies(dir.path()).len(), 1);
}

#[test]
fn list_versions_loads_no_body() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        put(&store, "pipelines", &"a".repeat(10_000));
        put(&store, "pipelines", "bb");
    }
    let store = Store::open(dir.path()).unwrap();
    let versions = store.list_versions("pipelines").unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.size))
            .collect::<Vec<_>>(),
        [(1, 10_000), (2, 2)]
    );
    assert_eq!(store.memo().values_of(VERSIONS_TREE), 0, "no body was read");
    assert_eq!(store.memo().values_of(INFOS_TREE), 2);
}

#[test]
fn versions_stored_before_the_info_records_are_still_listed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let v = DocVersion {
        source: "cog".into(),
        version: 1,
        url: "u".into(),
        body: "old body".into(),
        fetched_at: "2026-01-01T00:00:00Z".into(),
        etag: None,
        last_modified: None,
        sha256: sha256_hex("old body"),
    };
    store
        .put_json(VERSIONS_TREE, &version_key("cog", 1), &v)
        .unwrap();
    let listed = store.list_versions("cog").unwrap();
    assert_eq!(listed, [v.info()]);
}

#[test]
fn the_memo_is_bounded_by_entries_and_bytes() {
    let mut memo = Memo::with_bounds(100, 10_000);
    for i in 0..1000 {
        memo.put_value("t".into(), format!("k{i}"), Some(vec![0; 50]));
    }
    let (entries, bytes) = memo.size();
    assert!(
        entries <= 100 && bytes <= 10_000,
        "{entries} entries, {bytes} bytes"
    );
    assert!(memo.value("t", "k999").is_some(), "the newest is kept");
    assert!(memo.value("t", "k0").is_none(), "the oldest is gone");
    memo.put_value("t".into(), "huge".into(), Some(vec![0; 20_000]));
    assert!(memo.value("t", "huge").is_none());
    assert!(memo.size().1 <= 10_000);
}
