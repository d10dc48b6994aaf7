//! The checks every request to the protected routes passes, as one middleware (`protect`):
//! Host/Origin (DNS-rebinding protection), authentication, the declared body length, then
//! the message checks, and for `/mcp` the metrics watch around the fast path.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::Response,
};

use super::{auth, error, fast_call, message, metrics};

/// What `check_request` checks against.
pub(super) struct Guard {
    pub(super) auth: Arc<auth::Auth>,
    pub(super) allowed_hosts: Vec<String>,
    pub(super) allowed_origins: Vec<String>,
    pub(super) max_body_bytes: usize,
}

/// What the protected routes' checks use.
pub(super) struct Checks {
    pub(super) guard: Arc<Guard>,
    pub(super) messages: Arc<message::MessageLimits>,
    pub(super) fast: Arc<fast_call::FastCall>,
}

/// The checks of the protected routes, in order: Host/Origin, authentication and the
/// declared body length (`check_request`); the message checks and a tool call's in-flight
/// slot (`message::check_message`); then, for `/mcp`, the metrics watch and audit line
/// (`metrics::observe`) around the fast path (`fast_call::answer`), which answers plain
/// calls and passes anything else to rmcp's service.
pub(super) async fn protect(
    State(c): State<Arc<Checks>>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let fast = c.fast.clone();
    check_request(&c.guard, req, |req| {
        message::check_message(&c.messages, req, |req| async move {
            if is_mcp_path(req.uri().path()) {
                metrics::observe(req, |req| fast_call::answer(fast, req, next)).await
            } else {
                next.run(req).await
            }
        })
    })
    .await
}

/// The paths the MCP service is nested at.
fn is_mcp_path(path: &str) -> bool {
    path == "/mcp" || path.starts_with("/mcp/")
}

async fn check_request<F, Fut>(g: &Guard, req: Request<Body>, inner: F) -> Response
where
    F: FnOnce(Request<Body>) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let headers = req.headers();
    // 1. DNS-rebinding protection first: a forged Host/Origin learns nothing else.
    let mut hosts = headers.get_all(header::HOST).iter();
    let host = match (hosts.next(), hosts.next()) {
        (Some(_), Some(_)) => {
            return error(StatusCode::BAD_REQUEST, "more than one Host header");
        }
        (Some(h), None) => match h.to_str().map(str::trim) {
            Ok(h) if !h.is_empty() => Some(h.to_string()),
            _ => return error(StatusCode::BAD_REQUEST, "empty or unreadable Host header"),
        },
        (None, _) => req.uri().authority().map(|a| a.to_string()),
    };
    match host {
        Some(h) if host_allowed(&h, &g.allowed_hosts) => {}
        Some(_) => {
            tracing::warn!("rejected request: Host not allowed");
            ::metrics::counter!("mcp_pipelines_rejected_total", "status" => "403", "reason" => "host")
                .increment(1);
            return error(
                StatusCode::FORBIDDEN,
                "Host header not allowed; the operator can add it with --allowed-host",
            );
        }
        None => return error(StatusCode::BAD_REQUEST, "missing Host header"),
    }
    let mut origins = headers.get_all(header::ORIGIN).iter();
    if let (Some(_), Some(_)) = (origins.next(), origins.next()) {
        tracing::warn!("rejected request: several Origin headers");
        return error(
            StatusCode::FORBIDDEN,
            "more than one Origin header; send exactly one",
        );
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ok = origin
            .to_str()
            .is_ok_and(|o| origin_allowed(o, &g.allowed_origins));
        if !ok {
            tracing::warn!("rejected request: Origin not allowed");
            ::metrics::counter!("mcp_pipelines_rejected_total", "status" => "403", "reason" => "origin")
                .increment(1);
            return error(
                StatusCode::FORBIDDEN,
                "Origin not allowed; the operator can add it with --allowed-origin",
            );
        }
    }
    // 2. Authentication (the resource metadata is public).
    let mut req = req;
    if !req.uri().path().starts_with("/.well-known/") {
        match g.auth.authenticate(req.headers()).await {
            Ok(Some(principal)) => {
                req.extensions_mut().insert(principal);
            }
            Ok(None) => {}
            Err(resp) => return resp,
        }
    }
    let headers = req.headers();
    // 3. Body limit by declared length (streamed bodies are limited by the MCP service).
    let too_long = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > g.max_body_bytes as u64);
    if too_long {
        ::metrics::counter!("mcp_pipelines_rejected_total", "status" => "413", "reason" => "body_too_large")
            .increment(1);
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("request body larger than {} bytes", g.max_body_bytes),
        );
    }
    inner(req).await
}

