//! The facade the server calls: refresh, read, search and diff the cached docs, and
//! derive the Rulebook.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};

use crate::diff::{DEFAULT_DIFF_CHARS, DocDiff};
use crate::fetch::{FetchError, Fetched, Fetcher, Validators};
use crate::results::{DocumentView, FetchReport, Freshness, GetDocsResult, SourceFetch};
use crate::rulebook::Rulebook;
use crate::search::SearchIndex;
use crate::sections::Sectioned;
use crate::source::{DocsConfig, Source, SourceSel};
use crate::store::{DocVersion, NewVersion, SourceState, Store, StoreError, VersionInfo};

/// Default cap on `get_docs` output, in characters.
pub const DEFAULT_MAX_CHARS: usize = 8000;
/// Search hits returned at most.
const MAX_HITS: usize = 8;
/// After a failed automatic refresh, wait this long before trying again on reads.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);

/// Errors of the facade. Each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Nothing cached and the host could not be reached.
    #[error(
        "no cached copy of the `{doc}` docs, and {url} could not be fetched: {reason}. \
         Check the network, or set {env_var} to a reachable URL, then call fetch_llms_txt \
         (CLI: `mcp-pipelines docs refresh --source {doc}`)"
    )]
    Unavailable {
        /// The source.
        doc: Source,
        /// The URL tried.
        url: String,
        /// Why it failed.
        reason: String,
        /// The env var that sets the URL.
        env_var: &'static str,
    },
    /// No such section.
    #[error("no section `{section}` in the `{doc}` docs{}; call get_docs with no arguments for the outline",
        if suggestions.is_empty() { String::new() } else { format!(" (did you mean {}?)", suggestions.join(", ")) })]
    UnknownSection {
        /// The source.
        doc: Source,
        /// The id asked for.
        section: String,
        /// Similar ids.
        suggestions: Vec<String>,
    },
    /// No such stored version.
    #[error("no version {version} of `{doc}` is stored; stored versions: {available:?}")]
    NoSuchVersion {
        /// The source.
        doc: Source,
        /// The version asked for.
        version: u64,
        /// What is stored.
        available: Vec<u64>,
    },
    /// A diff needs two versions.
    #[error(
        "only {count} version(s) of `{doc}` stored; a diff needs two (refresh when the docs change)"
    )]
    NotEnoughVersions {
        /// The source.
        doc: Source,
        /// How many are stored.
        count: usize,
    },
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] FetchError),
    /// A blocking store task failed to run.
    #[error("internal task failed: {0}")]
    Task(String),
}

/// A parsed version, shared by reads.
#[derive(Debug)]
struct Parsed {
    doc: Sectioned,
    index: SearchIndex,
}

#[derive(Debug, Default)]
struct Memory {
    parsed: HashMap<String, Arc<Parsed>>,
    /// The last refresh failure per source: (when, why).
    failures: HashMap<Source, (Instant, String)>,
    rulebook: Option<((String, String), Arc<Rulebook>)>,
}

/// The docs cache. Cheap to clone.
#[derive(Debug, Clone)]
pub struct DocsCache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: DocsConfig,
    store: Store,
    fetcher: Fetcher,
    memory: Mutex<Memory>,
    refreshing: tokio::sync::Mutex<()>,
}

/// Arguments of [`DocsCache::get_docs`].
#[derive(Debug, Clone, Default)]
pub struct GetDocsRequest {
    /// The document (default `pipelines`).
    pub source: Option<Source>,
    /// A section id: return its text.
    pub section: Option<String>,
    /// Search words: return ranked hits (within `section` when both are given).
    pub query: Option<String>,
    /// Output cap in characters (default 8000).
    pub max_chars: Option<usize>,
    /// With `section`: include the subsections' text instead of listing them.
    pub include_subsections: bool,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn age_seconds(rfc3339: &str) -> u64 {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| (Utc::now() - t.with_timezone(&Utc)).num_seconds().max(0) as u64)
        .unwrap_or(u64::MAX)
}

