//! The store under contention (two OS processes on one cache dir) and after corruption.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use pipelines_docs_cache::store::{NewVersion, Store};

const CHILD_ENV: &str = "DOCS_CACHE_STORE_CHILD_DIR";
const ROUNDS: usize = 40;

fn put(store: &Store, source: &str, body: &str) {
    store
        .put_version(&NewVersion {
            source,
            url: "http://127.0.0.1/x",
            body,
            fetched_at: "2026-01-01T00:00:00Z",
            etag: Some("\"e\""),
            last_modified: None,
        })
        .unwrap();
}

/// Not a test on its own: when spawned by `two_processes_share_one_cache_dir` with the
/// env var set, it hammers the store from a second process.
#[test]
fn child_writer() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = Store::open(Path::new(&dir)).unwrap();
    for i in 0..ROUNDS {
        store.put_json("child", &format!("k{i:03}"), &i).unwrap();
        put(&store, "child-doc", &format!("child body {i}"));
        let _ = store.latest_version("parent-doc").unwrap();
    }
}

#[test]
fn two_processes_share_one_cache_dir() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir.path())
        .spawn()
        .unwrap();

    let store = Store::open(dir.path()).unwrap();
    for i in 0..ROUNDS {
        store.put_json("parent", &format!("k{i:03}"), &i).unwrap();
        put(&store, "parent-doc", &format!("parent body {i}"));
        let _ = store.latest_version("child-doc").unwrap();
    }
    assert!(child.wait().unwrap().success(), "child process failed");

    // Both processes' writes are all there, seen from this process (memo revalidated).
    assert_eq!(store.list_keys("parent").unwrap().len(), ROUNDS);
    assert_eq!(store.list_keys("child").unwrap().len(), ROUNDS);
    assert_eq!(store.get_json::<usize>("child", "k039").unwrap(), Some(39));
    let child_doc = store.latest_version("child-doc").unwrap().unwrap();
    assert_eq!(child_doc.version, ROUNDS as u64);
    assert_eq!(child_doc.body, format!("child body {}", ROUNDS - 1));
    assert_eq!(store.list_versions("parent-doc").unwrap().len(), ROUNDS);
}

#[test]
fn versions_are_numbered_and_identical_bodies_not_duplicated() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    put(&store, "pipelines", "one");
    put(&store, "pipelines", "one");
    put(&store, "pipelines", "two");
    let versions = store.list_versions("pipelines").unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(store.version("pipelines", 1).unwrap().unwrap().body, "one");
    assert_eq!(
        store.latest_version("pipelines").unwrap().unwrap().body,
        "two"
    );
    assert!(store.latest_version("cog").unwrap().is_none());
    // A second handle in the same process (e.g. another Store::open) sees it too.
    let again = Store::open(dir.path()).unwrap();
    assert_eq!(
        again.latest_version("pipelines").unwrap().unwrap().version,
        2
    );
}

#[test]
fn corrupt_store_is_moved_aside_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        put(&store, "pipelines", "before corruption");
    }
    // Scribble over every file sled wrote.
    let db = dir.path().join("store");
    for entry in std::fs::read_dir(&db).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::write(&path, b"\xff\xfe garbage, not a sled file \x00\x01").unwrap();
        }
    }
    let store = Store::open(dir.path()).unwrap();
    put(&store, "pipelines", "after");
    assert_eq!(
        store.latest_version("pipelines").unwrap().unwrap().body,
        "after"
    );
    let aside = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("store.corrupt-")
        })
        .count();
    assert_eq!(aside, 1, "the corrupt store was kept aside for inspection");
}

#[test]
fn store_path_that_is_a_file_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("store"), b"not a directory").unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.put_json("t", "k", &"v").unwrap();
    assert_eq!(
        store.get_json::<String>("t", "k").unwrap().as_deref(),
        Some("v")
    );
}

#[test]
fn mark_checked_moves_checked_at_and_validators() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    put(&store, "pipelines", "body");
    let other = Store::open(dir.path()).unwrap();
    assert_eq!(
        other.source_state("pipelines").unwrap().unwrap().checked_at,
        "2026-01-01T00:00:00Z"
    );
    // A 304 with the same validators.
    store
        .mark_checked("pipelines", "2026-01-02T00:00:00Z", Some("\"e\""), None)
        .unwrap();
    let state = other.source_state("pipelines").unwrap().unwrap();
    assert_eq!(state.checked_at, "2026-01-02T00:00:00Z");
    assert_eq!(state.etag.as_deref(), Some("\"e\""));
    // A 304 carrying a new ETag is stored.
    store
        .mark_checked("pipelines", "2026-01-03T00:00:00Z", Some("\"f\""), None)
        .unwrap();
    let state = other.source_state("pipelines").unwrap().unwrap();
    assert_eq!(state.checked_at, "2026-01-03T00:00:00Z");
    assert_eq!(state.etag.as_deref(), Some("\"f\""));
    assert_eq!(
        other.latest_version("pipelines").unwrap().unwrap().version,
        1
    );
    // Unknown sources are ignored.
    store
        .mark_checked("cog", "2026-01-03T00:00:00Z", None, None)
        .unwrap();
    assert!(store.source_state("cog").unwrap().is_none());
}

/// A peeked state (what the HTTP host answers cached reads from) never outlives a 304
/// recorded by another handle: the new checked time shows at once, or the store must be
/// opened, but the old time is never served.
#[test]
fn a_peeked_state_follows_a_304_from_another_handle_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    put(&store, "pipelines", "body");
    let other = Store::open(dir.path()).unwrap();
    let checked = |s: &Store| -> Option<String> {
        let (_, state) = s.peek_source_state("pipelines")?;
        Some(state.unwrap().unwrap().checked_at)
    };
    for (i, at) in [
        "2026-01-02T00:00:00Z",
        "2026-01-03T00:00:00Z",
        "2026-01-04T00:00:00Z",
    ]
    .into_iter()
    .enumerate()
    {
        // Warm `other`'s memo and its peeked state.
        other.source_state("pipelines").unwrap();
        let before = checked(&other).expect("the memo holds the state");
        assert_ne!(before, at, "round {i}");
        store.mark_checked("pipelines", at, None, None).unwrap();
        match checked(&other) {
            None => assert_eq!(
                other.source_state("pipelines").unwrap().unwrap().checked_at,
                at
            ),
            Some(seen) => assert_eq!(seen, at, "round {i}"),
        }
    }
}

/// Operations in quick succession from several threads of one process: sled lets go of
/// its lock file a moment after a handle is dropped, and an open in that moment must wait,
/// not take the store for corrupt and move it aside (which lost what was just written).
#[test]
fn rapid_operations_never_move_the_store_aside() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let store = store.clone();
            s.spawn(move || {
                for i in 0..40 {
                    store.put_json("t", &format!("{t}-{i}"), &i).unwrap();
                    let _ = store.list_keys("t").unwrap();
                }
            });
        }
    });
    let aside = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("store.corrupt"))
        })
        .count();
    assert_eq!(aside, 0, "the store was moved aside");
    assert_eq!(store.list_keys("t").unwrap().len(), 160);
}
