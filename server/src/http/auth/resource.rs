//! This server as an OAuth protected resource (RFC 9728): its identifier (`--oauth-audience`,
//! else the `/mcp` URL the request reached, from `Host` and `X-Forwarded-Proto`) and the
//! metadata document served at `/.well-known/oauth-protected-resource` and at the
//! path-suffixed `/.well-known/oauth-protected-resource/mcp`.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{Auth, OAuth};

/// `scheme://host[:port]` as the client reached this server (the Host header has already been
/// checked against the allowed hosts).
pub fn external_base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::trim)
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        }) {
        Some(s) if s == "https" => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// The path-suffixed metadata URL for the `/mcp` resource.
pub fn metadata_url(base: &str) -> String {
    format!("{base}/.well-known/oauth-protected-resource/mcp")
}

/// The resource identifier tokens must carry as `aud`.
pub fn resource_id(oauth: &OAuth, base: &str) -> String {
    match &oauth.opts.audience {
        Some(a) => a.clone(),
        None => format!("{base}/mcp"),
    }
}

/// `GET /.well-known/oauth-protected-resource[/mcp]`: 404 unless OAuth is configured.
pub async fn protected_resource_metadata(State(auth): State<Arc<Auth>>, req: Request) -> Response {
    let Some(oauth) = &auth.oauth else {
        return super::super::error(
            StatusCode::NOT_FOUND,
            "this server does not use OAuth (no --oauth-issuer)",
        );
    };
    let base = external_base(req.headers());
    let doc = serde_json::json!({
        "resource": resource_id(oauth, &base),
        "authorization_servers": [oauth.opts.issuer],
        "scopes_supported": oauth.opts.scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": "mcp-pipelines",
    });
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        doc.to_string(),
    )
        .into_response()
}
