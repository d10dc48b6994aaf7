//! HTTP to the Replicate API: auth, timeouts, bounded retries honouring `Retry-After`.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::config::ReplicateConfig;
use super::error::{SchemaError, TOKEN_URL};

/// Retried statuses (GET only).
const RETRY_STATUSES: [u16; 3] = [429, 503, 504];
/// Retried once (GET only): a transient server error.
const RETRY_ONCE_STATUSES: [u16; 2] = [500, 502];
/// Largest API response body accepted.
pub(crate) const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
/// First backoff step when the server gives no `Retry-After`.
const BASE_BACKOFF: Duration = Duration::from_millis(200);

/// A failed API call, before it is given a model's context.
#[derive(Debug)]
pub(crate) enum ApiFailure {
    /// The server answered with an error status.
    Status {
        status: u16,
        detail: String,
        retry_after: Option<Duration>,
    },
    /// No answer: connect error, timeout, broken body.
    Network(String),
    /// The body is not JSON.
    Decode(String),
}

impl ApiFailure {
    /// Maps the failure to an actionable error. `not_found` is the error for a 404.
    pub fn into_error(
        self,
        config: &ReplicateConfig,
        path: &str,
        not_found: impl FnOnce() -> SchemaError,
    ) -> SchemaError {
        match self {
            ApiFailure::Status { status: 404, .. } => not_found(),
            ApiFailure::Status {
                status: status @ (401 | 403),
                ..
            } => SchemaError::Unauthorized {
                status,
                hint: if config.token.is_some() {
                    format!("the configured token was rejected; create a valid one at {TOKEN_URL}")
                } else {
                    format!("no token is configured; create one at {TOKEN_URL}")
                },
            },
            ApiFailure::Status {
                status: 429,
                retry_after,
                ..
            } => SchemaError::RateLimited {
                retry_after_secs: retry_after.map(|d| d.as_secs()),
            },
            ApiFailure::Status { status, detail, .. } => SchemaError::Api {
                status,
                path: path.to_owned(),
                detail,
            },
            ApiFailure::Network(message) => SchemaError::Unreachable {
                base_url: config.base().to_owned(),
                message,
            },
            ApiFailure::Decode(message) => SchemaError::InvalidResponse {
                path: path.to_owned(),
                message,
            },
        }
    }
}

/// The shared HTTP client. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    http: reqwest::Client,
    config: ReplicateConfig,
}

impl Api {
    pub fn new(config: ReplicateConfig) -> Result<Api, SchemaError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("mcp-pipelines/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SchemaError::Unreachable {
                base_url: config.base().to_owned(),
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Api { http, config })
    }

    pub fn config(&self) -> &ReplicateConfig {
        &self.config
    }

    /// `GET path` (with query pairs), retried on 429/503/504 within the configured bounds,
    /// and once on 500/502.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, ApiFailure> {
        let mut attempt = 0;
        loop {
            let request = self.request(Method::GET, path).query(query);
            match self.send(request).await {
                Err(ApiFailure::Status {
                    status,
                    detail,
                    retry_after,
                }) if (RETRY_STATUSES.contains(&status) && attempt < self.config.max_retries)
                    || (RETRY_ONCE_STATUSES.contains(&status)
                        && attempt < self.config.max_retries.min(1)) =>
                {
                    let wait = retry_after.unwrap_or(BASE_BACKOFF * 2u32.pow(attempt));
                    if wait > self.config.max_retry_wait {
                        return Err(ApiFailure::Status {
                            status,
                            detail,
                            retry_after,
                        });
                    }
                    tracing::debug!(path, status, ?wait, attempt, "retrying Replicate API call");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// A request with any method and a text body (for `QUERY /v1/models`). Not retried.
    pub async fn send_text(
        &self,
        method: Method,
        path: &str,
        body: String,
    ) -> Result<Value, ApiFailure> {
        let request = self
            .request(method, path)
            .header(reqwest::header::CONTENT_TYPE, "text/plain")
            .body(body);
        self.send(request).await
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let url = format!("{}{path}", self.config.base());
        let builder = self.http.request(method, url);
        match &self.config.token {
            Some(token) => builder.bearer_auth(token.expose()),
            None => builder,
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, ApiFailure> {
        let response = request.send().await.map_err(network)?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let bytes = pipelines_docs_cache::fetch::read_capped(response, MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| match e {
                pipelines_docs_cache::fetch::BodyError::TooLarge { limit } => {
                    ApiFailure::Decode(format!(
                        "the response is larger than the {} limit for API responses",
                        pipelines_docs_cache::fetch::human_bytes(limit)
                    ))
                }
                pipelines_docs_cache::fetch::BodyError::Read(e) => network(e),
            })?;
        if !status.is_success() {
            return Err(ApiFailure::Status {
                status: status.as_u16(),
                detail: problem_detail(status, &bytes),
                retry_after,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ApiFailure::Decode(format!("not JSON: {e}")))
    }
}

/// A network error's message, without the request URL's query (never holds the token,
/// which only travels in a header, but keeps messages short).
fn network(e: reqwest::Error) -> ApiFailure {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut message = kind.to_owned();
    let mut source = std::error::Error::source(&e);
    while let Some(inner) = source {
        message = format!("{message}: {inner}");
        source = inner.source();
    }
    ApiFailure::Network(message)
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// The RFC 7807 `detail` (or `title`) of an error body, else the status text.
fn problem_detail(status: StatusCode, body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(name))
            .and_then(Value::as_str)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    field("detail")
        .or_else(|| field("title"))
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_retry_after() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn reads_problem_details() {
        let body = br#"{"title":"Unauthenticated","detail":"You did not pass a valid authentication token","status":401}"#;
        assert_eq!(
            problem_detail(StatusCode::UNAUTHORIZED, body),
            "You did not pass a valid authentication token"
        );
        assert_eq!(
            problem_detail(StatusCode::BAD_GATEWAY, b"<html>"),
            "Bad Gateway"
        );
    }
}
