//! The fake OAuth 2.1 authorization server: RFC 8414 metadata (and the OpenID form), a JWKS,
//! dynamic client registration (RFC 7591), an authorization endpoint that approves at once
//! (302 back to the client's redirect URI with `code`, `state` and `iss`), and a token
//! endpoint for `authorization_code` with PKCE S256 (RFC 7636) that honours the `resource`
//! parameter (RFC 8707) as the token's audience. Tests also mint tokens directly
//! ([`Issuer::token`]) to try what a real IdP would never sign: expired, foreign audience,
//! another issuer, unknown `kid`, `alg: none`, HMAC keyed with the public key.
//!
//! Signing keys are test-only fixtures (`fixtures/oauth/*.pem`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use axum::{
    Form, Json, Router,
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

/// A signing key the issuer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// RSA 2048, RS256, kid `rsa-1` (published at start).
    Rsa1,
    /// RSA 2048, RS256, kid `rsa-2` (published only after [`Issuer::rotate`]).
    Rsa2,
    /// P-256, ES256, kid `ec-1` (published at start).
    Ec1,
    /// Ed25519, EdDSA, kid `ed-1` (published at start).
    Ed1,
}

impl Key {
    /// The key's `kid`.
    pub fn kid(self) -> &'static str {
        match self {
            Key::Rsa1 => "rsa-1",
            Key::Rsa2 => "rsa-2",
            Key::Ec1 => "ec-1",
            Key::Ed1 => "ed-1",
        }
    }

    /// The key's signing algorithm.
    pub fn alg(self) -> Algorithm {
        match self {
            Key::Rsa1 | Key::Rsa2 => Algorithm::RS256,
            Key::Ec1 => Algorithm::ES256,
            Key::Ed1 => Algorithm::EdDSA,
        }
    }

    fn encoding_key(self) -> EncodingKey {
        match self {
            Key::Rsa1 => EncodingKey::from_rsa_pem(include_bytes!("../fixtures/oauth/rsa1.pem")),
            Key::Rsa2 => EncodingKey::from_rsa_pem(include_bytes!("../fixtures/oauth/rsa2.pem")),
            Key::Ec1 => EncodingKey::from_ec_pem(include_bytes!("../fixtures/oauth/ec1.pem")),
            Key::Ed1 => EncodingKey::from_ed_pem(include_bytes!("../fixtures/oauth/ed1.pem")),
        }
        .expect("fixture key parses")
    }

    /// The public JWK (with `kid`, `alg`, `use: sig`).
    pub fn jwk(self) -> Value {
        let jwk = Jwk::from_encoding_key(&self.encoding_key(), self.alg()).expect("public JWK");
        let mut v = serde_json::to_value(jwk).expect("JWK serializes");
        v["kid"] = json!(self.kid());
        v["use"] = json!("sig");
        v
    }
}

/// What a token says; [`Claims::for_resource`] gives a valid one.
#[derive(Debug, Clone)]
pub struct Claims {
    /// `iss` (None: left out).
    pub iss: Option<String>,
    /// `aud` (None: left out).
    pub aud: Option<Value>,
    /// `sub`.
    pub sub: String,
    /// `scope` (space-separated).
    pub scope: Option<String>,
    /// `exp`, seconds from now (negative: in the past).
    pub exp_in: i64,
    /// `nbf`, seconds from now (None: left out).
    pub nbf_in: Option<i64>,
}

#[derive(Default)]
struct Inner {
    published: Vec<Key>,
    clients: HashMap<String, Vec<String>>,
    codes: HashMap<String, PendingCode>,
    /// Scopes the authorization endpoint grants (None: whatever was asked).
    grantable: Option<Vec<String>>,
    tokens_issued: Vec<Value>,
}

struct PendingCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scope: String,
    resource: Option<String>,
}

struct Shared {
    base: String,
    inner: Mutex<Inner>,
    jwks_fetches: AtomicUsize,
    metadata_fetches: AtomicUsize,
    /// Only the OpenID form of the metadata is served.
    openid_only: bool,
}

/// The running issuer; stops when dropped.
pub struct Issuer {
    /// `http://127.0.0.1:PORT` — the issuer identifier (`iss`).
    pub url: String,
    shared: Arc<Shared>,
    _stop: oneshot::Sender<()>,
}

