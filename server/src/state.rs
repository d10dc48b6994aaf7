//! The state every handler shares: one store, one docs cache, one Replicate client.

use std::path::PathBuf;

use pipelines_docs_cache::{DocsCache, DocsConfig, DocsError, SourceUrls, Store, StoreError};
use pipelines_tools::{
    request::Mode,
    run_local::{PythonSearch, RunConfig},
    schema::{ReplicateClient, ReplicateConfig, SchemaError},
};

use crate::{config::Config, fallback::FallbackError, prompts::Prompts};

/// Why the services (store, docs cache, Replicate client) could not be opened. The message
/// says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Neither the cache dir nor a temporary copy of it could be opened.
    #[error(
        "cannot open the cache at {}: {store}; nor a temporary copy: {copy} (set --cache-dir or MCP_PIPELINES_CACHE_DIR to a writable directory)",
        path.display()
    )]
    Cache {
        /// The cache dir.
        path: PathBuf,
        /// Why the cache dir's store did not open.
        #[source]
        store: Box<StoreError>,
        /// Why the temporary copy did not open either.
        copy: Box<FallbackError>,
    },
    /// The docs cache could not be set up.
    #[error(transparent)]
    Docs(#[from] DocsError),
    /// The Replicate client could not be set up.
    #[error(transparent)]
    Replicate(#[from] SchemaError),
    /// The task opening the services failed.
    #[error("internal error opening the cache: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// What the tools work with: one store shared by the docs cache and the schema cache.
pub struct Services {
    /// The docs cache.
    pub docs: DocsCache,
    /// The Replicate API client and schema cache.
    pub replicate: ReplicateClient,
    /// When the cache dir cannot be written: the temporary copy worked on instead (removed
    /// when the process exits).
    _fallback: Option<tempfile::TempDir>,
}

/// Shared by every handler and transport, behind one `Arc`.
pub struct AppState {
    /// Configuration.
    pub config: Config,
    /// Parsed prompts.
    pub prompts: Prompts,
    /// The store, docs cache and Replicate client, opened on first use so that start-up
    /// (the `initialize` answer) does not wait for the store or TLS set-up.
    services: tokio::sync::OnceCell<Services>,
    /// Local (stdio/CLI) or hosted (HTTP, with or without `--allow-run`): fixed at start.
    mode: Mode,
    /// What each run may do through its Replicate proxy (`--max-predictions`, `--allow-model`).
    pub proxy_limits: pipelines_tools::run_local::ProxyLimits,
}

impl AppState {
    /// Builds the state for a server in `mode` (a CLI verb runs as [`Mode::Local`]).
    pub fn new(config: Config, mode: Mode) -> anyhow::Result<Self> {
        Ok(Self {
            prompts: Prompts::embedded()?,
            services: tokio::sync::OnceCell::new(),
            config,
            mode,
            proxy_limits: pipelines_tools::run_local::ProxyLimits::default(),
        })
    }

    /// What this server offers.
    pub fn mode(&self) -> Mode {
        self.mode
    }
}

impl AppState {
    /// The services, opened on first use. The error says what to fix.
    pub async fn services(&self) -> Result<&Services, ServiceError> {
        self.services
            .get_or_try_init(|| async {
                let config = self.config.clone();
                tokio::task::spawn_blocking(move || open_services(&config)).await?
            })
            .await
    }

    /// Waits for background cache writes (before the process exits).
    pub async fn flush(&self) {
        if let Some(s) = self.services.get() {
            s.replicate.flush().await;
        }
    }

    /// Settings for local runs (default requirements come from the Rulebook at run time).
    pub fn run_config(&self) -> RunConfig {
        let mut c = RunConfig::new(&self.config.cache_dir, Vec::new());
        c.python = PythonSearch::from_env(self.config.python.clone());
        c.temp_dir = self.config.runs_dir.clone();
        c.replicate_api_token = self.config.replicate_token.clone();
        c.replicate_base_url = Some(self.config.replicate_base_url.clone());
        c.outputs_max_age = Some(self.config.outputs_max_age);
        c.venvs_max_age = Some(self.config.venvs_max_age);
        c.proxy_limits = self.proxy_limits.clone();
        c
    }
}

fn open_services(config: &Config) -> Result<Services, ServiceError> {
    let (store, fallback) = match Store::open(&config.cache_dir) {
        Ok(store) => (store, None),
        Err(e) => {
            let (store, temp) = match crate::fallback::open_copy(&config.cache_dir) {
                Ok(opened) => opened,
                Err(copy) => {
                    return Err(ServiceError::Cache {
                        path: config.cache_dir.clone(),
                        store: Box::new(e),
                        copy: Box::new(copy),
                    });
                }
            };
            tracing::warn!(
                "the cache at {} cannot be used ({e}); working on a temporary copy: cached docs \
                 and schemas are read, nothing fetched now is kept. Set --cache-dir or \
                 MCP_PIPELINES_CACHE_DIR to a writable directory",
                config.cache_dir.display()
            );
            (store, Some(temp))
        }
    };
    let docs = DocsCache::new(docs_config(config), store.clone())?;
    let replicate = ReplicateClient::new(replicate_config(config), store)?;
    Ok(Services {
        docs,
        replicate,
        _fallback: fallback,
    })
}

fn docs_config(config: &Config) -> DocsConfig {
    let mut d = DocsConfig::new(&config.cache_dir);
    d.urls = SourceUrls {
        pipelines: config.docs_url.clone(),
        runtime: config.runtime_url.clone(),
        cog: config.cog_docs_url.clone(),
    };
    d.ttl = config.docs_ttl;
    d
}

fn replicate_config(config: &Config) -> ReplicateConfig {
    ReplicateConfig::default()
        .with_base_url(&config.replicate_base_url)
        .with_token(config.replicate_token.as_deref())
}