/// Splits `host[:port]` / `[v6]:port` into (host, port).
fn split_authority(a: &str) -> (String, Option<&str>) {
    let a = a.trim();
    if let Some(rest) = a.strip_prefix('[')
        && let Some((h, tail)) = rest.split_once(']')
    {
        return (h.to_ascii_lowercase(), tail.strip_prefix(':'));
    }
    match a.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.chars().all(|c| c.is_ascii_digit()) => {
            (h.to_ascii_lowercase(), Some(p))
        }
        _ => (a.to_ascii_lowercase(), None),
    }
}

fn is_loopback_host(h: &str) -> bool {
    h == "localhost"
        || h.ends_with(".localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn host_allowed(value: &str, extra: &[String]) -> bool {
    let (host, port) = split_authority(value);
    if is_loopback_host(&host) {
        return true;
    }
    extra.iter().any(|e| {
        let (eh, ep) = split_authority(e);
        match ep {
            Some(ep) => eh == host && Some(ep) == port,
            None => eh == host,
        }
    })
}

fn origin_allowed(origin: &str, extra: &[String]) -> bool {
    let o = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    if extra.contains(&o) {
        return true;
    }
    let Some((scheme, authority)) = o.split_once("://") else {
        return false;
    };
    if scheme != "http" && scheme != "https" {
        return false;
    }
    let (host, port) = split_authority(authority);
    if is_loopback_host(&host) {
        return true;
    }
    // Allow an entry given without the scheme's default port to match it, and vice versa.
    let default_port = if scheme == "https" { "443" } else { "80" };
    let canonical = format!("{scheme}://{host}:{}", port.unwrap_or(default_port));
    extra.iter().any(|e| {
        e.split_once("://").is_some_and(|(es, ea)| {
            let (eh, ep) = split_authority(ea);
            let ed = if es == "https" { "443" } else { "80" };
            format!("{es}://{eh}:{}", ep.unwrap_or(ed)) == canonical
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let extra = vec![
            "mcp.example.com".to_string(),
            "api.example.com:8443".to_string(),
            "[2001:db8::7]:8848".to_string(),
            "[2001:db8::8]".to_string(),
            "API.Example.com:9000".to_string(),
        ];
        for ok in [
            "localhost",
            "localhost:8848",
            "127.0.0.1:1",
            "[::1]:8848",
            "mcp.example.com:443",
            "api.example.com:8443",
            "[2001:db8::7]:8848",
            "[2001:DB8::7]:8848",
            "[2001:db8::8]:1234",
            "api.example.com:9000",
        ] {
            assert!(host_allowed(ok, &extra), "{ok}");
        }
        for bad in [
            "evil.com",
            "evil.com:8848",
            "api.example.com:80",
            "127.0.0.1.evil.com",
            "[2001:db8::7]:80",
            "[2001:db8::9]:8848",
        ] {
            assert!(!host_allowed(bad, &extra), "{bad}");
        }
    }

    #[test]
    fn origins() {
        let extra = vec!["https://app.example.com".to_string()];
        for ok in [
            "http://localhost:3000",
            "http://127.0.0.1",
            "https://app.example.com",
            "https://app.example.com:443",
        ] {
            assert!(origin_allowed(ok, &extra), "{ok}");
        }
        for bad in [
            "https://evil.com",
            "null",
            "http://app.example.com",
            "file://localhost",
        ] {
            assert!(!origin_allowed(bad, &extra), "{bad}");
        }
    }
}
