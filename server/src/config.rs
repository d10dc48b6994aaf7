//! Runtime configuration assembled from the command line and the environment.

use std::{fmt, path::PathBuf, time::Duration};

use anyhow::Context;

use crate::cli::GlobalArgs;

/// Everything the server and the CLI verbs need to know. `Debug` never shows secrets.
#[derive(Clone)]
pub struct Config {
    /// Cache directory (docs store, schema cache, virtualenvs).
    pub cache_dir: PathBuf,
    /// Replicate API base URL.
    pub replicate_base_url: String,
    /// `REPLICATE_API_TOKEN`, if set. Never logged.
    pub replicate_token: Option<String>,
    /// Docs freshness.
    pub docs_ttl: Duration,
    /// Pipelines spec URL.
    pub docs_url: String,
    /// Runtime requirements URL.
    pub runtime_url: String,
    /// Cog docs URL.
    pub cog_docs_url: String,
    /// `MCP_PIPELINES_PYTHON`: the interpreter for local runs (else discovered).
    pub python: Option<PathBuf>,
    /// `MCP_PIPELINES_RUNS_DIR`: where run dirs (project copies) go (else `<cache>/runs`).
    pub runs_dir: Option<PathBuf>,
    /// Run outputs older than this are pruned when a run starts (zero: never).
    pub outputs_max_age: Duration,
    /// Venvs unused for this long are pruned when a run starts (zero: never).
    pub venvs_max_age: Duration,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("cache_dir", &self.cache_dir)
            .field("replicate_base_url", &self.replicate_base_url)
            .field(
                "replicate_token",
                &self.replicate_token.as_ref().map(|_| "<redacted>"),
            )
            .field("docs_ttl", &self.docs_ttl)
            .field("docs_url", &self.docs_url)
            .field("runtime_url", &self.runtime_url)
            .field("cog_docs_url", &self.cog_docs_url)
            .field("python", &self.python)
            .field("outputs_max_age", &self.outputs_max_age)
            .field("venvs_max_age", &self.venvs_max_age)
            .finish()
    }
}

impl Config {
    /// Builds the configuration from the global flags and the environment.
    pub fn from_args(g: &GlobalArgs) -> anyhow::Result<Self> {
        let cache_dir = match &g.cache_dir {
            Some(d) => d.clone(),
            None => default_cache_dir().context(
                "no platform cache directory found; pass --cache-dir DIR or set MCP_PIPELINES_CACHE_DIR",
            )?,
        };
        let replicate_token = std::env::var("REPLICATE_API_TOKEN")
            .ok()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        Ok(Self {
            cache_dir,
            replicate_base_url: g.replicate_base_url.trim_end_matches('/').to_string(),
            replicate_token,
            docs_ttl: g.docs_ttl,
            docs_url: g.docs_url.clone(),
            runtime_url: g.runtime_url.clone(),
            cog_docs_url: g.cog_docs_url.clone(),
            python: std::env::var_os("MCP_PIPELINES_PYTHON")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
            runs_dir: std::env::var_os("MCP_PIPELINES_RUNS_DIR")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
            outputs_max_age: g.outputs_max_age,
            venvs_max_age: g.venvs_max_age,
        })
    }
}

fn default_cache_dir() -> Option<PathBuf> {
    dirs::cache_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".cache")))
        .map(|d| d.join("mcp-pipelines"))
}
