//! `serve --http`: stateless streamable HTTP at `/mcp`, `GET /healthz`, bearer-token auth,
//! Host/Origin validation (DNS-rebinding protection), a request body limit, connection and
//! in-flight limits (`listener`, `message`) and a draining shutdown. The transport knows
//! nothing of the tools.

mod admission;
mod audit;
pub use audit::LogWriter;
pub mod auth;
mod checks;
mod chunks;
mod fast_call;
pub mod fds;
mod listener;
mod message;
pub mod metrics;
mod pool;
mod result_cache;
mod sniff;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::{Context, bail};
use axum::{
    Router,
    http::{StatusCode, header},
    middleware,
    response::{IntoResponse, Response},
    routing::get,
};
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::never::NeverSessionManager,
};
use tokio_util::sync::CancellationToken;

use crate::{handler::PipelinesServer, state::AppState};

/// Options of `serve --http`, already validated.
#[derive(Clone)]
pub struct HttpOptions {
    /// Listen address.
    pub addr: SocketAddr,
    /// Accepted bearer tokens (empty = no auth).
    pub tokens: Vec<String>,
    /// OAuth 2.1 resource-server settings (`--oauth-issuer` and friends).
    pub oauth: Option<auth::OAuthOptions>,
    /// Extra allowed `Host` values.
    pub allowed_hosts: Vec<String>,
    /// Extra allowed `Origin` values.
    pub allowed_origins: Vec<String>,
    /// Request body limit in bytes.
    pub max_body_bytes: usize,
    /// Serve off loopback without tokens.
    pub insecure_no_auth: bool,
    /// A client must send a complete request head within this time.
    pub header_read_timeout: Duration,
    /// A request's body must arrive within this time.
    pub request_timeout: Duration,
    /// A connection with no request in flight is closed after this long.
    pub idle_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Most `tools/call` requests running at once.
    pub max_in_flight: usize,
    /// Most `tools/call` requests waiting for a slot.
    pub max_queued: usize,
    /// Longest wait for a slot.
    pub queue_timeout: Duration,
    /// How long in-flight requests may still take after SIGTERM/SIGINT.
    pub shutdown_grace: Duration,
    /// `--metrics`: serve `/metrics` on the main listener.
    pub metrics: bool,
    /// `--metrics-addr`: serve `/metrics` (and `/readyz`, `/healthz`) on their own listener.
    pub metrics_addr: Option<SocketAddr>,
}

impl std::fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpOptions")
            .field("addr", &self.addr)
            .field("tokens", &format_args!("<{} redacted>", self.tokens.len()))
            .field("oauth", &self.oauth)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("allowed_origins", &self.allowed_origins)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("max_in_flight", &self.max_in_flight)
            .field("max_queued", &self.max_queued)
            .field("queue_timeout", &self.queue_timeout)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("metrics", &self.metrics)
            .field("metrics_addr", &self.metrics_addr)
            .finish()
    }
}

