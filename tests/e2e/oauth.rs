//! `serve --http --oauth-issuer`: the server as an OAuth 2.1 resource server (MCP
//! authorization 2025-06-18, RFC 9728) against the in-process fake issuer
//! (`pipelines_test_fakes::issuer`): metadata, the 401 challenge, tokens of each accepted
//! algorithm, every token a real IdP would never sign (refused), key rotation, scopes, static
//! tokens beside OAuth, and the Python SDK's own OAuth flow end to end.

use serde_json::{Value, json};

use pipelines_test_fakes::issuer::{Claims, Issuer, Key};

use crate::{
    fakes::Fakes,
    py,
    raw_http::{Request, Response, initialize},
    support::{HttpServer, Sandbox},
};

const STATIC_TOKEN: &str = "e2e-static-token-beside-oauth-51c3";

/// The fake issuer on its own runtime. Fields drop in order: the issuer stops first.
pub struct IdP {
    pub issuer: Issuer,
    runtime: tokio::runtime::Runtime,
}

impl IdP {
    pub fn start() -> IdP {
        Self::start_with(false)
    }

    pub fn start_with(openid_only: bool) -> IdP {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime for the issuer");
        let issuer = runtime.block_on(async {
            if openid_only {
                Issuer::start_openid_only().await
            } else {
                Issuer::start().await
            }
        });
        IdP { issuer, runtime }
    }

    /// Signs on the runtime (key parsing is synchronous; the runtime just keeps it alive).
    pub fn token(&self, key: Key, claims: &Claims) -> String {
        let _guard = self.runtime.enter();
        self.issuer.token(key, claims)
    }
}

/// `serve --http 127.0.0.1:0 --oauth-issuer ISSUER EXTRA` in `sandbox`.
fn server_in(sandbox: Sandbox, idp: &IdP, extra: &[&str]) -> HttpServer {
    let mut args = vec!["--oauth-issuer", idp.issuer.url.as_str()];
    args.extend_from_slice(extra);
    HttpServer::start_in(sandbox, &args)
}

fn resource(s: &HttpServer) -> String {
    format!("http://{}/mcp", s.addr)
}

fn init_with(s: &HttpServer, token: &str) -> Response {
    Request::post_json("/mcp", &initialize())
        .bearer(token)
        .send(s.addr)
}

fn assert_refused(resp: &Response, what: &str) {
    assert_eq!(resp.status, 401, "{what}: {}", resp.text());
    let challenge = resp.header("www-authenticate").expect("WWW-Authenticate");
    assert!(
        challenge.contains("error=\"invalid_token\""),
        "{what}: {challenge}"
    );
    assert!(
        challenge.contains("resource_metadata=\""),
        "{what}: {challenge}"
    );
}

#[test]
fn protected_resource_metadata_names_the_issuer_the_resource_and_the_scopes() {
    let idp = IdP::start();
    let s = server_in(Sandbox::new(), &idp, &[]);
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let resp = Request::get(path).send(s.addr);
        assert_eq!(resp.status, 200, "{path}: {}", resp.text());
        let doc = resp.json();
        assert_eq!(doc["resource"], resource(&s), "{doc}");
        assert_eq!(
            doc["authorization_servers"],
            json!([idp.issuer.url]),
            "{doc}"
        );
        assert_eq!(
            doc["scopes_supported"],
            json!(["pipelines:read", "pipelines:run"]),
            "{doc}"
        );
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]), "{doc}");
    }
    // A configured audience is the resource; a forged Host learns nothing.
    let pinned = server_in(
        Sandbox::new(),
        &idp,
        &["--oauth-audience", "https://mcp.example.com/mcp"],
    );
    let doc = Request::get("/.well-known/oauth-protected-resource/mcp")
        .send(pinned.addr)
        .json();
    assert_eq!(doc["resource"], "https://mcp.example.com/mcp", "{doc}");
    let forged = Request::get("/.well-known/oauth-protected-resource")
        .header("Host", "evil.example")
        .send(pinned.addr);
    assert_eq!(forged.status, 403, "{}", forged.text());
    // Without OAuth there is no such document.
    let plain = HttpServer::start(&[]);
    let resp = Request::get("/.well-known/oauth-protected-resource").send(plain.addr);
    assert_eq!(resp.status, 404, "{}", resp.text());
}

