//! A small least-recently-used map bounded by entry count and by bytes, for the in-memory
//! caches of a long-lived server (store memos, schema overlays, parsed documents).

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// Entries are evicted, least recently used first, once either bound is exceeded.
#[derive(Debug)]
pub struct Lru<K, V> {
    map: HashMap<K, Slot<V>>,
    /// Use tick → key, oldest first.
    order: BTreeMap<u64, K>,
    tick: u64,
    bytes: usize,
    max_entries: usize,
    max_bytes: usize,
}

#[derive(Debug)]
struct Slot<V> {
    value: V,
    tick: u64,
    bytes: usize,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    /// An empty map holding at most `max_entries` entries and `max_bytes` bytes (as
    /// reported to [`Lru::insert`]).
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: BTreeMap::new(),
            tick: 0,
            bytes: 0,
            max_entries: max_entries.max(1),
            max_bytes,
        }
    }

    /// The value for `key`, marked as just used.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        self.tick += 1;
        let tick = self.tick;
        let slot = self.map.get_mut(key)?;
        self.order.remove(&slot.tick);
        slot.tick = tick;
        self.order.insert(tick, key.clone());
        Some(&slot.value)
    }

    /// Whether `key` is present (does not count as a use).
    pub fn contains(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }

    /// Inserts (or replaces) `key`, then evicts the least recently used entries until both
    /// bounds hold. A value larger than `max_bytes` on its own is not kept.
    pub fn insert(&mut self, key: K, value: V, bytes: usize) {
        self.remove(&key);
        if bytes > self.max_bytes {
            return;
        }
        self.tick += 1;
        self.order.insert(self.tick, key.clone());
        self.map.insert(
            key,
            Slot {
                value,
                tick: self.tick,
                bytes,
            },
        );
        self.bytes += bytes;
        while self.map.len() > self.max_entries || self.bytes > self.max_bytes {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some(slot) = self.map.remove(&oldest) {
                self.bytes -= slot.bytes;
            }
        }
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let slot = self.map.remove(key)?;
        self.order.remove(&slot.tick);
        self.bytes -= slot.bytes;
        Some(slot.value)
    }

    /// Removes every entry whose key matches.
    pub fn retain_keys(&mut self, mut keep: impl FnMut(&K) -> bool) {
        let gone: Vec<K> = self.map.keys().filter(|k| !keep(k)).cloned().collect();
        for key in gone {
            self.remove(&key);
        }
    }

    /// Drops everything.
    pub fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
        self.bytes = 0;
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Bytes held (as reported on insert).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Every key (in no particular order).
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.map.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_by_entries_least_recently_used_first() {
        let mut lru = Lru::new(3, usize::MAX);
        for k in 0..3 {
            lru.insert(k, k * 10, 1);
        }
        assert_eq!(lru.get(&0), Some(&0)); // 0 is now the most recent
        lru.insert(3, 30, 1);
        assert_eq!(lru.len(), 3);
        assert!(!lru.contains(&1), "1 was the least recently used");
        assert!(lru.contains(&0) && lru.contains(&2) && lru.contains(&3));
    }

    #[test]
    fn bounded_by_bytes() {
        let mut lru = Lru::new(100, 1000);
        for k in 0..50 {
            lru.insert(k, (), 100);
        }
        assert_eq!(lru.len(), 10);
        assert_eq!(lru.bytes(), 1000);
        assert!(lru.contains(&49) && !lru.contains(&39));
        lru.insert(99, (), 5000);
        assert!(
            !lru.contains(&99),
            "a value over the byte bound alone is not kept"
        );
        lru.insert(49, (), 10);
        assert_eq!(lru.bytes(), 910, "a replaced value's bytes are released");
        lru.retain_keys(|k| *k != 48);
        assert_eq!((lru.len(), lru.bytes()), (9, 810));
        lru.clear();
        assert!(lru.is_empty() && lru.bytes() == 0);
    }
}
