//! Who may call `/mcp`: static bearer tokens (`--auth-token-file`,
//! `MCP_PIPELINES_AUTH_TOKENS`) and, with `--oauth-issuer`, OAuth 2.1 access tokens (JWTs)
//! as the MCP authorization spec (2025-06-18) describes a resource server: protected-resource
//! metadata (RFC 9728) at `/.well-known/oauth-protected-resource[/mcp]`, a 401 whose
//! `WWW-Authenticate` points at it, audience-bound tokens (no passthrough), and scopes
//! (`pipelines:read` for everything but `run_locally`, which needs `pipelines:run`; 403
//! `insufficient_scope` otherwise). Both kinds of token work side by side.

mod keys;
mod resource;
pub mod verify;

use std::sync::Arc;

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};
use serde_json::Value;
use subtle::ConstantTimeEq;

pub use keys::IssuerKeys;
pub use resource::protected_resource_metadata;

/// Scope for reading docs and schemas, searching, validating and scaffolding.
pub const SCOPE_READ: &str = "pipelines:read";
/// Scope for `run_locally`.
pub const SCOPE_RUN: &str = "pipelines:run";

/// OAuth settings of `serve --http`.
#[derive(Debug, Clone)]
pub struct OAuthOptions {
    /// `--oauth-issuer`.
    pub issuer: String,
    /// `--oauth-audience` (else this server's `/mcp` URL as the request reached it).
    pub audience: Option<String>,
    /// `--oauth-jwks-url` (else from the issuer's metadata).
    pub jwks_url: Option<String>,
    /// `--oauth-scopes`: advertised in the metadata.
    pub scopes: Vec<String>,
}

/// OAuth, ready to check tokens.
pub struct OAuth {
    opts: OAuthOptions,
    keys: Arc<IssuerKeys>,
}

/// Every way a request may authenticate.
pub struct Auth {
    tokens: Vec<Vec<u8>>,
    oauth: Option<OAuth>,
}

/// Who is calling, and what they may do (request extension set by [`Auth::authenticate`]).
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's `sub`, or `static-token-N` (its position among the static tokens).
    pub subject: Arc<str>,
    /// Granted scopes; `None` for a static token (every scope).
    pub scopes: Option<Arc<[String]>>,
    /// The metadata URL to point at in a 403 (OAuth only).
    metadata_url: Option<Arc<str>>,
}

impl Principal {
    /// Whether the caller holds `scope`.
    pub fn has(&self, scope: &str) -> bool {
        self.scopes
            .as_ref()
            .is_none_or(|s| s.iter().any(|g| g == scope))
    }
}

impl Auth {
    /// Static tokens plus, when given, an OAuth issuer.
    pub fn new(tokens: &[String], oauth: Option<OAuthOptions>) -> anyhow::Result<Auth> {
        let oauth = match oauth {
            Some(opts) => Some(OAuth {
                keys: IssuerKeys::new(&opts.issuer, opts.jwks_url.clone())?,
                opts,
            }),
            None => None,
        };
        Ok(Auth {
            tokens: tokens.iter().map(|t| t.as_bytes().to_vec()).collect(),
            oauth,
        })
    }

    /// Whether any authentication is configured.
    pub fn enabled(&self) -> bool {
        !self.tokens.is_empty() || self.oauth.is_some()
    }

    /// Fetches the issuer's keys ahead of the first token.
    pub async fn warm(&self) {
        if let Some(o) = &self.oauth {
            o.keys.warm().await;
        }
    }

    /// Authenticates a request by its `headers` (None when no auth is configured), or the 401 to answer.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Option<Principal>, Response> {
        if !self.enabled() {
            return Ok(None);
        }
        let presented = bearer(headers);
        if let Some(t) = presented
            && let Some(n) = static_token_index(t.as_bytes(), &self.tokens)
        {
            return Ok(Some(Principal {
                subject: format!("static-token-{n}").into(),
                scopes: None,
                metadata_url: None,
            }));
        }
        let Some(oauth) = &self.oauth else {
            return Err(unauthorized(
                presented.is_some(),
                None,
                "invalid bearer token",
            ));
        };
        let base = resource::external_base(headers);
        let metadata_url = resource::metadata_url(&base);
        let Some(token) = presented else {
            return Err(unauthorized(
                false,
                Some(&metadata_url),
                "missing bearer token",
            ));
        };
        let audience = resource::resource_id(oauth, &base);
        match oauth.keys.verify(token, &audience).await {
            Ok(v) => Ok(Some(Principal {
                subject: v.subject.into(),
                scopes: Some(v.scopes.into()),
                metadata_url: Some(metadata_url.into()),
            })),
            Err(refusal) => {
                tracing::warn!(
                    reason = refusal.label(),
                    "rejected request: access token refused"
                );
                metrics::counter!("mcp_pipelines_rejected_total",
                    "status" => "401", "reason" => refusal.label())
                .increment(1);
                Err(unauthorized(true, Some(&metadata_url), &refusal.describe()))
            }
        }
    }
}

