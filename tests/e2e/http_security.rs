//! `serve --http` as a team host sees it, over raw HTTP/1.1: bearer tokens (401 with
//! `WWW-Authenticate`), DNS-rebinding protection (Host and Origin → 403), the body limit (413),
//! and `/healthz`.

use std::net::SocketAddr;

use crate::{
    raw_http::{Request, Response, initialize},
    support::{HttpServer, Sandbox, VERSION},
};

const TOKEN: &str = "e2e-http-token-9d2a";
const OTHER_TOKEN: &str = "e2e-http-token-second-77b0";

/// A server that requires `TOKEN` or `OTHER_TOKEN`, plus extra args.
fn server(extra_args: &[&str]) -> HttpServer {
    HttpServer::start_in(
        Sandbox::new().var(
            "MCP_PIPELINES_AUTH_TOKENS",
            &format!("{TOKEN}, {OTHER_TOKEN}"),
        ),
        extra_args,
    )
}

fn mcp(addr: SocketAddr, req: Request) -> Response {
    req.send(addr)
}

fn assert_initialized(resp: &Response) {
    assert_eq!(resp.status, 200, "{resp:?} {}", resp.text());
    let body = resp.json();
    assert_eq!(
        body["result"]["serverInfo"]["name"], "mcp-pipelines",
        "{body}"
    );
    assert_eq!(body["result"]["serverInfo"]["version"], VERSION, "{body}");
}

#[test]
fn healthz_answers_200_without_token() {
    let s = server(&[]);
    let resp = Request::get("/healthz").send(s.addr);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["status"], "ok");
}

#[test]
fn valid_tokens_are_accepted() {
    let s = server(&[]);
    assert_initialized(&mcp(
        s.addr,
        Request::post_json("/mcp", &initialize()).bearer(TOKEN),
    ));
    assert_initialized(&mcp(
        s.addr,
        Request::post_json("/mcp", &initialize()).bearer(OTHER_TOKEN),
    ));
    // The auth scheme is case-insensitive (RFC 7235).
    assert_initialized(&mcp(
        s.addr,
        Request::post_json("/mcp", &initialize())
            .header("Authorization", &format!("bearer {TOKEN}")),
    ));
}

#[test]
fn missing_token_gets_401_with_www_authenticate_bearer() {
    let s = server(&[]);
    let resp = mcp(s.addr, Request::post_json("/mcp", &initialize()));
    assert_eq!(resp.status, 401, "{}", resp.text());
    let challenge = resp
        .header("www-authenticate")
        .expect("WWW-Authenticate header");
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    // GET (the SSE stream) is protected too.
    let get = mcp(
        s.addr,
        Request::get("/mcp").header("Accept", "text/event-stream"),
    );
    assert_eq!(get.status, 401, "{}", get.text());
}

#[test]
fn wrong_token_gets_401() {
    let s = server(&[]);
    for auth in [
        format!("Bearer {TOKEN}x"),
        format!("Bearer {}", &TOKEN[..TOKEN.len() - 1]),
        "Bearer ".to_string(),
        format!("Basic {TOKEN}"),
        TOKEN.to_string(),
    ] {
        let resp = mcp(
            s.addr,
            Request::post_json("/mcp", &initialize()).header("Authorization", &auth),
        );
        assert_eq!(
            resp.status,
            401,
            "Authorization: {auth:?} → {}",
            resp.text()
        );
        assert!(
            resp.header("www-authenticate")
                .is_some_and(|c| c.starts_with("Bearer")),
            "{:?}",
            resp.headers
        );
    }
}

#[test]
fn bad_origin_gets_403_even_with_a_valid_token() {
    let s = server(&[]);
    for origin in [
        "http://evil.example",
        "https://127.0.0.1.evil.example",
        "null",
    ] {
        let resp = mcp(
            s.addr,
            Request::post_json("/mcp", &initialize())
                .bearer(TOKEN)
                .header("Origin", origin),
        );
        assert_eq!(resp.status, 403, "Origin {origin} → {}", resp.text());
    }
    // Loopback origins are allowed by default.
    let port = s.addr.port();
    for origin in [
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}"),
    ] {
        assert_initialized(&mcp(
            s.addr,
            Request::post_json("/mcp", &initialize())
                .bearer(TOKEN)
                .header("Origin", &origin),
        ));
    }
}

