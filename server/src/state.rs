//! The state every handler shares: one store, one docs cache, one Replicate client.

use pipelines_docs_cache::{DocsCache, DocsConfig, SourceUrls, Store};
use pipelines_tools::{
    run_local::{PythonSearch, RunConfig},
    schema::{ReplicateClient, ReplicateConfig},
};

use crate::{config::Config, prompts::Prompts};

/// Shared by every handler and transport, behind one `Arc`.
pub struct AppState {
    /// Configuration.
    pub config: Config,
    /// Parsed prompts.
    pub prompts: Prompts,
    /// The docs cache (over the shared store).
    pub docs: DocsCache,
    /// The Replicate API client and schema cache (over the shared store).
    pub replicate: ReplicateClient,
    /// Whether this server exposes `run_locally` (stdio/CLI: yes; HTTP: only with `--allow-run`).
    pub allow_run: bool,
    /// Hosted mode: tools take inline files; paths on the server's disk are refused.
    pub hosted: bool,
}

impl AppState {
    /// Builds the state for a local (stdio/CLI) server.
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let store = Store::open(&config.cache_dir)?;
        let docs = DocsCache::new(docs_config(&config), store.clone())?;
        let replicate = ReplicateClient::new(replicate_config(&config), store)?;
        Ok(Self {
            prompts: Prompts::embedded()?,
            docs,
            replicate,
            config,
            allow_run: true,
            hosted: false,
        })
    }
}

impl AppState {
    /// Settings for local runs (default requirements come from the Rulebook at run time).
    pub fn run_config(&self) -> RunConfig {
        let mut c = RunConfig::new(&self.config.cache_dir, Vec::new());
        c.python = PythonSearch::from_env(self.config.python.clone());
        c.replicate_api_token = self.config.replicate_token.clone();
        c.replicate_base_url = Some(self.config.replicate_base_url.clone());
        c
    }
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
