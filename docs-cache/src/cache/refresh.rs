//! Fetching sources ([`DocsCache::fetch`]) and keeping reads fresh: a read refreshes a
//! source older than the TTL once for all concurrent readers, and after a failure serves
//! the cached copy as stale for a while before trying again.

use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};

use super::{DocsCache, DocsError, blocking, cpu};
use crate::diff::{DEFAULT_DIFF_CHARS, DocDiff};
use crate::fetch::{FetchError, Fetched, Validators};
use crate::results::{FetchReport, Freshness, SourceFetch};
use crate::source::{Source, SourceSel};
use crate::store::{DocVersion, NewVersion, SourceState};

/// After a failed automatic refresh, wait this long before trying again on reads.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn age_seconds(rfc3339: &str) -> u64 {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| (Utc::now() - t.with_timezone(&Utc)).num_seconds().max(0) as u64)
        .unwrap_or(u64::MAX)
}

impl DocsCache {
    /// Refreshes the selected sources: a conditional GET, or a full one when `force`.
    /// A source that fails but has a cached copy is reported `stale`. With [`SourceSel::One`],
    /// a source with no copy that cannot be fetched is an error; with `All` it is reported
    /// in that source's `error`.
    pub async fn fetch(&self, sel: SourceSel, force: bool) -> Result<FetchReport, DocsError> {
        let mut sources = Vec::new();
        for source in sel.sources() {
            match self.fetch_one(source, force).await {
                Ok(report) => sources.push(report),
                Err(e @ DocsError::Unavailable { .. }) if sel == SourceSel::All => {
                    sources.push(SourceFetch {
                        source,
                        url: self.url(source).to_owned(),
                        version: None,
                        fetched_at: None,
                        etag: None,
                        changed: false,
                        stale: false,
                        stale_reason: None,
                        outline: Vec::new(),
                        diff: None,
                        error: Some(e.to_string()),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Ok(FetchReport { sources })
    }

    pub(super) fn stale_reason(&self, source: Source) -> Option<String> {
        self.memory()
            .failures
            .get(&source)
            .map(|(_, why)| why.clone())
    }

    fn freshness(&self, source: Source, version: &DocVersion, checked_at: &str) -> Freshness {
        let stale_reason = self.stale_reason(source);
        Freshness {
            source,
            version: version.version,
            fetched_at: version.fetched_at.clone(),
            checked_at: checked_at.to_owned(),
            age_seconds: age_seconds(checked_at),
            etag: version.etag.clone(),
            stale: stale_reason.is_some(),
            stale_reason,
        }
    }

    /// Whether a read of `source`, last checked at `checked_at`, refreshes it first: older
    /// than the TTL, and no failed refresh in the last minute.
    pub(super) fn refresh_due(&self, source: Source, checked_at: &str) -> bool {
        let expired = age_seconds(checked_at) >= self.inner.config.ttl.as_secs();
        let recently_failed = self
            .memory()
            .failures
            .get(&source)
            .is_some_and(|(at, _)| at.elapsed() < RETRY_AFTER_FAILURE);
        expired && !recently_failed
    }

    /// The latest version, refreshed first when older than the TTL (failures → stale).
    pub(super) async fn current(
        &self,
        source: Source,
    ) -> Result<(DocVersion, Freshness), DocsError> {
        let store = self.inner.store.clone();
        let (state, latest) = blocking(move || {
            let state = store.source_state(source.name())?;
            let latest = match &state {
                Some(s) => store.version(source.name(), s.latest)?,
                None => None,
            };
            Ok((state, latest))
        })
        .await?;
        if let (Some(state), Some(latest)) = (&state, latest) {
            if !self.refresh_due(source, &state.checked_at) {
                let freshness = self.freshness(source, &latest, &state.checked_at);
                let event = if freshness.stale {
                    "mcp_pipelines_docs_cache_stale_serves_total"
                } else {
                    "mcp_pipelines_docs_cache_hits_total"
                };
                metrics::counter!(event, "source" => source.name()).increment(1);
                return Ok((latest, freshness));
            }
            metrics::counter!("mcp_pipelines_docs_cache_refreshes_total", "source" => source.name())
                .increment(1);
        } else {
            metrics::counter!("mcp_pipelines_docs_cache_misses_total", "source" => source.name())
                .increment(1);
        }
        self.refresh_expired(source).await?;
        let (state, latest) = self.state_and_latest(source).await?;
        match (state, latest) {
            (Some(state), Some(latest)) => {
                let freshness = self.freshness(source, &latest, &state.checked_at);
                if freshness.stale {
                    metrics::counter!("mcp_pipelines_docs_cache_stale_serves_total",
                        "source" => source.name())
                    .increment(1);
                }
                Ok((latest, freshness))
            }
            _ => Err(DocsError::Unavailable {
                doc: source,
                url: self.url(source).to_owned(),
                reason: "the store lost the document just fetched".to_owned(),
                env_var: source.env_var(),
            }),
        }
    }

    /// The source's check state and its latest stored version.
    async fn state_and_latest(
        &self,
        source: Source,
    ) -> Result<(Option<SourceState>, Option<DocVersion>), DocsError> {
        let store = self.inner.store.clone();
        blocking(move || {
            Ok((
                store.source_state(source.name())?,
                store.latest_version(source.name())?,
            ))
        })
        .await
    }

    /// Refreshes an expired source once for all concurrent readers: whoever gets the
    /// refresh lock first fetches; the others, once they get it, find the source fresh (or
    /// the failure just recorded) and do not fetch again.
    async fn refresh_expired(&self, source: Source) -> Result<(), DocsError> {
        let waiting_since = Instant::now();
        let _one_at_a_time = self.inner.refreshing.lock().await;
        let (state, latest) = self.state_and_latest(source).await?;
        let failed_meanwhile = self
            .memory()
            .failures
            .get(&source)
            .filter(|(at, _)| *at >= waiting_since)
            .map(|(_, why)| why.clone());
        match (state, latest, failed_meanwhile) {
            (Some(_), Some(_), Some(_)) => Ok(()),
            (Some(state), Some(_), None)
                if age_seconds(&state.checked_at) < self.inner.config.ttl.as_secs() =>
            {
                Ok(())
            }
            (_, None, Some(reason)) => Err(DocsError::Unavailable {
                doc: source,
                url: self.url(source).to_owned(),
                reason,
                env_var: source.env_var(),
            }),
            _ => self.fetch_locked(source, false).await.map(drop),
        }
    }

    async fn fetch_one(&self, source: Source, force: bool) -> Result<SourceFetch, DocsError> {
        let _one_at_a_time = self.inner.refreshing.lock().await;
        self.fetch_locked(source, force).await
    }

    /// Fetches `source`; the caller holds the refresh lock.
    async fn fetch_locked(&self, source: Source, force: bool) -> Result<SourceFetch, DocsError> {
        let url = self.url(source).to_owned();
        let (state, latest) = self.state_and_latest(source).await?;
        let validators = match (&state, &latest, force) {
            (Some(s), Some(_), false) => Validators {
                etag: s.etag.clone(),
                last_modified: s.last_modified.clone(),
            },
            _ => Validators::default(),
        };
        let answer = self.inner.fetcher.get(&url, &validators).await;
        let checked_at = now();
        let answer = match (answer, &latest) {
            (Ok(Fetched::NotModified { .. }), None) => Err(FetchError::Status {
                url: url.clone(),
                status: 304,
            }),
            (other, _) => other,
        };
        match answer {
            Ok(Fetched::NotModified { validators: got }) => {
                self.not_modified(source, url, checked_at, got, latest)
                    .await
            }
            Ok(Fetched::Body {
                body,
                validators: got,
            }) => self.changed(source, url, checked_at, body, got).await,
            Err(e) => self.failed(source, url, &e, latest).await,
        }
    }

    /// A 304: the cached copy is current; its check time and validators are recorded.
    async fn not_modified(
        &self,
        source: Source,
        url: String,
        checked_at: String,
        got: Validators,
        latest: Option<DocVersion>,
    ) -> Result<SourceFetch, DocsError> {
        self.memory().failures.remove(&source);
        let store = self.inner.store.clone();
        blocking(move || {
            store.mark_checked(
                source.name(),
                &checked_at,
                got.etag.as_deref(),
                got.last_modified.as_deref(),
            )
        })
        .await?;
        let Some(current) = latest else {
            return Err(DocsError::Task("304 without a cached copy".to_owned()));
        };
        self.report(source, url, &current, false, None).await
    }

    /// A body: stored (as a new version when it differs from the latest), with the diff
    /// from the previous version.
    async fn changed(
        &self,
        source: Source,
        url: String,
        checked_at: String,
        body: String,
        got: Validators,
    ) -> Result<SourceFetch, DocsError> {
        self.memory().failures.remove(&source);
        let store = self.inner.store.clone();
        let u = url.clone();
        let outcome = blocking(move || {
            store.put_version(&NewVersion {
                source: source.name(),
                url: &u,
                body: &body,
                fetched_at: &checked_at,
                etag: got.etag.as_deref(),
                last_modified: got.last_modified.as_deref(),
            })
        })
        .await?;
        let diff = match outcome.previous.as_ref() {
            Some(prev) => Some(self.diff_versions(source, prev, &outcome.current).await?),
            None => None,
        };
        if outcome.added {
            tracing::info!(%source, version = outcome.current.version, "stored a new docs version");
        }
        self.report(source, url, &outcome.current, outcome.added, diff)
            .await
    }

    /// The diff between two versions of a source, section by section.
    async fn diff_versions(
        &self,
        source: Source,
        prev: &DocVersion,
        current: &DocVersion,
    ) -> Result<DocDiff, DocsError> {
        let old = self.parsed(prev).await?;
        let new = self.parsed(current).await?;
        let versions = (prev.version, current.version);
        cpu(move || {
            DocDiff::compute(
                source.name(),
                (versions.0, &old.doc),
                (versions.1, &new.doc),
                DEFAULT_DIFF_CHARS,
            )
        })
        .await
    }

    /// A failed fetch: recorded (reads serve the cached copy as stale for a while); the
    /// cached copy is the answer, or the failure when there is none.
    async fn failed(
        &self,
        source: Source,
        url: String,
        error: &FetchError,
        latest: Option<DocVersion>,
    ) -> Result<SourceFetch, DocsError> {
        let reason = error.to_string();
        tracing::warn!(%source, error = %reason, "docs refresh failed");
        self.memory()
            .failures
            .insert(source, (Instant::now(), reason.clone()));
        match latest {
            Some(current) => self.report(source, url, &current, false, None).await,
            None => Err(DocsError::Unavailable {
                doc: source,
                url,
                reason,
                env_var: source.env_var(),
            }),
        }
    }

    async fn report(
        &self,
        source: Source,
        url: String,
        current: &DocVersion,
        changed: bool,
        diff: Option<DocDiff>,
    ) -> Result<SourceFetch, DocsError> {
        let stale_reason = self.stale_reason(source);
        let outline = self.parsed(current).await?.doc.outline();
        Ok(SourceFetch {
            source,
            url,
            version: Some(current.version),
            fetched_at: Some(current.fetched_at.clone()),
            etag: current.etag.clone(),
            changed,
            stale: stale_reason.is_some(),
            stale_reason,
            outline,
            diff,
            error: None,
        })
    }
}