impl Issuer {
    /// Starts the issuer on 127.0.0.1:0 publishing `rsa-1`, `ec-1` and `ed-1`, with RFC 8414
    /// metadata.
    pub async fn start() -> Issuer {
        Self::start_with(false).await
    }

    /// Like [`Issuer::start`], serving only `/.well-known/openid-configuration`.
    pub async fn start_openid_only() -> Issuer {
        Self::start_with(true).await
    }

    async fn start_with(openid_only: bool) -> Issuer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let shared = Arc::new(Shared {
            base: base.clone(),
            inner: Mutex::new(Inner {
                published: vec![Key::Rsa1, Key::Ec1, Key::Ed1],
                ..Inner::default()
            }),
            jwks_fetches: AtomicUsize::new(0),
            metadata_fetches: AtomicUsize::new(0),
            openid_only,
        });
        let app = Router::new()
            .route(
                "/.well-known/oauth-authorization-server",
                get(oauth_metadata),
            )
            .route("/.well-known/openid-configuration", get(openid_metadata))
            .route("/jwks", get(jwks))
            .route("/register", post(register))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Issuer {
            url: base,
            shared,
            _stop: tx,
        }
    }

    /// The JWKS URL.
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.url)
    }

    /// Publishes `rsa-2` beside the others (a key rotation).
    pub fn rotate(&self) {
        let mut inner = self.shared.inner.lock().unwrap();
        if !inner.published.contains(&Key::Rsa2) {
            inner.published.push(Key::Rsa2);
        }
    }

    /// How many times the JWKS was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.shared.jwks_fetches.load(Ordering::SeqCst)
    }

    /// How many times either metadata document was fetched.
    pub fn metadata_fetches(&self) -> usize {
        self.shared.metadata_fetches.load(Ordering::SeqCst)
    }

    /// Limits what the authorization endpoint grants (e.g. only `pipelines:read`).
    pub fn grant_only(&self, scopes: &[&str]) {
        self.shared.inner.lock().unwrap().grantable =
            Some(scopes.iter().map(|s| s.to_string()).collect());
    }

    /// The claims of every token the token endpoint issued.
    pub fn tokens_issued(&self) -> Vec<Value> {
        self.shared.inner.lock().unwrap().tokens_issued.clone()
    }

    /// Valid claims for `resource` with `scope`.
    pub fn claims(&self, resource: &str, scope: &str) -> Claims {
        Claims {
            iss: Some(self.url.clone()),
            aud: Some(json!(resource)),
            sub: "alice@example.com".into(),
            scope: Some(scope.into()),
            exp_in: 600,
            nbf_in: None,
        }
    }

    /// A JWT with `claims`, signed by `key` with its `kid`.
    pub fn token(&self, key: Key, claims: &Claims) -> String {
        sign(key, claims_json(claims))
    }

    /// A JWT with header `{"alg":"none"}` and no signature.
    pub fn unsigned_token(&self, claims: &Claims) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"none","typ":"JWT","kid":"rsa-1"}"#);
        let body = b64.encode(claims_json(claims).to_string());
        format!("{header}.{body}.")
    }

    /// A JWT signed HS256 with the bytes of `key`'s published JWK as the secret (the
    /// classic algorithm-confusion attack), carrying `key`'s `kid`.
    pub fn hmac_with_public_key(&self, key: Key, claims: &Claims) -> String {
        let secret = key.jwk().to_string();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key.kid().into());
        jsonwebtoken::encode(
            &header,
            &claims_json(claims),
            &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
        )
        .unwrap()
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims_json(c: &Claims) -> Value {
    let mut v = json!({ "sub": c.sub, "exp": now() + c.exp_in, "iat": now() });
    if let Some(iss) = &c.iss {
        v["iss"] = json!(iss);
    }
    if let Some(aud) = &c.aud {
        v["aud"] = aud.clone();
    }
    if let Some(scope) = &c.scope {
        v["scope"] = json!(scope);
    }
    if let Some(nbf) = c.nbf_in {
        v["nbf"] = json!(now() + nbf);
    }
    v
}

fn sign(key: Key, claims: Value) -> String {
    let mut header = Header::new(key.alg());
    header.kid = Some(key.kid().into());
    jsonwebtoken::encode(&header, &claims, &key.encoding_key()).unwrap()
}

