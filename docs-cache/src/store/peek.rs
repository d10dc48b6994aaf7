//! Reads answered from the memo alone: no sled, no lock, nothing that waits on another
//! process. Only the stamp is looked at (a `stat` while it is unchanged), and
//! `checked.<source>` once per stamp (every write of it replaces the stamp), so a caller on
//! an async thread may use them and go off it only when they say the store must be opened.

use super::{SOURCES_TREE, SourceState, Store, StoreError, types::decode};

/// The stamp read, and the source's state as the memo holds it under that stamp.
pub type Peeked = (Vec<u8>, Result<Option<SourceState>, StoreError>);

/// Most sources whose peeked state is kept.
const MAX_PEEKS: usize = 16;

/// Sources' states (with the checked time applied) as peeked under one stamp: every write
/// and every `checked.<source>` write replaces the stamp, so while it stays, so do they.
#[derive(Debug, Default)]
pub(super) struct Peeks {
    stamp: Vec<u8>,
    states: Vec<(String, Option<SourceState>)>,
}

impl Peeks {
    fn get(&self, stamp: &[u8], source: &str) -> Option<Option<SourceState>> {
        if stamp.is_empty() || self.stamp != stamp {
            return None;
        }
        let (_, state) = self.states.iter().find(|(s, _)| s == source)?;
        Some(state.clone())
    }

    fn put(&mut self, stamp: &[u8], source: &str, state: Option<SourceState>) {
        if self.stamp != stamp {
            self.stamp = stamp.to_vec();
            self.states.clear();
        }
        if self.states.len() < MAX_PEEKS && !self.states.iter().any(|(s, _)| s == source) {
            self.states.push((source.to_owned(), state));
        }
    }
}

impl Store {
    /// The stamp and the source's state as [`Store::source_state`] gives it, when the memo
    /// holds that state under the current stamp; `None` when the store must be opened.
    pub fn peek_source_state(&self, source: &str) -> Option<Peeked> {
        let stamp = self.read_stamp();
        if let Some(state) = self.peeks().get(&stamp, source) {
            return Some((stamp, Ok(state)));
        }
        let raw = {
            let mut memo = self.memo();
            if stamp.is_empty() || memo.stamp != stamp {
                return None;
            }
            memo.value(SOURCES_TREE, source)?
        };
        let state = raw
            .map(|bytes| decode::<SourceState>(SOURCES_TREE, source, &bytes))
            .transpose()
            .map(|state| self.with_checked(source, state));
        if let Ok(state) = &state {
            self.peeks().put(&stamp, source, state.clone());
        }
        Some((stamp, state))
    }

    fn peeks(&self) -> std::sync::MutexGuard<'_, Peeks> {
        // Only a cache: a poisoned one is recovered.
        self.inner.peeked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `state` with `checked_at` moved to the last 304's time when that is later.
    pub(super) fn with_checked(
        &self,
        source: &str,
        mut state: Option<SourceState>,
    ) -> Option<SourceState> {
        if let Some(s) = state.as_mut()
            && let Some(checked) = self.read_checked(source)
            && checked.trim() > s.checked_at.as_str()
        {
            s.checked_at = checked.trim().to_owned();
        }
        state
    }
}