#[test]
fn bad_host_gets_403_even_with_a_valid_token() {
    let s = server(&[]);
    let port = s.addr.port();
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_string(),
        format!("127.0.0.1.evil.example:{port}"),
    ] {
        let resp = mcp(
            s.addr,
            Request::post_json("/mcp", &initialize())
                .bearer(TOKEN)
                .header("Host", &host),
        );
        assert_eq!(resp.status, 403, "Host {host} → {}", resp.text());
    }
    assert_initialized(&mcp(
        s.addr,
        Request::post_json("/mcp", &initialize())
            .bearer(TOKEN)
            .header("Host", &format!("localhost:{port}")),
    ));
}

#[test]
fn forged_host_is_rejected_before_auth() {
    // A rebinding attacker learns nothing about auth: 403, not 401.
    let s = server(&[]);
    let resp = mcp(
        s.addr,
        Request::post_json("/mcp", &initialize()).header("Host", "evil.example"),
    );
    assert_eq!(resp.status, 403, "{}", resp.text());
}

#[test]
fn missing_host_is_rejected() {
    let s = server(&[]);
    let resp = mcp(
        s.addr,
        Request::post_json("/mcp", &initialize())
            .bearer(TOKEN)
            .without_host(),
    );
    assert!(
        resp.status == 400 || resp.status == 403,
        "no Host header → {} {}",
        resp.status,
        resp.text()
    );
}

#[test]
fn allowed_host_and_origin_flags_extend_the_lists() {
    let s = server(&[
        "--allowed-host",
        "mcp.example.com",
        "--allowed-origin",
        "https://app.example.com",
    ]);
    assert_initialized(&mcp(
        s.addr,
        Request::post_json("/mcp", &initialize())
            .bearer(TOKEN)
            .header("Host", "mcp.example.com")
            .header("Origin", "https://app.example.com"),
    ));
    let other = mcp(
        s.addr,
        Request::post_json("/mcp", &initialize())
            .bearer(TOKEN)
            .header("Host", "other.example.com"),
    );
    assert_eq!(other.status, 403, "{}", other.text());
    let other_origin = mcp(
        s.addr,
        Request::post_json("/mcp", &initialize())
            .bearer(TOKEN)
            .header("Host", "mcp.example.com")
            .header("Origin", "https://other.example.com"),
    );
    assert_eq!(other_origin.status, 403, "{}", other_origin.text());
}

/// A JSON-RPC request padded with whitespace to `len` bytes.
fn padded_request(len: usize) -> Vec<u8> {
    let mut body = initialize().to_string().into_bytes();
    assert!(body.len() < len);
    body.resize(len, b' ');
    body
}

#[test]
fn body_over_the_limit_gets_413() {
    let s = server(&["--max-body-bytes", "2048"]);
    // At the limit: accepted.
    assert_initialized(&mcp(
        s.addr,
        Request::post_bytes("/mcp", padded_request(2048)).bearer(TOKEN),
    ));
    // Declared length over the limit.
    let sized = mcp(
        s.addr,
        Request::post_bytes("/mcp", padded_request(2049)).bearer(TOKEN),
    );
    assert_eq!(sized.status, 413, "{}", sized.text());
    // No declared length (chunked): the limit still holds.
    let chunked = mcp(
        s.addr,
        Request::post_bytes("/mcp", padded_request(64 * 1024))
            .chunked()
            .bearer(TOKEN),
    );
    assert_eq!(chunked.status, 413, "{}", chunked.text());
}

#[test]
fn default_body_limit_is_4_mib() {
    let s = server(&[]);
    let resp = mcp(
        s.addr,
        Request::post_bytes("/mcp", padded_request(4 * 1024 * 1024 + 1)).bearer(TOKEN),
    );
    assert_eq!(resp.status, 413, "{}", resp.text());
}
