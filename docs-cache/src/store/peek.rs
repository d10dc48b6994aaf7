//! Reads answered from the memo alone: no sled, no lock, nothing that waits on another
//! process. Only the stamp and `checked.<source>` (two tiny files, a `stat` each while they
//! are unchanged) are read, so a caller on an async thread may use them and go off it only
//! when they say the store must be opened.

use super::{SOURCES_TREE, SourceState, Store, StoreError, types::decode};

/// The stamp read, and the source's state as the memo holds it under that stamp.
pub type Peeked = (Vec<u8>, Result<Option<SourceState>, StoreError>);

impl Store {
    /// The stamp and the source's state as [`Store::source_state`] gives it, when the memo
    /// holds that state under the current stamp; `None` when the store must be opened.
    pub fn peek_source_state(&self, source: &str) -> Option<Peeked> {
        let stamp = self.read_stamp();
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
        Some((stamp, state))
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
