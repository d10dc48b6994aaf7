//! The accept loop: HTTP/1.1 connections with a header-read timeout and an idle timeout, a
//! cap on concurrent connections, and a shutdown that stops accepting, lets in-flight
//! requests finish within a grace period, then returns. When the pool is full, the connection
//! that has waited longest without completing its request headers (a slow or idle client) is
//! closed to make room (`pool`); only when every connection has a request in flight does a
//! newcomer get a quick 503 with `Retry-After`.

use std::{convert::Infallible, sync::Arc, time::Duration};

use axum::{Router, extract::Request};
use hyper::{body::Incoming, server::conn::http1, service::Service as _};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore},
};
use tokio_util::sync::CancellationToken;

use super::{
    pool::{Activity, Pool},
    sniff::{BodyWatch, Watched},
};

/// How long the accept loop waits for an evicted connection's slot.
const EVICTION_WAIT: Duration = Duration::from_millis(250);

/// Connection-level limits (see `serve --help`).
#[derive(Debug, Clone)]
pub struct ConnLimits {
    /// A client must send a complete request head within this time.
    pub header_read_timeout: Duration,
    /// A connection with no request in flight is closed after this long.
    pub idle_timeout: Duration,
    /// Most connections open at once; more get 503.
    pub max_connections: usize,
    /// On SIGTERM/SIGINT, how long in-flight requests may still take.
    pub shutdown_grace: Duration,
    /// Request body limit (chunk-size declarations beyond it are answered at once).
    pub max_body_bytes: usize,
}

/// Which request of its connection this is (1-based), and the connection's body watch.
#[derive(Clone)]
pub struct RequestSeq {
    /// 1-based position on the connection.
    pub seq: u64,
    /// What the connection's reader saw of the body framing.
    pub watch: Arc<BodyWatch>,
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains.
pub async fn run(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()>,
) {
    let max = limits.max_connections.clamp(1, u32::MAX as usize >> 3);
    let conns = Arc::new(Semaphore::new(max));
    let pool = Arc::new(Pool::default());
    let stop = CancellationToken::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: pending clients wait in the
                    // kernel's backlog until a connection closes.
                    tracing::warn!(error = %e, "accept failed; retrying shortly");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let permit = match conns.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            // Full: close the longest-waiting connection without a request head, and take
            // its slot as soon as its task lets go.
            Err(_) if pool.evict_longest_waiting() => {
                tokio::time::timeout(EVICTION_WAIT, conns.clone().acquire_owned())
                    .await
                    .ok()
                    .and_then(Result::ok)
            }
            Err(_) => None,
        };
        match permit {
            Some(permit) => {
                tokio::spawn(serve_conn(
                    stream,
                    router.clone(),
                    limits.clone(),
                    stop.clone(),
                    permit,
                    pool.clone(),
                ));
            }
            None => {
                tracing::warn!(
                    max,
                    "connection limit reached with every connection busy; answering 503"
                );
                metrics::counter!("mcp_pipelines_rejected_total",
                    "status" => "503", "reason" => "connections")
                .increment(1);
                tokio::spawn(reject_busy(stream));
            }
        }
    }
    drop(listener);
    let in_use = max - conns.available_permits();
    tracing::info!(
        connections = in_use,
        grace = ?limits.shutdown_grace,
        "shutting down: finishing in-flight requests"
    );
    stop.cancel();
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    match tokio::time::timeout(limits.shutdown_grace, conns.acquire_many(all)).await {
        Ok(_) => tracing::info!("all connections closed"),
        Err(_) => tracing::warn!(
            grace = ?limits.shutdown_grace,
            "shutdown grace period over with requests still in flight; cancelling them"
        ),
    }
}

async fn serve_conn(
    stream: TcpStream,
    router: Router,
    limits: ConnLimits,
    stop: CancellationToken,
    _permit: OwnedSemaphorePermit,
    pool: Arc<Pool>,
) {
    let watch = Arc::new(BodyWatch::default());
    let io = Watched::new(stream, limits.max_body_bytes as u64, watch.clone());
    let activity = Arc::new(Activity::new());
    let _registered = pool.register(activity.clone());
    metrics::gauge!("mcp_pipelines_open_connections").increment(1.0);
    let _open = OpenGauge;
    let tower = TowerToHyperService::new(router);
    let act = activity.clone();
    let svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        let (guard, seq) = act.begin();
        req.extensions_mut().insert(RequestSeq {
            seq,
            watch: watch.clone(),
        });
        let fut = tower.call(req);
        async move {
            let resp = fut.await;
            drop(guard);
            Ok::<_, Infallible>(match resp {
                Ok(r) => r,
                Err(never) => match never {},
            })
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    let mut conn = std::pin::pin!(conn);
    let tick = (limits.idle_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
    let mut ticker = tokio::time::interval(tick);
    let mut closing = false;
    loop {
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                break;
            }
            () = stop.cancelled(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            () = activity.evicted(), if !closing => {
                if activity.idle_for().is_some() {
                    // Still no request head: close now (dropping the connection).
                    metrics::counter!("mcp_pipelines_evicted_connections_total").increment(1);
                    break;
                }
                // A request started meanwhile: finish it, then close.
                if !closing {
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
            _ = ticker.tick(), if !closing => {
                if activity.idle_for().is_some_and(|d| d >= limits.idle_timeout) {
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
        }
    }
}

/// Keeps the open-connections gauge right however the connection task ends.
struct OpenGauge;

impl Drop for OpenGauge {
    fn drop(&mut self) {
        metrics::gauge!("mcp_pipelines_open_connections").decrement(1.0);
    }
}

/// Over the connection cap: a short 503 and close, without holding the slot of anyone else.
async fn reject_busy(mut stream: TcpStream) {
    const BODY: &str = "{\"error\":\"server busy: too many open connections; retry shortly\"}";
    let resp = format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(resp.as_bytes()).await;
        let _ = stream.shutdown().await;
        // Read what the client already sent, so closing does not reset the connection
        // before it has read the answer.
        let mut sink = [0u8; 4096];
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}
