//! The facade the server calls: refresh, read, search and diff the cached docs, and
//! derive the Rulebook.
//!
//! - `get_docs` — the outline, section and search modes of [`DocsCache::get_docs`].
//! - `refresh` — fetching sources and keeping reads fresh (TTL, retry after failure).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::diff::{DEFAULT_DIFF_CHARS, DocDiff};
use crate::fetch::{FetchError, Fetcher};
use crate::results::DocumentView;
use crate::rulebook::Rulebook;
use crate::search::SearchIndex;
use crate::sections::Sectioned;
use crate::source::{DocsConfig, Source};
use crate::store::{DocVersion, Store, StoreError, VersionInfo};

mod get_docs;
mod read_key;
mod refresh;

pub use get_docs::GetDocsRequest;
pub use read_key::ReadKey;

/// Default cap on `get_docs` output, in characters.
pub const DEFAULT_MAX_CHARS: usize = 8000;

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
    /// The store's stamp when `rulebook` was last found current: while it holds, no store
    /// write happened since, and the Rulebook is returned without reading the store.
    rulebook_stamp: Vec<u8>,
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
        // Two tiny files' worth of reading, no sled: fine on an async thread.
        let stamp = self.inner.store.stamp();
        {
            let memory = self.memory();
            if !stamp.is_empty()
                && memory.rulebook_stamp == stamp
                && let Some((_, book)) = &memory.rulebook
            {
                return Ok(book.clone());
            }
        }
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
        {
            let mut memory = self.memory();
            if let Some((k, book)) = &memory.rulebook
                && *k == key
            {
                let book = book.clone();
                memory.rulebook_stamp = stamp;
                return Ok(book);
            }
        }
        let parsed = match spec.as_ref() {
            Some(s) => Some((s, self.parsed(s).await?)),
            None => None,
        };
        let book = Arc::new(crate::extract::derive(
            parsed.as_ref().map(|(s, p)| (*s, &p.doc)),
            runtime.as_ref(),
        ));
        let mut memory = self.memory();
        memory.rulebook = Some((key, book.clone()));
        memory.rulebook_stamp = stamp;
        Ok(book)
    }

    /// A whole document (refreshed first if older than the TTL).
    pub async fn document(&self, source: Source) -> Result<DocumentView, DocsError> {
        let (version, freshness) = self.current(source).await?;
        Ok(DocumentView {
            freshness,
            body: version.body,
            sha256: version.sha256,
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
