//! What a POST to `/mcp` must be before the MCP service sees it: a body that arrives in time
//! and within the limit (413 at once for a chunked body declaring more), one JSON-RPC message
//! (else a JSON-RPC parse error or invalid-request error, HTTP 400 as the streamable-HTTP
//! transport prescribes for input the server cannot accept), and for `tools/call` a free slot
//! among the in-flight tool calls (else 503 with `Retry-After`).

use std::{sync::Arc, time::Duration};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::listener::RequestSeq;
use crate::jsonrpc::{
    INVALID_REQUEST, PARSE_ERROR, error_message, id_from_bytes, invalid_reason, recover_id,
};

/// Server-defined: busy.
const SERVER_BUSY: i64 = -32000;

/// Limits on POSTed messages.
pub struct MessageLimits {
    /// Request body limit in bytes.
    pub max_body_bytes: usize,
    /// The whole body must arrive within this.
    pub request_timeout: Duration,
    /// Free slots for concurrent `tools/call` requests.
    pub in_flight: Arc<Semaphore>,
    /// The configured number of slots (for the message).
    pub max_in_flight: usize,
}

/// A JSON-RPC error response with HTTP `status`.
pub fn rpc_error(status: StatusCode, id: Value, code: i64, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        error_message(id, code, message).to_string(),
    )
        .into_response()
}

/// The middleware (after Host/Origin checks and authentication).
pub async fn check_message(
    State(limits): State<Arc<MessageLimits>>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let seq = parts.extensions.get::<RequestSeq>().cloned();
    let bytes = match read_body(&limits, body, seq).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return rpc_error(
                StatusCode::BAD_REQUEST,
                id_from_bytes(&bytes).unwrap_or(Value::Null),
                PARSE_ERROR,
                &format!("Parse error: the body is not JSON ({e})"),
            );
        }
    };
    // Batches (JSON arrays) are left to the MCP service, which answers them per its version.
    if !value.is_array()
        && let Some(reason) = invalid_reason(&value)
    {
        return rpc_error(
            StatusCode::BAD_REQUEST,
            recover_id(&value),
            INVALID_REQUEST,
            reason,
        );
    }
    if let Some(resp) = super::auth::check_scope(parts.extensions.get(), &value) {
        return resp;
    }
    let permit = if value.get("method").and_then(Value::as_str) == Some("tools/call") {
        match limits.in_flight.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => {
                tracing::warn!(
                    max = limits.max_in_flight,
                    "in-flight tool call limit reached; answering 503"
                );
                let mut resp = rpc_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    recover_id(&value),
                    SERVER_BUSY,
                    &format!(
                        "server busy: {} tool calls already running (--max-in-flight); retry shortly",
                        limits.max_in_flight
                    ),
                );
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return resp;
            }
        }
    } else {
        None
    };
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    drop(permit);
    resp
}

async fn read_body(
    limits: &MessageLimits,
    body: Body,
    seq: Option<RequestSeq>,
) -> Result<Bytes, Response> {
    let too_large = || {
        let mut resp = super::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "request body larger than {} bytes (--max-body-bytes)",
                limits.max_body_bytes
            ),
        );
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        resp
    };
    let declared_too_much = async {
        match &seq {
            Some(s) => s.watch.oversized(s.seq).await,
            None => std::future::pending().await,
        }
    };
    if seq.as_ref().is_some_and(|s| s.watch.is_oversized(s.seq)) {
        return Err(too_large());
    }
    let read = tokio::time::timeout(
        limits.request_timeout,
        axum::body::to_bytes(body, limits.max_body_bytes),
    );
    tokio::select! {
        () = declared_too_much => Err(too_large()),
        res = read => match res {
            Ok(Ok(b)) => Ok(b),
            Ok(Err(e)) => {
                let over = std::error::Error::source(&e)
                    .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
                if over {
                    Err(too_large())
                } else {
                    Err(super::error(StatusCode::BAD_REQUEST, &format!("could not read the request body: {e}")))
                }
            }
            Err(_) => {
                let mut resp = super::error(
                    StatusCode::REQUEST_TIMEOUT,
                    &format!(
                        "the request body did not arrive within {} (--request-timeout)",
                        humantime::format_duration(limits.request_timeout)
                    ),
                );
                resp.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                Err(resp)
            }
        },
    }
}
