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
}

impl FetchError {
    /// Whether trying again later may help.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout { .. } | FetchError::Network { .. } => true,
            FetchError::Status { status, .. } => *status >= 500 || *status == 429,
            FetchError::Client(_) | FetchError::NotText { .. } => false,
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

/// The HTTP client: timeouts on connect and on every whole request.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
}

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
        Ok(Fetcher { client, timeout })
    }

    /// GETs `url`, conditionally when `validators` are given.
    pub async fn get(&self, url: &str, validators: &Validators) -> Result<Fetched, FetchError> {
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
        let bytes = response.bytes().await.map_err(|e| self.classify(url, &e))?;
        let body = String::from_utf8(bytes.to_vec()).map_err(|_| FetchError::NotText {
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