/// Runs the HTTP server until SIGINT/SIGTERM.
pub async fn serve(state: Arc<AppState>, opts: HttpOptions) -> anyhow::Result<()> {
    let authn = Arc::new(auth::Auth::new(&opts.tokens, opts.oauth.clone())?);
    if !authn.enabled() && !opts.addr.ip().is_loopback() && !opts.insecure_no_auth {
        bail!(
            "refusing to serve on {} without authentication: anyone who can reach it could use the server. \
             Pass --oauth-issuer URL, set MCP_PIPELINES_AUTH_TOKENS=token1,token2 or pass --auth-token-file FILE \
             (or bind to 127.0.0.1; or pass --insecure-no-auth if a proxy in front authenticates)",
            opts.addr
        );
    }
    if !authn.enabled() {
        tracing::warn!("no auth configured: /mcp is open to anyone who can reach it");
    }
    // Fetch the issuer's keys in the background: an IdP that is slow to answer does not
    // delay listening (a token arriving first waits for the same fetch).
    let warming = authn.clone();
    tokio::spawn(async move { warming.warm().await });
    let recorder = if opts.metrics || opts.metrics_addr.is_some() {
        Some(metrics::install()?)
    } else {
        None
    };
    if let (Some(addr), Some(m)) = (opts.metrics_addr, &recorder) {
        metrics::serve_separately(addr, m.clone(), state.clone()).await?;
    }
    let ct = CancellationToken::new();
    let router = router(state, &opts, authn, ct.child_token());
    let router = match (&recorder, opts.metrics) {
        (Some(m), true) => router.route("/metrics", get(metrics::render).with_state(m.clone())),
        _ => router,
    };
    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .with_context(|| format!("cannot listen on {}", opts.addr))?;
    let local = listener.local_addr()?;
    let shutdown = shutdown_signal();
    // Always printed (not subject to RUST_LOG): scripts and tests read the bound address here.
    eprintln!("mcp-pipelines listening on http://{local}/mcp");
    tracing::info!(%local, tokens = opts.tokens.len(), oauth = opts.oauth.is_some(), "serving streamable HTTP");
    let limits = listener::ConnLimits {
        header_read_timeout: opts.header_read_timeout,
        idle_timeout: opts.idle_timeout,
        max_connections: opts.max_connections,
        shutdown_grace: opts.shutdown_grace,
        max_body_bytes: opts.max_body_bytes,
    };
    listener::run(listener, router, limits, async {
        shutdown.await;
        tracing::info!("shutdown signal received");
    })
    .await;
    // Whatever is still running after the grace period is cancelled now.
    ct.cancel();
    // Every audit line handed to the writer reaches the log before the process exits.
    tokio::task::spawn_blocking(audit::flush).await.ok();
    Ok(())
}

/// The axum router (also used by in-process tests).
pub fn router(
    state: Arc<AppState>,
    opts: &HttpOptions,
    authn: Arc<auth::Auth>,
    ct: CancellationToken,
) -> Router {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .disable_allowed_hosts()
        .with_max_request_body_bytes(opts.max_body_bytes)
        .with_cancellation_token(ct.clone());
    let ready_state = state.clone();
    // Issue 24: plain stateless `tools/call` requests skip rmcp's per-request service.
    let fast = fast_call::FastCall::new(PipelinesServer::new(state.clone()), ct);
    let mcp = StreamableHttpService::new(
        move || Ok(PipelinesServer::new(state.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    let guard = Arc::new(checks::Guard {
        auth: authn.clone(),
        allowed_hosts: opts
            .allowed_hosts
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        allowed_origins: opts
            .allowed_origins
            .iter()
            .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
            .collect(),
        max_body_bytes: opts.max_body_bytes,
    });
    let messages = Arc::new(message::MessageLimits {
        max_body_bytes: opts.max_body_bytes,
        request_timeout: opts.request_timeout,
        admission: admission::Admission::new(
            opts.max_in_flight,
            opts.max_queued,
            opts.queue_timeout,
        ),
    });
    // Layers run outside-in: Host/Origin and auth first, then the message checks.
    let metadata = Router::new()
        .route(
            "/.well-known/oauth-protected-resource",
            get(auth::protected_resource_metadata),
        )
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(auth::protected_resource_metadata),
        )
        .with_state(authn);
    // One layer for every check (see `protect`): each layer clones the service it wraps on
    // every request.
    let all_checks = Arc::new(checks::Checks {
        guard,
        messages,
        fast,
    });
    let protected = Router::new()
        .nest_service("/mcp", mcp)
        .merge(metadata)
        .layer(middleware::from_fn_with_state(all_checks, checks::protect));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(metrics::readyz).with_state(ready_state))
        .merge(protected)
}

async fn healthz() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        format!(
            "{{\"status\":\"ok\",\"name\":\"mcp-pipelines\",\"version\":\"{}\"}}",
            env!("CARGO_PKG_VERSION")
        ),
    )
}

pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message }).to_string();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Registers the SIGINT/SIGTERM handlers now and resolves when one arrives. Called before
/// the "listening" line is printed, so a signal sent as soon as a script reads it is not
/// lost (registering only when first polled left a window where SIGTERM killed the process).
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let streams = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        );
        async move {
            match streams {
                (Ok(mut int), Ok(mut term)) => {
                    tokio::select! {
                        _ = int.recv() => {},
                        _ = term.recv() => {},
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
