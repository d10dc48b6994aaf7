//! Errors of the schema tools, each with the next step an agent can take.

/// Where to get an API token.
pub const TOKEN_URL: &str = "https://replicate.com/account/api-tokens";

/// Why a model schema or a search could not be served.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// The reference is not `owner/name` or `owner/name:version`. No request was made.
    #[error(
        "invalid model reference {reference:?}: {reason}; write it as \"owner/name\" or \"owner/name:version\""
    )]
    InvalidRef {
        /// The reference as given.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The search query is empty.
    #[error("the search query is empty; describe the task, e.g. \"text to image\"")]
    EmptyQuery,
    /// The API answered 401/403.
    #[error("Replicate rejected the request ({status}): set REPLICATE_API_TOKEN ({hint})")]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// Whether a token was sent, and where to get one.
        hint: String,
    },
    /// No such model.
    #[error("no model {model} on Replicate (404); try search_models to find the right owner/name")]
    ModelNotFound {
        /// `owner/name`.
        model: String,
    },
    /// No such version of the model (or no such model).
    #[error(
        "no version {version} of {model} on Replicate (404); drop \":{version}\" to use the latest version, or try search_models if the model name is wrong"
    )]
    VersionNotFound {
        /// `owner/name`.
        model: String,
        /// The version id asked for.
        version: String,
    },
    /// The model has no version with an OpenAPI schema.
    #[error("{model} has no published version with a schema, so it cannot be called yet")]
    NoSchema {
        /// `owner/name`.
        model: String,
    },
    /// Still rate limited after the bounded retries.
    #[error("Replicate is rate limiting requests (429){}; wait and try again", retry_hint(*.retry_after_secs))]
    RateLimited {
        /// The server's last `Retry-After`, in seconds.
        retry_after_secs: Option<u64>,
    },
    /// Any other error status.
    #[error("Replicate API error {status} for {path}: {detail}; try again later")]
    Api {
        /// HTTP status.
        status: u16,
        /// The request path.
        path: String,
        /// The RFC 7807 `detail` (or `title`), if any.
        detail: String,
    },
    /// The API could not be reached (and nothing usable was cached).
    #[error(
        "cannot reach Replicate at {base_url} ({message}) and no cached schema is available; check the network or REPLICATE_BASE_URL, then retry"
    )]
    Unreachable {
        /// The base URL.
        base_url: String,
        /// What failed (connect, timeout, …).
        message: String,
    },
    /// The API's answer was not what Replicate returns.
    #[error("unexpected response from Replicate for {path}: {message}")]
    InvalidResponse {
        /// The request path.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// The local cache failed (the fetch itself may still have worked).
    #[error("schema cache error: {0}")]
    Cache(#[source] CacheError),
}

/// A failure of the schema cache: the store's error, or its blocking task's, kept as the
/// error value itself (shared, so [`SchemaError`] stays `Clone`).
#[derive(Debug, Clone)]
pub struct CacheError(std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl CacheError {
    /// The underlying error, e.g. to downcast to `pipelines_docs_cache::StoreError`.
    pub fn inner(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self.0.as_ref()
    }
}

impl std::fmt::Display for CacheError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for CacheError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Two cache errors are equal when they are the same failure.
impl PartialEq for CacheError {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl From<pipelines_docs_cache::StoreError> for SchemaError {
    fn from(e: pipelines_docs_cache::StoreError) -> Self {
        SchemaError::Cache(CacheError(std::sync::Arc::new(e)))
    }
}

impl From<tokio::task::JoinError> for SchemaError {
    fn from(e: tokio::task::JoinError) -> Self {
        SchemaError::Cache(CacheError(std::sync::Arc::new(e)))
    }
}

fn retry_hint(secs: Option<u64>) -> String {
    secs.map(|s| format!(" and asks to retry after {s} s"))
        .unwrap_or_default()
}

impl SchemaError {
    /// Whether trying again later may succeed (rate limits, server and network errors).
    pub fn is_transient(&self) -> bool {
        match self {
            SchemaError::RateLimited { .. } | SchemaError::Unreachable { .. } => true,
            SchemaError::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }
}
