//! The issuer's signing keys, fetched and cached: the JWKS URL comes from `--oauth-jwks-url`
//! or from the issuer's metadata (RFC 8414 `/.well-known/oauth-authorization-server`, else
//! OpenID `/.well-known/openid-configuration`). A token whose `kid` is not in the cache
//! triggers one refetch, at most once a minute (rotation without letting a stream of bogus
//! `kid`s hammer the IdP); a set older than an hour is refreshed in the background. Tokens
//! that verified are remembered for a few minutes (`verify::TokenCache`).

use std::{
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use tokio::sync::Mutex;

use super::verify::{self, KeySet, Refusal, TokenCache, Verified};

/// Unknown-`kid` refetches happen at most this often.
const UNKNOWN_KID_INTERVAL: Duration = Duration::from_secs(60);
/// While no key was ever fetched, retry at most this often.
const COLD_RETRY_INTERVAL: Duration = Duration::from_secs(5);
/// A key set older than this is refreshed (in the background).
const MAX_AGE: Duration = Duration::from_secs(3600);
/// Largest metadata or JWKS document read.
const MAX_DOC_BYTES: usize = 1024 * 1024;

#[derive(Default)]
struct FetchState {
    jwks_url: Option<String>,
    last_attempt: Option<Instant>,
    last_unknown_kid: Option<Instant>,
    fetched_at: Option<Instant>,
}

/// The keys of one issuer.
pub struct IssuerKeys {
    issuer: String,
    http: reqwest::Client,
    current: RwLock<Arc<KeySet>>,
    fetch: Mutex<FetchState>,
    verified: TokenCache,
}

impl IssuerKeys {
    /// Keys of `issuer`, from `jwks_url` when given (else discovered from the metadata).
    pub fn new(issuer: &str, jwks_url: Option<String>) -> anyhow::Result<Arc<IssuerKeys>> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("mcp-pipelines/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Arc::new(IssuerKeys {
            issuer: issuer.to_string(),
            http,
            current: RwLock::new(Arc::new(KeySet::default())),
            fetch: Mutex::new(FetchState {
                jwks_url,
                ..FetchState::default()
            }),
            verified: TokenCache::default(),
        }))
    }

    fn snapshot(&self) -> Arc<KeySet> {
        match self.current.read() {
            Ok(k) => k.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Fetches the keys unless a token already did (at start-up); logs and carries on when
    /// the IdP is unreachable.
    pub async fn warm(self: &Arc<Self>) {
        let mut st = self.fetch.lock().await;
        if !self.snapshot().is_empty() {
            return;
        }
        if let Err(e) = self.refetch(&mut st).await {
            tracing::warn!(issuer = %self.issuer, error = %e,
                "cannot fetch the issuer's signing keys yet; will retry when a token arrives");
        }
    }

    /// Verifies `token` for `audience`, refetching the keys once for an unknown `kid`.
    pub async fn verify(
        self: &Arc<Self>,
        token: &str,
        audience: &str,
    ) -> Result<Verified, Refusal> {
        let now = verify::unix_now();
        if let Some(v) = self.verified.get(token, audience, now) {
            return Ok(v);
        }
        let (kid, _) = verify::header_kid(token)?;
        let mut keys = self.snapshot();
        let known = match &kid {
            Some(kid) => keys.has_kid(kid),
            None => !keys.is_empty(),
        };
        if !known {
            keys = self.refresh_for_unknown(kid.as_deref()).await;
        } else {
            self.refresh_if_old();
        }
        let v = verify::verify(token, &keys, &self.issuer, audience)?;
        self.verified.put(token, audience, &v, now);
        Ok(v)
    }

    async fn refresh_for_unknown(self: &Arc<Self>, kid: Option<&str>) -> Arc<KeySet> {
        let mut st = self.fetch.lock().await;
        // Someone else may have fetched while we waited.
        let keys = self.snapshot();
        if kid.is_some_and(|k| keys.has_kid(k)) || (kid.is_none() && !keys.is_empty()) {
            return keys;
        }
        let now = Instant::now();
        let allowed = if keys.is_empty() {
            st.last_attempt
                .is_none_or(|t| now.duration_since(t) >= COLD_RETRY_INTERVAL)
        } else {
            st.last_unknown_kid
                .is_none_or(|t| now.duration_since(t) >= UNKNOWN_KID_INTERVAL)
        };
        if !allowed {
            return keys;
        }
        if !keys.is_empty() {
            st.last_unknown_kid = Some(now);
        }
        if let Err(e) = self.refetch(&mut st).await {
            tracing::warn!(issuer = %self.issuer, error = %e, "cannot refetch the issuer's signing keys");
        }
        self.snapshot()
    }

    fn refresh_if_old(self: &Arc<Self>) {
        let Ok(mut st) = self.fetch.try_lock() else {
            return;
        };
        let old = st.fetched_at.is_some_and(|t| t.elapsed() >= MAX_AGE);
        let recently_tried = st
            .last_attempt
            .is_some_and(|t| t.elapsed() < COLD_RETRY_INTERVAL);
        if !old || recently_tried {
            return;
        }
        st.last_attempt = Some(Instant::now());
        drop(st);
        let me = self.clone();
        tokio::spawn(async move {
            let mut st = me.fetch.lock().await;
            if let Err(e) = me.refetch(&mut st).await {
                tracing::warn!(issuer = %me.issuer, error = %e, "cannot refresh the issuer's signing keys");
            }
        });
    }

    async fn refetch(&self, st: &mut FetchState) -> Result<(), String> {
        st.last_attempt = Some(Instant::now());
        let url = match &st.jwks_url {
            Some(u) => u.clone(),
            None => {
                let u = self.discover_jwks_url().await?;
                st.jwks_url = Some(u.clone());
                u
            }
        };
        let body = self.get(&url).await?;
        let set = KeySet::from_jwks(&body).map_err(|e| format!("{url}: {e}"))?;
        if set.is_empty() {
            return Err(format!("{url} holds no RS256, ES256 or EdDSA signing key"));
        }
        tracing::info!(issuer = %self.issuer, keys = set.len(), "fetched the issuer's signing keys");
        metrics::counter!("mcp_pipelines_oauth_jwks_fetches_total").increment(1);
        if let Ok(mut cur) = self.current.write() {
            *cur = Arc::new(set);
        }
        // Keys may have been withdrawn: check every token against the new set.
        self.verified.clear();
        st.fetched_at = Some(Instant::now());
        Ok(())
    }

    /// The `jwks_uri` of the issuer's metadata (RFC 8414, else OpenID Connect discovery).
    async fn discover_jwks_url(&self) -> Result<String, String> {
        let mut tried = Vec::new();
        for url in metadata_urls(&self.issuer) {
            match self.get(&url).await {
                Ok(body) => {
                    let doc: serde_json::Value = serde_json::from_slice(&body)
                        .map_err(|e| format!("{url} is not JSON: {e}"))?;
                    let named = doc["issuer"].as_str().unwrap_or_default();
                    if named.trim_end_matches('/') != self.issuer.trim_end_matches('/') {
                        return Err(format!(
                            "{url} names issuer {named:?}, not {:?} (RFC 8414 §3.3)",
                            self.issuer
                        ));
                    }
                    return doc["jwks_uri"]
                        .as_str()
                        .map(str::to_string)
                        .ok_or_else(|| format!("{url} has no jwks_uri; pass --oauth-jwks-url"));
                }
                Err(e) => tried.push(e),
            }
        }
        Err(format!(
            "no authorization server metadata found ({}); pass --oauth-jwks-url",
            tried.join("; ")
        ))
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        let resp = self
            .http
            .get(url)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("{url}: HTTP {}", resp.status().as_u16()));
        }
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_DOC_BYTES as u64)
        {
            return Err(format!("{url}: document larger than {MAX_DOC_BYTES} bytes"));
        }
        let body = resp.bytes().await.map_err(|e| format!("{url}: {e}"))?;
        if body.len() > MAX_DOC_BYTES {
            return Err(format!("{url}: document larger than {MAX_DOC_BYTES} bytes"));
        }
        Ok(body.to_vec())
    }
}

/// Where the issuer's metadata may be: RFC 8414 (well-known inserted before the path), then
/// OpenID Connect discovery (appended to the issuer).
fn metadata_urls(issuer: &str) -> Vec<String> {
    let trimmed = issuer.trim_end_matches('/');
    let mut urls = Vec::new();
    if let Ok(u) = url::Url::parse(trimmed) {
        let origin = u.origin().ascii_serialization();
        let path = u.path().trim_end_matches('/');
        urls.push(format!(
            "{origin}/.well-known/oauth-authorization-server{path}"
        ));
    }
    urls.push(format!("{trimmed}/.well-known/openid-configuration"));
    urls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_urls_follow_rfc8414_then_openid() {
        assert_eq!(
            metadata_urls("https://idp.example"),
            [
                "https://idp.example/.well-known/oauth-authorization-server",
                "https://idp.example/.well-known/openid-configuration"
            ]
        );
        assert_eq!(
            metadata_urls("https://idp.example/realms/team/"),
            [
                "https://idp.example/.well-known/oauth-authorization-server/realms/team",
                "https://idp.example/realms/team/.well-known/openid-configuration"
            ]
        );
    }
}
