//! Sizes and ages of directory trees (symlinks are not followed).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Calls `visit` with the metadata of every entry under `dir` (not `dir` itself), depth
/// first, without following symlinks; unreadable entries are skipped.
fn visit_tree(dir: &Path, mut visit: impl FnMut(&fs::Metadata)) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            visit(&meta);
            if meta.is_dir() {
                stack.push(entry.path());
            }
        }
    }
}

/// (files, bytes) under `dir`; `(0, 0)` when it does not exist.
pub(super) fn tree_usage(dir: &Path) -> (u64, u64) {
    let (mut files, mut bytes) = (0, 0);
    visit_tree(dir, |meta| {
        if !meta.is_dir() {
            files += 1;
            bytes += meta.len();
        }
    });
    (files, bytes)
}

/// The newest modification time in the tree under `dir` (the dir itself included).
pub(super) fn newest_mtime(dir: &Path) -> SystemTime {
    let mut newest = mtime(dir);
    visit_tree(dir, |meta| {
        if let Ok(m) = meta.modified() {
            newest = newest.max(m);
        }
    });
    newest
}

/// The modification time of `path`, or the epoch when it cannot be read.
pub(super) fn mtime(path: &Path) -> SystemTime {
    path.symlink_metadata()
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// The directories directly under `dir` (not symlinks), sorted.
pub(super) fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}
