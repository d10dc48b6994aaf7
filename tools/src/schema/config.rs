//! Settings of the Replicate API client.

use std::time::Duration;

use super::token::ApiToken;

/// The default API base URL (paths are `/v1/...`).
pub const DEFAULT_BASE_URL: &str = "https://api.replicate.com";

/// How the client reaches Replicate and how long cached schemas stay fresh.
#[derive(Debug, Clone)]
pub struct ReplicateConfig {
    /// API base URL without `/v1` (`REPLICATE_BASE_URL`), default [`DEFAULT_BASE_URL`].
    pub base_url: String,
    /// `REPLICATE_API_TOKEN`; `None` sends no `Authorization` header.
    pub token: Option<ApiToken>,
    /// Whole-request timeout (default 30 s).
    pub timeout: Duration,
    /// How long a cached *latest* schema is served without asking the API (default 1 h).
    /// Pinned versions are immutable and cached forever.
    pub latest_ttl: Duration,
    /// Retries of a GET answered 429/503/504 (default 3).
    pub max_retries: u32,
    /// The longest single wait between retries; a larger `Retry-After` ends the retries
    /// with a rate-limit error instead of blocking (default 10 s).
    pub max_retry_wait: Duration,
}

impl Default for ReplicateConfig {
    fn default() -> Self {
        ReplicateConfig {
            base_url: DEFAULT_BASE_URL.to_owned(),
            token: None,
            timeout: Duration::from_secs(30),
            latest_ttl: Duration::from_secs(3600),
            max_retries: 3,
            max_retry_wait: Duration::from_secs(10),
        }
    }
}

impl ReplicateConfig {
    /// Defaults overridden by `REPLICATE_BASE_URL` and `REPLICATE_API_TOKEN` when set and
    /// non-empty.
    pub fn from_env() -> Self {
        let mut config = ReplicateConfig::default();
        if let Ok(url) = std::env::var("REPLICATE_BASE_URL")
            && !url.trim().is_empty()
        {
            config.base_url = url.trim().to_owned();
        }
        config.token = std::env::var("REPLICATE_API_TOKEN")
            .ok()
            .and_then(ApiToken::new);
        config
    }

    /// Sets the base URL.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Sets the token (`None` for no `Authorization` header).
    pub fn with_token(mut self, token: Option<&str>) -> Self {
        self.token = token.and_then(ApiToken::new);
        self
    }

    /// The base URL without a trailing slash.
    pub fn base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }
}
