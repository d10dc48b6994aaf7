//! HTTP: one conditional GET of one source, with timeouts.

use std::sync::Once;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};

/// Why a request did not produce a body or a 304.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client: {0}")]
    Client(String),
    /// No answer in time.
    #[error("{url} did not answer within {timeout:?}")]
    Timeout {
        /// The URL.
        url: String,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// Could not connect or the connection broke.
    #[error("{url} is unreachable: {message}")]
    Network {
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// The host answered with an error status.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The body was not UTF-8 text.
    #[error("{url} sent a body that is not UTF-8 text")]
    NotText {
        /// The URL.
        url: String,
    },
    /// The body is larger than the limit (reading stopped there).
    #[error("{url} sent a body larger than the {} limit for documents", human_bytes(*limit))]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
}

/// Largest document body accepted from the docs host.
pub const MAX_DOC_BYTES: u64 = 16 * 1024 * 1024;

/// Why a response body could not be read whole.
#[derive(Debug)]
pub enum BodyError {
    /// Over the limit (declared or while streaming).
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The connection failed while reading.
    Read(reqwest::Error),
}

/// Reads a response body of at most `limit` bytes: a larger declared length is refused
/// before reading, and a body without one is counted as it streams, never held whole.
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<Vec<u8>, BodyError> {
    let declared = response.content_length();
    if declared.is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge { limit });
    }
    let mut out = Vec::with_capacity(usize::try_from(declared.unwrap_or(0)).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if (out.len() + chunk.len()) as u64 > limit {
            return Err(BodyError::TooLarge { limit });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// `16 MiB`, `512 KiB`, `300 bytes`.
pub fn human_bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

impl FetchError {
    /// Whether trying again later may help.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout { .. } | FetchError::Network { .. } => true,
            FetchError::Status { status, .. } => *status >= 500 || *status == 429,
            FetchError::Client(_) | FetchError::NotText { .. } | FetchError::TooLarge { .. } => {
                false
            }
        }
    }
}

/// Validators from a previous response.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    /// Sent as `If-None-Match`.
    pub etag: Option<String>,
    /// Sent as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

/// What the host answered.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// 304: the cached body is current.
    NotModified {
        /// The validators in the 304, if any.
        validators: Validators,
    },
    /// 200 with a body.
    Body {
        /// The body.
        body: String,
        /// The validators to store.
        validators: Validators,
    },
}

/// Installs the `ring` rustls provider once per process (a provider already installed
/// by someone else is fine).
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The HTTP client: timeouts on connect and on every whole request, a body size cap.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
    max_body: u64,
}

/// Statuses retried once (GET is idempotent): a transient server error.
const RETRY_ONCE: [u16; 2] = [500, 502];
/// The pause before that retry.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

impl Fetcher {
    /// Builds the client.
    pub fn new(timeout: Duration, connect_timeout: Duration) -> Result<Fetcher, FetchError> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .user_agent(concat!("mcp-pipelines/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Fetcher {
            client,
            timeout,
            max_body: MAX_DOC_BYTES,
        })
    }

    /// The same client with another body limit.
    #[must_use]
    pub fn with_max_body(mut self, max_body: u64) -> Fetcher {
        self.max_body = max_body;
        self
    }

    /// GETs `url`, conditionally when `validators` are given; a 500 or 502 is retried once.
    pub async fn get(&self, url: &str, validators: &Validators) -> Result<Fetched, FetchError> {
        match self.get_once(url, validators).await {
            Err(FetchError::Status { status, .. }) if RETRY_ONCE.contains(&status) => {
                tracing::debug!(url, status, "retrying the docs fetch once");
                tokio::time::sleep(RETRY_PAUSE).await;
                self.get_once(url, validators).await
            }
            other => other,
        }
    }

    async fn get_once(&self, url: &str, validators: &Validators) -> Result<Fetched, FetchError> {
        let mut request = self.client.get(url);
        if let Some(etag) = &validators.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, lm);
        }
        let response = request.send().await.map_err(|e| self.classify(url, &e))?;
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let got = Validators {
            etag: header(ETAG),
            last_modified: header(LAST_MODIFIED),
        };
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified { validators: got });
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
            });
        }
        let bytes = read_capped(response, self.max_body)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge { limit } => FetchError::TooLarge {
                    url: url.to_owned(),
                    limit,
                },
                BodyError::Read(e) => self.classify(url, &e),
            })?;
        let body = String::from_utf8(bytes).map_err(|_| FetchError::NotText {
            url: url.to_owned(),
        })?;
        Ok(Fetched::Body {
            body,
            validators: got,
        })
    }

    fn classify(&self, url: &str, e: &reqwest::Error) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout {
                url: url.to_owned(),
                timeout: self.timeout,
            }
        } else {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                message.push_str(": ");
                message.push_str(&s.to_string());
                source = s.source();
            }
            FetchError::Network {
                url: url.to_owned(),
                message,
            }
        }
    }
}
