//! The documents we cache, their default URLs and the env vars that override them.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One cached document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The pipeline spec (llms.txt).
    Pipelines,
    /// The runtime's Python package list (requirements.txt).
    Runtime,
    /// Cog's llms.txt.
    Cog,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 3] = [Source::Pipelines, Source::Runtime, Source::Cog];

    /// The name used in tools, the CLI and the store.
    pub fn name(self) -> &'static str {
        match self {
            Source::Pipelines => "pipelines",
            Source::Runtime => "runtime",
            Source::Cog => "cog",
        }
    }

    /// The URL used when the env var is not set.
    pub fn default_url(self) -> &'static str {
        match self {
            Source::Pipelines => "https://replicate.com/docs/reference/pipelines/llms.txt",
            Source::Runtime => "https://pipelines-runtime.replicate.delivery/requirements.txt",
            Source::Cog => "https://cog.run/llms.txt",
        }
    }

    /// The env var that overrides the URL (read by the server).
    pub fn env_var(self) -> &'static str {
        match self {
            Source::Pipelines => "MCP_PIPELINES_DOCS_URL",
            Source::Runtime => "MCP_PIPELINES_RUNTIME_URL",
            Source::Cog => "MCP_PIPELINES_COG_DOCS_URL",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown source name.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown docs source `{0}`; use pipelines, runtime, cog (or all)")]
pub struct UnknownSource(pub String);

impl FromStr for Source {
    type Err = UnknownSource;
    fn from_str(s: &str) -> Result<Source, UnknownSource> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pipelines" => Ok(Source::Pipelines),
            "runtime" => Ok(Source::Runtime),
            "cog" => Ok(Source::Cog),
            other => Err(UnknownSource(other.to_owned())),
        }
    }
}

/// Which sources a fetch covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceSel {
    /// One source (the default is `pipelines`).
    One(Source),
    /// Every source.
    #[default]
    All,
}

impl SourceSel {
    /// The selected sources.
    pub fn sources(self) -> Vec<Source> {
        match self {
            SourceSel::One(s) => vec![s],
            SourceSel::All => Source::ALL.to_vec(),
        }
    }
}

impl FromStr for SourceSel {
    type Err = UnknownSource;
    fn from_str(s: &str) -> Result<SourceSel, UnknownSource> {
        if s.trim().eq_ignore_ascii_case("all") {
            Ok(SourceSel::All)
        } else {
            s.parse().map(SourceSel::One)
        }
    }
}

/// As its name: one source's, or `all`.
impl Serialize for SourceSel {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(match self {
            SourceSel::One(source) => source.name(),
            SourceSel::All => "all",
        })
    }
}

/// In a tool's input schema: one source's name, or `all`. (Parsed by [`FromStr`].)
impl schemars::JsonSchema for SourceSel {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SourceSel".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "One document, or `all` of them.",
            "type": "string",
            "enum": ["pipelines", "runtime", "cog", "all"],
        })
    }
}

/// The URL of each source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceUrls {
    /// URL of the pipeline spec.
    pub pipelines: String,
    /// URL of the runtime package list.
    pub runtime: String,
    /// URL of cog's llms.txt.
    pub cog: String,
}

impl Default for SourceUrls {
    fn default() -> Self {
        SourceUrls {
            pipelines: Source::Pipelines.default_url().to_owned(),
            runtime: Source::Runtime.default_url().to_owned(),
            cog: Source::Cog.default_url().to_owned(),
        }
    }
}

impl SourceUrls {
    /// The URL for one source.
    pub fn get(&self, source: Source) -> &str {
        match source {
            Source::Pipelines => &self.pipelines,
            Source::Runtime => &self.runtime,
            Source::Cog => &self.cog,
        }
    }
}

/// Configuration of the docs cache.
#[derive(Debug, Clone)]
pub struct DocsConfig {
    /// The cache dir (the store lives in `<cache_dir>/store`).
    pub cache_dir: PathBuf,
    /// Where each source is fetched from.
    pub urls: SourceUrls,
    /// A cached copy older than this is refreshed before use (default 24 h).
    pub ttl: Duration,
    /// Total time allowed for one request, body included (default 20 s).
    pub timeout: Duration,
    /// Time allowed to connect (default 5 s).
    pub connect_timeout: Duration,
}

impl DocsConfig {
    /// Default TTL.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);
    /// Default total request timeout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
    /// Default connect timeout.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

    /// Defaults for everything but the cache dir.
    pub fn new(cache_dir: impl Into<PathBuf>) -> DocsConfig {
        DocsConfig {
            cache_dir: cache_dir.into(),
            urls: SourceUrls::default(),
            ttl: Self::DEFAULT_TTL,
            timeout: Self::DEFAULT_TIMEOUT,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
        }
    }
}