fn metadata(s: &Shared) -> Value {
    let b = &s.base;
    json!({
        "issuer": b,
        "authorization_endpoint": format!("{b}/authorize"),
        "token_endpoint": format!("{b}/token"),
        "registration_endpoint": format!("{b}/register"),
        "jwks_uri": format!("{b}/jwks"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": ["pipelines:read", "pipelines:run"],
        "authorization_response_iss_parameter_supported": true,
    })
}

async fn oauth_metadata(State(s): State<Arc<Shared>>) -> Response {
    if s.openid_only {
        return StatusCode::NOT_FOUND.into_response();
    }
    s.metadata_fetches.fetch_add(1, Ordering::SeqCst);
    Json(metadata(&s)).into_response()
}

async fn openid_metadata(State(s): State<Arc<Shared>>) -> Response {
    s.metadata_fetches.fetch_add(1, Ordering::SeqCst);
    let mut m = metadata(&s);
    m["subject_types_supported"] = json!(["public"]);
    m["id_token_signing_alg_values_supported"] = json!(["RS256"]);
    Json(m).into_response()
}

async fn jwks(State(s): State<Arc<Shared>>) -> Response {
    s.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let keys: Vec<Value> = s
        .inner
        .lock()
        .unwrap()
        .published
        .iter()
        .map(|k| k.jwk())
        .collect();
    Json(json!({ "keys": keys })).into_response()
}

async fn register(State(s): State<Arc<Shared>>, Json(body): Json<Value>) -> Response {
    let redirects: Vec<String> = body["redirect_uris"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if redirects.is_empty() {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_redirect_uri");
    }
    let mut inner = s.inner.lock().unwrap();
    let client_id = format!("client-{}", inner.clients.len() + 1);
    inner.clients.insert(client_id.clone(), redirects);
    let mut answer = body.clone();
    answer["client_id"] = json!(client_id);
    answer["client_id_issued_at"] = json!(now());
    answer["token_endpoint_auth_method"] = json!("none");
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn authorize(
    State(s): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let (client_id, redirect_uri) = (get("client_id"), get("redirect_uri"));
    let mut inner = s.inner.lock().unwrap();
    let known = inner
        .clients
        .get(&client_id)
        .is_some_and(|r| r.contains(&redirect_uri));
    if !known || get("response_type") != "code" || get("code_challenge_method") != "S256" {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    let asked: Vec<String> = get("scope").split_whitespace().map(String::from).collect();
    let scope: Vec<String> = match &inner.grantable {
        Some(g) => asked.into_iter().filter(|s| g.contains(s)).collect(),
        None => asked,
    };
    let code = format!("code-{}", inner.codes.len() + 1);
    inner.codes.insert(
        code.clone(),
        PendingCode {
            client_id,
            redirect_uri: redirect_uri.clone(),
            challenge: get("code_challenge"),
            scope: scope.join(" "),
            resource: q.get("resource").cloned(),
        },
    );
    let location = url_with_query(
        &redirect_uri,
        &[("code", &code), ("state", &get("state")), ("iss", &s.base)],
    );
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

async fn token(State(s): State<Arc<Shared>>, Form(f): Form<HashMap<String, String>>) -> Response {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    if get("grant_type") != "authorization_code" {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let mut inner = s.inner.lock().unwrap();
    let Some(pending) = inner.codes.remove(&get("code")) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    let verifier_hash = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(get("code_verifier").as_bytes()));
    if pending.client_id != get("client_id")
        || pending.redirect_uri != get("redirect_uri")
        || verifier_hash != pending.challenge
    {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let Some(resource) = f.get("resource").cloned().or(pending.resource) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_target");
    };
    let claims = json!({
        "iss": s.base,
        "aud": resource,
        "sub": format!("user-of-{}", pending.client_id),
        "client_id": pending.client_id,
        "scope": pending.scope,
        "iat": now(),
        "exp": now() + 600,
    });
    inner.tokens_issued.push(claims.clone());
    drop(inner);
    let access = sign(Key::Rsa1, claims);
    Json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": 600,
        "scope": pending.scope,
    }))
    .into_response()
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

fn url_with_query(base: &str, params: &[(&str, &str)]) -> String {
    let mut out = base.to_string();
    let mut sep = if base.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        out.push(sep);
        out.push_str(k);
        out.push('=');
        out.push_str(&percent_encode(v));
        sep = '&';
    }
    out
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
