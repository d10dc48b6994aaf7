//! A cheap key for what a read of one source would be served from now, so that a caller
//! can keep an answer computed from the cache (the HTTP server keeps `get_docs` answers,
//! serialized) and know when it no longer holds.

use chrono::Utc;

use super::{DocsCache, DocsError, blocking};
use crate::source::Source;

/// Changes whenever a read of the source could answer differently: any store write (the
/// store's stamp, which other processes bump too), the source's last check and its stale
/// reason, and the second (answers carry the copy's age in whole seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadKey {
    source: Source,
    stamp: Vec<u8>,
    latest: u64,
    checked_at: String,
    stale_reason: Option<String>,
    second: i64,
}

impl ReadKey {
    /// Counts a read answered from what this key stands for (a cache hit or a stale
    /// serve), as a read of the docs cache counts itself.
    pub fn count_served(&self) {
        let event = if self.stale_reason.is_some() {
            "mcp_pipelines_docs_cache_stale_serves_total"
        } else {
            "mcp_pipelines_docs_cache_hits_total"
        };
        metrics::counter!(event, "source" => self.source.name()).increment(1);
    }

    /// Whether this key was taken in the current second (an answer computed since then
    /// shows the same ages).
    pub fn still_this_second(&self) -> bool {
        Utc::now().timestamp() == self.second
    }
}

impl DocsCache {
    /// The key of a read of `source` served from the cache as it is now; `None` when such
    /// a read would first fetch or refresh the source (nothing cached, or older than the
    /// TTL and not recently failed). Counts nothing (see [`ReadKey::count_served`]).
    pub async fn read_key(&self, source: Source) -> Result<Option<ReadKey>, DocsError> {
        // Off the async threads only when the memo cannot answer (the store must be opened).
        let (stamp, state) = match self.inner.store.peek_source_state(source.name()) {
            Some((stamp, state)) => (stamp, state?),
            None => {
                let store = self.inner.store.clone();
                blocking(move || {
                    let stamp = store.stamp();
                    Ok((stamp, store.source_state(source.name())?))
                })
                .await?
            }
        };
        let Some(state) = state else {
            return Ok(None);
        };
        if self.refresh_due(source, &state.checked_at) {
            return Ok(None);
        }
        Ok(Some(ReadKey {
            source,
            stamp,
            latest: state.latest,
            checked_at: state.checked_at,
            stale_reason: self.stale_reason(source),
            second: Utc::now().timestamp(),
        }))
    }
}
