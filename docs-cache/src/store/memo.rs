//! The in-process memo of reads, revalidated against the stamp file and bounded (LRU by
//! entries and bytes) so a long-lived server does not grow without limit.

use std::sync::Arc;

use super::DocVersion;
use crate::lru::Lru;

/// At most this many memoised reads…
const MAX_ENTRIES: usize = 4096;
/// …holding at most this many bytes.
const MAX_BYTES: usize = 32 * 1024 * 1024;
/// Decoded document versions kept.
const MAX_DECODED: usize = 2;

/// What is memoised: one value, or the key list of a tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum MemoKey {
    Value(String, String),
    Keys(String),
}

#[derive(Debug, Clone)]
pub(super) enum MemoValue {
    Value(Option<Vec<u8>>),
    Keys(Arc<Vec<String>>),
}

impl MemoValue {
    fn bytes(&self) -> usize {
        match self {
            MemoValue::Value(v) => 64 + v.as_ref().map_or(0, Vec::len),
            MemoValue::Keys(k) => 64 + k.iter().map(|s| s.len() + 24).sum::<usize>(),
        }
    }
}

/// Memoised reads, valid while the stamp file holds `stamp`.
#[derive(Debug)]
pub(super) struct Memo {
    pub(super) stamp: Vec<u8>,
    entries: Lru<MemoKey, MemoValue>,
    /// The last document versions decoded, with the stamp they were read under and their
    /// key: every docs tool call reads the current version, and decoding a whole spec from
    /// JSON cost more than the call itself.
    decoded: Vec<(Vec<u8>, String, DocVersion)>,
}

impl Default for Memo {
    fn default() -> Self {
        Self::with_bounds(MAX_ENTRIES, MAX_BYTES)
    }
}

impl Memo {
    pub(super) fn with_bounds(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            stamp: Vec::new(),
            entries: Lru::new(max_entries, max_bytes),
            decoded: Vec::new(),
        }
    }

    /// Drops every memoised value if the stamp moved on.
    pub(super) fn refresh(&mut self, stamp: Vec<u8>) {
        if self.stamp != stamp {
            self.stamp = stamp;
            self.entries.clear();
        }
    }

    /// Drops everything, stamp included.
    pub(super) fn reset(&mut self) {
        self.entries.clear();
        self.stamp.clear();
        self.decoded.clear();
    }

    /// The version decoded earlier while the stamp file held `stamp` (the memo's rule: a
    /// read stays valid while the stamp does not move).
    pub(super) fn decoded(&self, stamp: &[u8], key: &str) -> Option<DocVersion> {
        self.decoded
            .iter()
            .find(|(s, k, _)| k == key && s.as_slice() == stamp)
            .map(|(_, _, v)| v.clone())
    }

    /// Remembers a version decoded under `stamp` (the oldest of `MAX_DECODED` goes).
    pub(super) fn put_decoded(&mut self, stamp: Vec<u8>, key: String, version: DocVersion) {
        self.decoded.retain(|(s, k, _)| *k != key && *s == stamp);
        if self.decoded.len() >= MAX_DECODED {
            self.decoded.remove(0);
        }
        self.decoded.push((stamp, key, version));
    }

    pub(super) fn value(&mut self, tree: &str, key: &str) -> Option<Option<Vec<u8>>> {
        match self
            .entries
            .get(&MemoKey::Value(tree.to_owned(), key.to_owned()))?
        {
            MemoValue::Value(v) => Some(v.clone()),
            MemoValue::Keys(_) => None,
        }
    }

    pub(super) fn keys(&mut self, tree: &str) -> Option<Arc<Vec<String>>> {
        match self.entries.get(&MemoKey::Keys(tree.to_owned()))? {
            MemoValue::Keys(k) => Some(k.clone()),
            MemoValue::Value(_) => None,
        }
    }

    pub(super) fn put_value(&mut self, tree: String, key: String, value: Option<Vec<u8>>) {
        let value = MemoValue::Value(value);
        let bytes = value.bytes() + tree.len() + key.len();
        self.entries.insert(MemoKey::Value(tree, key), value, bytes);
    }

    pub(super) fn put_keys(&mut self, tree: String, keys: Arc<Vec<String>>) {
        let value = MemoValue::Keys(keys);
        let bytes = value.bytes() + tree.len();
        self.entries.insert(MemoKey::Keys(tree), value, bytes);
    }

    pub(super) fn forget_keys(&mut self, tree: &str) {
        self.entries.remove(&MemoKey::Keys(tree.to_owned()));
    }

    /// (entries, bytes) held.
    #[cfg(test)]
    pub(super) fn size(&self) -> (usize, usize) {
        (self.entries.len(), self.entries.bytes())
    }
}

#[cfg(test)]
impl Memo {
    /// How many values of `tree` are memoised (what a call loaded).
    pub(super) fn values_of(&self, tree: &str) -> usize {
        self.entries
            .keys()
            .filter(|k| matches!(k, MemoKey::Value(t, _) if t == tree))
            .count()
    }
}