impl DocsCache {
    /// Builds the cache over an open store.
    pub fn new(config: DocsConfig, store: Store) -> Result<DocsCache, DocsError> {
        let fetcher = Fetcher::new(config.timeout, config.connect_timeout)?;
        Ok(DocsCache {
            inner: Arc::new(Inner {
                config,
                store,
                fetcher,
                memory: Mutex::new(Memory::default()),
                refreshing: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &DocsConfig {
        &self.inner.config
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

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

    /// The outline (no section, no query), a section's text, or search hits; capped.
    pub async fn get_docs(&self, req: GetDocsRequest) -> Result<GetDocsResult, DocsError> {
        let source = req.source.unwrap_or(Source::Pipelines);
        let max_chars = req.max_chars.unwrap_or(DEFAULT_MAX_CHARS).max(200);
        let (version, freshness) = self.current(source).await?;
        let parsed = self.parsed(&version).await?;
        let doc = &parsed.doc;
        let mut result = GetDocsResult {
            freshness,
            outline: None,
            section: None,
            hits: None,
            truncated: false,
            note: None,
            errata: Vec::new(),
        };
        let scope = match req
            .section
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(id) => Some(doc.get(id).ok_or_else(|| DocsError::UnknownSection {
                doc: source,
                section: id.to_owned(),
                suggestions: doc.suggest(id),
            })?),
            None => None,
        };
        match (
            scope,
            req.query
                .as_deref()
                .map(str::trim)
                .filter(|q| !q.is_empty()),
        ) {
            (scope, Some(query)) => {
                let mut hits = parsed.index.search(doc, query, doc.sections().len());
                if let Some(s) = scope {
                    let prefix = format!("{}/", s.id);
                    hits.retain(|h| h.id == s.id || h.id.starts_with(&prefix));
                }
                hits.truncate(MAX_HITS);
                let mut used = 0;
                let total = hits.len();
                hits.retain(|h| {
                    used += h.snippet.chars().count() + h.id.len() + h.title.len() + 16;
                    used <= max_chars
                });
                if hits.len() < total {
                    result.truncated = true;
                    result.note = Some(format!(
                        "{} more hit(s) cut to fit max_chars={max_chars}; raise max_chars to see them",
                        total - hits.len()
                    ));
                } else if hits.is_empty() {
                    result.note = Some(
                        "No section matches; try other words, or call get_docs with no arguments for the outline"
                            .to_owned(),
                    );
                } else {
                    result.note =
                        Some("Read a hit in full with get_docs(section=\"<id>\")".to_owned());
                }
                result.hits = Some(hits);
            }
            (Some(s), None) => {
                let view =
                    crate::section_view::section_view(doc, s, max_chars, req.include_subsections);
                result.truncated = view.truncated;
                result.note = view.note;
                result.section = Some(view.section);
            }
            (None, None) => {
                let mut outline = doc.outline();
                let total = outline.len();
                let mut used = 0;
                outline.retain(|e| {
                    used += e.id.len() + e.title.len() + 16;
                    used <= max_chars
                });
                if outline.len() < total {
                    result.truncated = true;
                    result.note = Some(format!(
                        "Outline cut at {} of {total} sections; raise max_chars",
                        outline.len()
                    ));
                } else {
                    result.note = Some(
                        "Read a section with get_docs(section=\"<id>\"), or search with get_docs(query=\"…\")"
                            .to_owned(),
                    );
                }
                result.outline = Some(outline);
            }
        }
        Ok(result)
    }

    /// Compares two stored versions of `source` (default: the previous and the latest).
    pub async fn diff(
        &self,
        source: Source,
        from: Option<u64>,
        to: Option<u64>,
    ) -> Result<DocDiff, DocsError> {
        let versions = self.versions(source).await?;
        let numbers: Vec<u64> = versions.iter().map(|v| v.version).collect();
        let latest = numbers.last().copied().unwrap_or(0);
        let to = to.unwrap_or(latest);
        let from = match from {
            Some(f) => f,
            None if numbers.len() < 2 => {
                return Err(DocsError::NotEnoughVersions {
                    doc: source,
                    count: numbers.len(),
                });
            }
            None => numbers
                .iter()
                .rev()
                .find(|&&n| n < to)
                .copied()
                .unwrap_or(to),
        };
        let load = |n: u64| {
            let store = self.inner.store.clone();
            let available = numbers.clone();
            async move {
                blocking(move || store.version(source.name(), n))
                    .await?
                    .ok_or(DocsError::NoSuchVersion {
                        doc: source,
                        version: n,
                        available,
                    })
            }
        };
        let (old, new) = (load(from).await?, load(to).await?);
        let (old_p, new_p) = (self.parsed(&old).await?, self.parsed(&new).await?);
        cpu(move || {
            DocDiff::compute(
                source.name(),
                (from, &old_p.doc),
                (to, &new_p.doc),
                DEFAULT_DIFF_CHARS,
            )
        })
        .await
    }

    /// Every stored version of `source`, oldest first.
    pub async fn versions(&self, source: Source) -> Result<Vec<VersionInfo>, DocsError> {
        let store = self.inner.store.clone();
        blocking(move || store.list_versions(source.name())).await
    }

    /// The Rulebook from the cached docs (no network); built-in defaults if nothing is cached.
    pub async fn rulebook(&self) -> Result<Arc<Rulebook>, DocsError> {
        let store = self.inner.store.clone();
        let (spec, runtime) = blocking(move || {
            Ok((
                store.latest_version(Source::Pipelines.name())?,
                store.latest_version(Source::Runtime.name())?,
            ))
        })
        .await?;
        let key = (
            spec.as_ref().map(|v| v.sha256.clone()).unwrap_or_default(),
            runtime
                .as_ref()
                .map(|v| v.sha256.clone())
                .unwrap_or_default(),
        );
        if let Some((k, book)) = &self.memory().rulebook
            && *k == key
        {
            return Ok(book.clone());
        }
        let parsed = match spec.as_ref() {
            Some(s) => Some((s, self.parsed(s).await?)),
            None => None,
        };
        let book = Arc::new(crate::extract::derive(
            parsed.as_ref().map(|(s, p)| (*s, &p.doc)),
            runtime.as_ref(),
        ));
        self.memory().rulebook = Some((key, book.clone()));
        Ok(book)
    }

    /// A whole document (refreshed first if older than the TTL).
    pub async fn document(&self, source: Source) -> Result<DocumentView, DocsError> {
        let (version, freshness) = self.current(source).await?;
        Ok(DocumentView {
            freshness,
            body: version.body,
        })
    }

    // ---- internals -------------------------------------------------------------------

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.inner.memory.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn url(&self, source: Source) -> &str {
        self.inner.config.urls.get(source)
    }

    /// The sectioned, indexed document (built off the async threads, then kept).
    async fn parsed(&self, version: &DocVersion) -> Result<Arc<Parsed>, DocsError> {
        if let Some(p) = self.memory().parsed.get(&version.sha256) {
            return Ok(p.clone());
        }
        let body = version.body.clone();
        let parsed = cpu(move || {
            let doc = Sectioned::parse(&body);
            let index = SearchIndex::build(&doc);
            Arc::new(Parsed { doc, index })
        })
        .await?;
        let mut memory = self.memory();
        if memory.parsed.len() > 16 {
            memory.parsed.clear();
        }
        memory.parsed.insert(version.sha256.clone(), parsed.clone());
        Ok(parsed)
    }

    fn stale_reason(&self, source: Source) -> Option<String> {
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

    /// The latest version, refreshed first when older than the TTL (failures → stale).
    async fn current(&self, source: Source) -> Result<(DocVersion, Freshness), DocsError> {
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
            let expired = age_seconds(&state.checked_at) >= self.inner.config.ttl.as_secs();
            let recently_failed = self
                .memory()
                .failures
                .get(&source)
                .is_some_and(|(at, _)| at.elapsed() < RETRY_AFTER_FAILURE);
            if !expired || recently_failed {
                let freshness = self.freshness(source, &latest, &state.checked_at);
                return Ok((latest, freshness));
            }
        }
        self.refresh_expired(source).await?;
        let (state, latest) = self.state_and_latest(source).await?;
        match (state, latest) {
            (Some(state), Some(latest)) => {
                let freshness = self.freshness(source, &latest, &state.checked_at);
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
                self.memory().failures.remove(&source);
                let store = self.inner.store.clone();
                let at = checked_at.clone();
                blocking(move || {
                    store.mark_checked(
                        source.name(),
                        &at,
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
            Ok(Fetched::Body {
                body,
                validators: got,
            }) => {
                self.memory().failures.remove(&source);
                let store = self.inner.store.clone();
                let (u, at) = (url.clone(), checked_at.clone());
                let outcome = blocking(move || {
                    store.put_version(&NewVersion {
                        source: source.name(),
                        url: &u,
                        body: &body,
                        fetched_at: &at,
                        etag: got.etag.as_deref(),
                        last_modified: got.last_modified.as_deref(),
                    })
                })
                .await?;
                let diff = match outcome.previous.as_ref() {
                    Some(prev) => {
                        let old = self.parsed(prev).await?;
                        let new = self.parsed(&outcome.current).await?;
                        let versions = (prev.version, outcome.current.version);
                        Some(
                            cpu(move || {
                                DocDiff::compute(
                                    source.name(),
                                    (versions.0, &old.doc),
                                    (versions.1, &new.doc),
                                    DEFAULT_DIFF_CHARS,
                                )
                            })
                            .await?,
                        )
                    }
                    None => None,
                };
                if outcome.added {
                    tracing::info!(%source, version = outcome.current.version, "stored a new docs version");
                }
                self.report(source, url, &outcome.current, outcome.added, diff)
                    .await
            }
            Err(e) => {
                let reason = e.to_string();
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

/// Runs CPU-heavy work (parsing, indexing, diffing) off the async threads.
async fn cpu<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, DocsError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| DocsError::Task(e.to_string()))
}

/// Runs a blocking store call off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, DocsError> {
    crate::blocking::blocking(
        move || f().map_err(DocsError::from),
        |e| DocsError::Task(e.to_string()),
    )
    .await
}