#[test]
fn a_request_without_a_token_gets_401_pointing_at_the_metadata() {
    let idp = IdP::start();
    let s = server_in(Sandbox::new(), &idp, &[]);
    let resp = Request::post_json("/mcp", &initialize()).send(s.addr);
    assert_eq!(resp.status, 401, "{}", resp.text());
    let challenge = resp.header("www-authenticate").expect("WWW-Authenticate");
    let expected = format!(
        "resource_metadata=\"http://{}/.well-known/oauth-protected-resource/mcp\"",
        s.addr
    );
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains(&expected), "{challenge}");
    assert!(!challenge.contains("error="), "no token sent: {challenge}");
    // /healthz stays open.
    assert_eq!(Request::get("/healthz").send(s.addr).status, 200);
}

#[test]
fn tokens_signed_rs256_es256_and_eddsa_for_this_resource_are_accepted() {
    let idp = IdP::start();
    let s = server_in(Sandbox::new(), &idp, &[]);
    let claims = idp.issuer.claims(&resource(&s), "pipelines:read");
    for key in [Key::Rsa1, Key::Ec1, Key::Ed1] {
        let resp = init_with(&s, &idp.token(key, &claims));
        assert_eq!(resp.status, 200, "{key:?}: {}", resp.text());
        assert_eq!(resp.json()["result"]["serverInfo"]["name"], "mcp-pipelines");
    }
    // Expired 30 s ago is within the 60 s leeway; an audience list naming us is fine.
    let mut late = claims.clone();
    late.exp_in = -30;
    assert_eq!(init_with(&s, &idp.token(Key::Rsa1, &late)).status, 200);
    let mut listed = claims.clone();
    listed.aud = Some(json!(["https://other.example", resource(&s)]));
    assert_eq!(init_with(&s, &idp.token(Key::Ec1, &listed)).status, 200);
}

#[test]
fn tokens_a_real_issuer_would_not_sign_for_us_are_refused() {
    let idp = IdP::start();
    let s = server_in(Sandbox::new(), &idp, &[]);
    let good = idp
        .issuer
        .claims(&resource(&s), "pipelines:read pipelines:run");
    let with = |f: &dyn Fn(&mut Claims)| {
        let mut c = good.clone();
        f(&mut c);
        c
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            idp.token(Key::Rsa1, &with(&|c| c.exp_in = -3600)),
        ),
        (
            "not yet valid",
            idp.token(Key::Rsa1, &with(&|c| c.nbf_in = Some(3600))),
        ),
        (
            "wrong audience (token passthrough)",
            idp.token(
                Key::Rsa1,
                &with(&|c| c.aud = Some(json!("https://api.other.example"))),
            ),
        ),
        (
            "no audience",
            idp.token(Key::Rsa1, &with(&|c| c.aud = None)),
        ),
        (
            "wrong issuer",
            idp.token(
                Key::Ec1,
                &with(&|c| c.iss = Some("https://evil.example".into())),
            ),
        ),
        ("alg none", idp.issuer.unsigned_token(&good)),
        (
            "HMAC keyed with the public key",
            idp.issuer.hmac_with_public_key(Key::Rsa1, &good),
        ),
        (
            "signed by a key the issuer never published",
            idp.token(Key::Rsa2, &good),
        ),
        ("not a JWT", "not.a.jwt".to_string()),
    ];
    for (what, token) in &cases {
        assert_refused(&init_with(&s, token), what);
    }
    // A tampered payload with a valid signature of another payload.
    let valid = idp.token(Key::Ed1, &good);
    let other = idp.token(Key::Ed1, &with(&|c| c.sub = "mallory".into()));
    let parts: Vec<&str> = valid.split('.').collect();
    let other_parts: Vec<&str> = other.split('.').collect();
    let spliced = format!("{}.{}.{}", parts[0], other_parts[1], parts[2]);
    assert_refused(&init_with(&s, &spliced), "spliced payload");
    // All of the log: a snapshot may not hold the last refusals' lines yet.
    let (_, log) = s.terminate();
    for reason in [
        "expired",
        "not_yet_valid",
        "audience",
        "missing_claim",
        "issuer",
        "algorithm",
        "unknown_kid",
        "signature",
        "malformed",
    ] {
        assert!(
            log.contains(&format!("reason=\"{reason}\""))
                || log.contains(&format!("reason={reason}")),
            "no refusal for {reason} in the log:\n{log}"
        );
    }
    for (_, token) in &cases {
        assert!(!log.contains(token.as_str()), "a token reached the log");
    }
}

