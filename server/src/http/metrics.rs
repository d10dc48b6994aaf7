//! Prometheus metrics for a team host: `GET /metrics` (text format, rendered by
//! `metrics-exporter-prometheus` from what the `metrics` facade recorded here and in the
//! libraries), `GET /readyz` (200 once the docs cache holds a spec, else 503), and the
//! middleware that times every MCP request and labels it by method, tool and outcome.
//!
//! The recorder is installed only by `serve --http` with `--metrics` or `--metrics-addr`;
//! without it every `metrics::` call in the process is a no-op.

use std::{
    collections::HashSet,
    net::SocketAddr,
    sync::{Arc, Mutex, OnceLock},
    time::{Duration, Instant},
};

use anyhow::Context;
use axum::{
    Router,
    body::{Body, Bytes},
    extract::{Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use futures::StreamExt;
use http_body_util::BodyExt as _;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use pipelines_docs_cache::Source;

use super::{auth::Principal, chunks::Chunks};
use crate::state::AppState;

/// Latency buckets (seconds): sub-millisecond cached reads up to ten-minute runs.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 120.0, 300.0, 600.0,
];

/// Most distinct values a request-supplied label (method, tool) may take; beyond, "other".
const MAX_LABEL_VALUES: usize = 64;

/// The installed recorder.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
}

/// Installs the process-wide recorder (once) and starts its upkeep.
pub fn install() -> anyhow::Result<Metrics> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(h) = HANDLE.get() {
        return Ok(Metrics { handle: h.clone() });
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
        .context("metrics buckets")?
        .install_recorder()
        .context("cannot install the metrics recorder")?;
    describe();
    let h = HANDLE.get_or_init(|| handle).clone();
    let upkeep = h.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(Metrics { handle: h })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "mcp_pipelines_requests_total",
        "MCP requests answered, by JSON-RPC method, tool and outcome"
    );
    describe_histogram!(
        "mcp_pipelines_request_duration_seconds",
        "Time to answer an MCP request, by method and tool"
    );
    describe_gauge!(
        "mcp_pipelines_in_flight_requests",
        "MCP requests being answered now"
    );
    describe_gauge!(
        "mcp_pipelines_open_connections",
        "HTTP connections open now"
    );
    describe_gauge!(
        "mcp_pipelines_queued_requests",
        "Tool calls waiting for a free slot now"
    );
    describe_counter!(
        "mcp_pipelines_rejected_total",
        "Requests and connections refused, by HTTP status and reason"
    );
    describe_counter!(
        "mcp_pipelines_evicted_connections_total",
        "Connections closed before completing their request headers to make room"
    );
    describe_counter!(
        "mcp_pipelines_docs_cache_hits_total",
        "Docs reads served from a fresh cached copy"
    );
    describe_counter!(
        "mcp_pipelines_docs_cache_misses_total",
        "Docs reads with no cached copy (fetched)"
    );
    describe_counter!(
        "mcp_pipelines_docs_cache_refreshes_total",
        "Docs reads that refreshed an expired copy"
    );
    describe_counter!(
        "mcp_pipelines_docs_cache_stale_serves_total",
        "Docs reads served from a stale copy (the source could not be reached)"
    );
    describe_counter!(
        "mcp_pipelines_schema_cache_hits_total",
        "Model schemas served from the cache"
    );
    describe_counter!(
        "mcp_pipelines_schema_cache_misses_total",
        "Model schemas fetched from Replicate"
    );
    describe_counter!("mcp_pipelines_runs_total", "Local runs, by outcome");
    describe_histogram!(
        "mcp_pipelines_run_duration_seconds",
        "Local run durations, by outcome"
    );
    describe_counter!(
        "mcp_pipelines_venv_builds_total",
        "Virtualenv builds, by outcome"
    );
    describe_histogram!(
        "mcp_pipelines_venv_build_duration_seconds",
        "Virtualenv build durations"
    );
    describe_counter!(
        "mcp_pipelines_oauth_jwks_fetches_total",
        "Fetches of the OAuth issuer's signing keys"
    );
}

/// `GET /metrics`.
pub async fn render(State(m): State<Metrics>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        m.handle.render(),
    )
        .into_response()
}

/// `GET /readyz`: 200 when the docs cache holds a pipelines spec, else 503.
pub async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let ready = match state.services().await {
        Ok(services) => {
            let store = services.docs.store().clone();
            tokio::task::spawn_blocking(move || {
                store
                    .latest_version(Source::Pipelines.name())
                    .map(|v| v.is_some())
            })
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(false)
        }
        Err(_) => false,
    };
    let (status, body) = if ready {
        (StatusCode::OK, "{\"status\":\"ready\"}")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "{\"status\":\"not ready\",\"reason\":\"the docs cache holds no pipelines spec yet (run `mcp-pipelines docs fetch` or call fetch_llms_txt)\"}",
        )
    };
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Serves `/metrics`, `/readyz` and `/healthz` on their own listener (`--metrics-addr`).
pub async fn serve_separately(
    addr: SocketAddr,
    metrics: Metrics,
    state: Arc<AppState>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on --metrics-addr {addr}"))?;
    let local = listener.local_addr()?;
    eprintln!("mcp-pipelines metrics on http://{local}/metrics");
    let app = Router::new()
        .route("/metrics", get(render).with_state(metrics))
        .route("/readyz", get(readyz).with_state(state))
        .route("/healthz", get(|| async { "{\"status\":\"ok\"}" }));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(())
}

