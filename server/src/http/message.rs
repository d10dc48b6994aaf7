//! What a POST to `/mcp` must be before the MCP service sees it: a body that arrives in time
//! and within the limit (413 at once for a chunked body declaring more), one JSON-RPC message
//! (else a JSON-RPC parse error or invalid-request error, HTTP 400 as the streamable-HTTP
//! transport prescribes for input the server cannot accept), the caller's scope (403), and for
//! `tools/call` a slot among the in-flight tool calls, after a bounded wait (`admission`).

use std::time::Duration;

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::Value;

use super::{
    admission::{Admission, Refused},
    listener::RequestSeq,
};
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
    /// Slots and queue for `tools/call` requests.
    pub admission: Admission,
}

/// The POSTed message as `check_message` parsed it (request extension), so the fast path
/// does not parse the body again. The body itself is passed on unchanged for rmcp.
#[derive(Clone)]
pub struct ParsedMessage(pub Value);

/// A JSON-RPC error response with HTTP `status`.
pub fn rpc_error(status: StatusCode, id: Value, code: i64, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        error_message(id, code, message).to_string(),
    )
        .into_response()
}

/// The message checks (after Host/Origin checks and authentication), then `inner` with the
/// request (holding the in-flight slot of a tool call until `inner`'s response is made).
pub async fn check_message<F, Fut>(limits: &MessageLimits, req: Request, inner: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    if req.method() != Method::POST {
        return inner(req).await;
    }
    let (parts, body) = req.into_parts();
    let seq = parts.extensions.get::<RequestSeq>().cloned();
    let bytes = match read_body(limits, body, seq).await {
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
    let info = super::metrics::CallInfo::of(&value);
    if let Some(resp) = super::auth::check_scope(parts.extensions.get(), &value) {
        if let Some(tool) = &info.tool {
            super::audit::refused(parts.extensions.get(), tool, "insufficient_scope");
        }
        return resp;
    }
    let mut parts = parts;
    let permit = if info.tool.is_some() {
        match limits.admission.admit().await {
            Ok(p) => Some(p),
            Err(refused) => {
                return busy(
                    &limits.admission,
                    refused,
                    &parts,
                    &info,
                    recover_id(&value),
                );
            }
        }
    } else {
        None
    };
    parts.extensions.insert(info);
    parts.extensions.insert(ParsedMessage(value));
    let resp = inner(Request::from_parts(parts, Body::from(bytes))).await;
    drop(permit);
    resp
}

/// The 503 for a tool call that found no free slot: logged, counted and audited.
fn busy(
    a: &Admission,
    refused: Refused,
    parts: &axum::http::request::Parts,
    info: &super::metrics::CallInfo,
    id: Value,
) -> Response {
    tracing::warn!(
        max_in_flight = a.max_in_flight,
        max_queued = a.max_queued,
        reason = refused.label(),
        "tool call not admitted; answering 503"
    );
    ::metrics::counter!("mcp_pipelines_rejected_total",
        "status" => "503", "reason" => refused.label())
    .increment(1);
    if let Some(tool) = &info.tool {
        super::audit::refused(parts.extensions.get(), tool, refused.label());
    }
    let why = match refused {
        Refused::QueueFull => format!(
            "{} tool calls already running (--max-in-flight) and {} waiting (--max-queued)",
            a.max_in_flight, a.max_queued
        ),
        Refused::TimedOut => format!(
            "no free slot among {} (--max-in-flight) within {} (--queue-timeout)",
            a.max_in_flight,
            humantime::format_duration(a.timeout)
        ),
    };
    let mut resp = rpc_error(
        StatusCode::SERVICE_UNAVAILABLE,
        id,
        SERVER_BUSY,
        &format!("server busy: {why}; retry shortly"),
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    resp
}

async fn read_body(
    limits: &MessageLimits,
    body: Body,
    seq: Option<RequestSeq>,
) -> Result<Bytes, Response> {
    let too_large = || {
        ::metrics::counter!("mcp_pipelines_rejected_total",
            "status" => "413", "reason" => "body_too_large")
        .increment(1);
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