#[test]
fn a_rotated_key_is_fetched_once_and_unknown_kids_do_not_hammer_the_issuer() {
    let idp = IdP::start();
    let s = server_in(Sandbox::new(), &idp, &[]);
    let claims = idp.issuer.claims(&resource(&s), "pipelines:read");
    assert_eq!(init_with(&s, &idp.token(Key::Rsa1, &claims)).status, 200);
    let before = idp.issuer.jwks_fetches();
    assert!(before >= 1, "the JWKS was fetched at start");
    // Not yet published: refused after one refetch.
    assert_refused(
        &init_with(&s, &idp.token(Key::Rsa2, &claims)),
        "unpublished kid",
    );
    assert_eq!(idp.issuer.jwks_fetches(), before + 1);
    // Published now, but the refetch budget (once a minute) is spent: still refused, and
    // the issuer is not asked again.
    idp.issuer.rotate();
    for _ in 0..5 {
        assert_refused(
            &init_with(&s, &idp.token(Key::Rsa2, &claims)),
            "within the minute",
        );
    }
    assert_eq!(
        idp.issuer.jwks_fetches(),
        before + 1,
        "at most one refetch a minute"
    );
}

#[test]
fn a_rotated_key_is_accepted_after_one_refetch() {
    let idp = IdP::start();
    let s = server_in(Sandbox::new(), &idp, &[]);
    let claims = idp.issuer.claims(&resource(&s), "pipelines:read");
    assert_eq!(init_with(&s, &idp.token(Key::Rsa1, &claims)).status, 200);
    let before = idp.issuer.jwks_fetches();
    idp.issuer.rotate();
    for _ in 0..3 {
        let resp = init_with(&s, &idp.token(Key::Rsa2, &claims));
        assert_eq!(resp.status, 200, "{}", resp.text());
    }
    assert_eq!(
        idp.issuer.jwks_fetches(),
        before + 1,
        "one refetch for the new kid"
    );
    // The old key still works (it is still published).
    assert_eq!(init_with(&s, &idp.token(Key::Rsa1, &claims)).status, 200);
}

#[test]
fn the_jwks_is_found_through_openid_discovery_or_given_directly() {
    let idp = IdP::start_with(true);
    let s = server_in(Sandbox::new(), &idp, &[]);
    let claims = idp.issuer.claims(&resource(&s), "pipelines:read");
    assert_eq!(init_with(&s, &idp.token(Key::Ec1, &claims)).status, 200);
    assert!(idp.issuer.metadata_fetches() >= 1);
    let direct = IdP::start();
    let s = server_in(
        Sandbox::new(),
        &direct,
        &["--oauth-jwks-url", &direct.issuer.jwks_url()],
    );
    let claims = direct.issuer.claims(&resource(&s), "pipelines:read");
    assert_eq!(init_with(&s, &direct.token(Key::Ed1, &claims)).status, 200);
    assert_eq!(
        direct.issuer.metadata_fetches(),
        0,
        "--oauth-jwks-url skips discovery"
    );
}

fn tool_call(id: u64, name: &str, args: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": name, "arguments": args}})
}