/// What `check_message` read of a POSTed message (request extension).
#[derive(Debug, Clone)]
pub struct CallInfo {
    /// The JSON-RPC method ("batch" for an array).
    pub method: Arc<str>,
    /// For `tools/call`: the tool's name.
    pub tool: Option<Arc<str>>,
}

impl CallInfo {
    /// From a parsed message.
    pub fn of(msg: &serde_json::Value) -> CallInfo {
        if msg.is_array() {
            return CallInfo {
                method: "batch".into(),
                tool: None,
            };
        }
        let method = msg
            .get("method")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("response");
        CallInfo {
            method: method.into(),
            tool: crate::jsonrpc::called_tool(msg).map(Into::into),
        }
    }
}

/// A label value from the request, bounded: the first [`MAX_LABEL_VALUES`] distinct values
/// per kind are kept, later ones are "other" (a client cannot grow the registry).
fn bounded(kind: usize, value: &str) -> String {
    static SEEN: [Mutex<Option<HashSet<String>>>; 2] = [Mutex::new(None), Mutex::new(None)];
    let Some(slot) = SEEN.get(kind) else {
        return "other".into();
    };
    let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
    let seen = guard.get_or_insert_with(HashSet::new);
    if seen.contains(value) {
        return value.to_string();
    }
    if seen.len() < MAX_LABEL_VALUES && value.len() <= 64 {
        seen.insert(value.to_string());
        return value.to_string();
    }
    "other".into()
}

/// Times an MCP request until its response body ends, then records it (and, for a tool
/// call, writes the audit line).
pub async fn observe<F, Fut>(req: Request, inner: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let Some(info) = req.extensions().get::<CallInfo>().cloned() else {
        return inner(req).await;
    };
    let principal = req.extensions().get::<Principal>().cloned();
    let watch = Watch {
        started: Instant::now(),
        info,
        principal,
        status: 0,
        outcome: None,
        recorded: false,
    };
    metrics::gauge!("mcp_pipelines_in_flight_requests").increment(1.0);
    let resp = inner(req).await;
    let (parts, body) = resp.into_parts();
    let mut watch = watch;
    watch.status = parts.status.as_u16();
    // A body already in memory (every JSON answer) is read here and passed on whole, so it
    // keeps its length (no chunked framing, no stream); only a stream (SSE) is watched as it
    // goes.
    if axum::body::HttpBody::size_hint(&body).exact().is_some() {
        let mut body = body;
        let mut chunks = Vec::new();
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => {
                    if let Ok(data) = frame.into_data() {
                        watch.see(&data);
                        chunks.push(data);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "response body failed");
                    watch.status = 500;
                    return super::error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "the response could not be produced",
                    );
                }
            }
        }
        drop(watch);
        return Response::from_parts(parts, Chunks::new(chunks).into());
    }
    let stream = body.into_data_stream().map(move |chunk| {
        if let Ok(bytes) = &chunk {
            watch.see(bytes);
        }
        chunk
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// Records one request when its response body is done (or dropped).
struct Watch {
    started: Instant,
    info: CallInfo,
    principal: Option<Principal>,
    status: u16,
    outcome: Option<&'static str>,
    recorded: bool,
}

impl Watch {
    /// Reads the outcome off the message bytes: the top-level `"error"` or `"result"` key
    /// near the start of the first chunk, and for a tool call `"isError":true` anywhere (it
    /// follows the content). Inside JSON strings quotes are escaped, so these markers only
    /// match the message's own structure.
    fn see(&mut self, bytes: &Bytes) {
        use memchr::memmem::find;
        if self.outcome.is_none() {
            let head = &bytes[..bytes.len().min(256)];
            match (find(head, b"\"result\":"), find(head, b"\"error\":{")) {
                (Some(r), Some(e)) if e < r => self.outcome = Some("rpc_error"),
                (None, Some(_)) => self.outcome = Some("rpc_error"),
                (Some(_), _) => self.outcome = Some("ok"),
                (None, None) => return,
            }
        }
        if self.outcome == Some("ok")
            && self.info.tool.is_some()
            && find(bytes, b"\"isError\":true").is_some()
        {
            self.outcome = Some("tool_error");
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if self.recorded {
            return;
        }
        self.recorded = true;
        metrics::gauge!("mcp_pipelines_in_flight_requests").decrement(1.0);
        let elapsed = self.started.elapsed();
        let outcome = match (self.status, self.outcome) {
            (200..=299, Some(o)) => o,
            (200..=299, None) => "ok",
            _ => "http_error",
        };
        let method = bounded(0, &self.info.method);
        let tool = self.info.tool.as_deref().map(|t| bounded(1, t));
        let tool_label = tool.clone().unwrap_or_default();
        metrics::counter!("mcp_pipelines_requests_total",
            "method" => method.clone(), "tool" => tool_label.clone(), "outcome" => outcome)
        .increment(1);
        metrics::histogram!("mcp_pipelines_request_duration_seconds",
            "method" => method, "tool" => tool_label)
        .record(elapsed.as_secs_f64());
        if let Some(tool) = &self.info.tool {
            super::audit::tool_call(self.principal.as_ref(), tool, outcome, elapsed);
        }
    }
}