/// The scope one JSON-RPC message needs.
fn scope_needed(msg: &Value) -> &'static str {
    if crate::jsonrpc::called_tool(msg) == Some("run_locally") {
        SCOPE_RUN
    } else {
        SCOPE_READ
    }
}

/// 403 `insufficient_scope` when the caller (request extension) lacks the scope `body` needs.
pub fn check_scope(principal: Option<&Principal>, body: &Value) -> Option<Response> {
    let p = principal?;
    let needed = match body {
        Value::Array(msgs) => msgs
            .iter()
            .map(scope_needed)
            .find(|s| !p.has(s))
            .unwrap_or(SCOPE_READ),
        one => scope_needed(one),
    };
    if p.has(needed) {
        return None;
    }
    tracing::warn!(subject = %p.subject, scope = needed, "rejected request: insufficient scope");
    metrics::counter!("mcp_pipelines_rejected_total",
        "status" => "403", "reason" => "insufficient_scope")
    .increment(1);
    let mut challenge = format!("Bearer error=\"insufficient_scope\", scope=\"{needed}\"");
    if let Some(m) = &p.metadata_url {
        challenge.push_str(&format!(", resource_metadata=\"{m}\""));
    }
    let mut resp = super::error(
        StatusCode::FORBIDDEN,
        &format!("insufficient_scope: this call needs the `{needed}` scope"),
    );
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    Some(resp)
}

fn unauthorized(token_sent: bool, metadata_url: Option<&str>, why: &str) -> Response {
    let mut challenge = String::from("Bearer realm=\"mcp-pipelines\"");
    if let Some(m) = metadata_url {
        challenge.push_str(&format!(", resource_metadata=\"{m}\""));
    }
    if token_sent {
        challenge.push_str(", error=\"invalid_token\"");
    }
    if metadata_url.is_none() {
        tracing::warn!(
            token_present = token_sent,
            "rejected request: authentication failed"
        );
        metrics::counter!("mcp_pipelines_rejected_total",
            "status" => "401", "reason" => if token_sent { "invalid_token" } else { "missing_token" })
        .increment(1);
    } else if !token_sent {
        metrics::counter!("mcp_pipelines_rejected_total",
            "status" => "401", "reason" => "missing_token")
        .increment(1);
    }
    let mut resp = super::error(
        StatusCode::UNAUTHORIZED,
        &format!("{why}: send `Authorization: Bearer <token>`"),
    );
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The 1-based position of the matching static token, comparing against every token
/// without short-circuiting, in constant time per token.
fn static_token_index(presented: &[u8], tokens: &[Vec<u8>]) -> Option<usize> {
    let mut found = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        let hit = bool::from(presented.ct_eq(t));
        found |= usize::from(hit) * (i + 1);
    }
    (found > 0).then_some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_tokens() {
        let toks = vec![b"alpha".to_vec(), b"beta".to_vec()];
        assert_eq!(static_token_index(b"beta", &toks), Some(2));
        assert_eq!(static_token_index(b"alpha", &toks), Some(1));
        assert_eq!(static_token_index(b"bet", &toks), None);
        assert_eq!(static_token_index(b"", &toks), None);
    }

    #[test]
    fn run_locally_needs_the_run_scope() {
        let call = |name: &str| {
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": name, "arguments": {}}})
        };
        assert_eq!(scope_needed(&call("run_locally")), SCOPE_RUN);
        assert_eq!(scope_needed(&call("get_docs")), SCOPE_READ);
        let reader = Principal {
            subject: "a".into(),
            scopes: Some(vec![SCOPE_READ.to_string()].into()),
            metadata_url: None,
        };
        assert!(check_scope(Some(&reader), &call("get_docs")).is_none());
        let resp = check_scope(Some(&reader), &call("run_locally")).expect("403");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        let batch = serde_json::json!([call("get_docs"), call("run_locally")]);
        assert!(check_scope(Some(&reader), &batch).is_some());
    }
}