#[test]
fn scopes_gate_the_tools_and_a_403_names_the_scope_needed() {
    let fakes = Fakes::start();
    let idp = IdP::start();
    let s = server_in(fakes.sandbox(), &idp, &["--allow-run"]);
    let read_only = idp.token(
        Key::Rsa1,
        &idp.issuer.claims(&resource(&s), "pipelines:read"),
    );
    let docs = Request::post_json(
        "/mcp",
        &tool_call(2, "get_docs", json!({"section": "cog/outputs"})),
    )
    .bearer(&read_only)
    .send(s.addr);
    assert_eq!(docs.status, 200, "{}", docs.text());
    assert!(
        docs.json()["result"]["content"].is_array(),
        "{}",
        docs.text()
    );
    let run = Request::post_json(
        "/mcp",
        &tool_call(3, "run_locally", json!({"files": {}, "inputs": {}})),
    )
    .bearer(&read_only)
    .send(s.addr);
    assert_eq!(run.status, 403, "{}", run.text());
    let challenge = run.header("www-authenticate").expect("WWW-Authenticate");
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"pipelines:run\""), "{challenge}");
    // A token with no pipelines scope at all reads nothing.
    let none = idp.token(Key::Rsa1, &idp.issuer.claims(&resource(&s), "openid"));
    let resp = init_with(&s, &none);
    assert_eq!(resp.status, 403, "{}", resp.text());
    assert!(
        resp.header("www-authenticate")
            .is_some_and(|c| c.contains("scope=\"pipelines:read\""))
    );
}

#[test]
fn static_tokens_keep_working_beside_oauth() {
    let idp = IdP::start();
    let s = server_in(
        Sandbox::new().var("MCP_PIPELINES_AUTH_TOKENS", STATIC_TOKEN),
        &idp,
        &[],
    );
    assert_eq!(init_with(&s, STATIC_TOKEN).status, 200);
    let jwt = idp.token(
        Key::Rsa1,
        &idp.issuer.claims(&resource(&s), "pipelines:read"),
    );
    assert_eq!(init_with(&s, &jwt).status, 200);
    assert_refused(
        &init_with(&s, "e2e-static-token-wrong"),
        "wrong static token",
    );
}

#[test]
fn oauth_counts_as_authentication_off_loopback() {
    let idp = IdP::start();
    // Binding 0.0.0.0 without any token is refused; with an issuer it starts.
    let s = HttpServer::start_in(
        Sandbox::new(),
        &[
            "--http",
            "0.0.0.0:0",
            "--oauth-issuer",
            idp.issuer.url.as_str(),
        ],
    );
    let resp = Request::post_json("/mcp", &initialize())
        .send(std::net::SocketAddr::from(([127, 0, 0, 1], s.addr.port())));
    assert_eq!(resp.status, 401, "{}", resp.text());
}

#[test]
fn the_python_sdk_authorizes_through_the_issuer_and_calls_tools() {
    let fakes = Fakes::start();
    let idp = IdP::start();
    let s = server_in(fakes.sandbox(), &idp, &[]);
    let mut script = py::http_script(
        &s,
        None,
        "legacy",
        json!([
            {"op": "list_tools"},
            {"op": "call_tool", "name": "get_docs", "args": {"section": "cog/outputs"}}
        ]),
    );
    script["oauth"] = json!({"redirect_uri": "http://127.0.0.1:9/callback"});
    let doc = py::run_script(&script);
    assert_eq!(doc["server_info"]["name"], "mcp-pipelines", "{doc}");
    let tools = py::result(&doc, 0);
    assert!(
        tools["tools"].as_array().is_some_and(|t| !t.is_empty()),
        "{doc}"
    );
    assert!(!py::is_error(py::result(&doc, 1)), "{doc}");
    // The SDK went through the issuer: registered, authorized with PKCE for our resource,
    // and got a token whose audience is this server and whose scope came from our metadata.
    let oauth = &doc["oauth"];
    let auth_url = oauth["authorization_urls"][0].as_str().unwrap_or_default();
    assert!(
        auth_url.starts_with(&format!("{}/authorize?", idp.issuer.url)),
        "{oauth}"
    );
    assert!(auth_url.contains("code_challenge_method=S256"), "{oauth}");
    let issued = idp.issuer.tokens_issued();
    assert_eq!(issued.len(), 1, "{issued:?}");
    assert_eq!(issued[0]["aud"], resource(&s), "{issued:?}");
    assert_eq!(
        issued[0]["scope"], "pipelines:read pipelines:run",
        "{issued:?}"
    );
    assert_eq!(
        oauth["token_scope"], "pipelines:read pipelines:run",
        "{oauth}"
    );
}
