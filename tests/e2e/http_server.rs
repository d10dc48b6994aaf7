//! `serve --http` as a process: refusing an unauthenticated public bind, tokens from a file,
//! secrets kept out of the logs, graceful SIGTERM.

use serde_json::json;

use crate::{
    raw_http::{Request, initialize},
    support::{HttpServer, Sandbox, run_to_end},
};

#[test]
fn non_loopback_bind_without_tokens_refuses_to_start() {
    let sandbox = Sandbox::new();
    let out = run_to_end(
        &mut sandbox.command(&["serve", "--http", "0.0.0.0:0"]),
        b"",
        "serve on 0.0.0.0 without tokens",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "must refuse to start; stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("MCP_PIPELINES_AUTH_TOKENS") && stderr.contains("--auth-token-file"),
        "the message says how to fix it:\n{stderr}"
    );
    assert!(!stderr.contains("listening on"), "{stderr}");
}

#[test]
fn non_loopback_bind_with_insecure_no_auth_starts() {
    let server = HttpServer::start(&["--http", "0.0.0.0:0", "--insecure-no-auth"]);
    assert!(server.addr.ip().is_unspecified(), "{}", server.addr);
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], server.addr.port()));
    let resp = Request::post_json("/mcp", &initialize()).send(loopback);
    assert_eq!(resp.status, 200, "{}", resp.text());
}

#[test]
fn non_loopback_bind_with_token_starts_and_requires_it() {
    let server = HttpServer::start_in(
        Sandbox::new().var("MCP_PIPELINES_AUTH_TOKENS", "public-bind-token-31e"),
        &["--http", "0.0.0.0:0"],
    );
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], server.addr.port()));
    let resp = Request::post_json("/mcp", &initialize()).send(loopback);
    assert_eq!(resp.status, 401, "{}", resp.text());
    let ok = Request::post_json("/mcp", &initialize())
        .bearer("public-bind-token-31e")
        .send(loopback);
    assert_eq!(ok.status, 200, "{}", ok.text());
}

#[test]
fn auth_token_file_tokens_are_accepted() {
    let sandbox = Sandbox::new();
    let file = sandbox.scratch().join("tokens.txt");
    std::fs::write(
        &file,
        "# team tokens\n\nfile-token-one-4c1\n  file-token-two-8e2  \n",
    )
    .unwrap();
    let file = file.display().to_string();
    let server = HttpServer::start_in(sandbox, &["--auth-token-file", &file]);
    for token in ["file-token-one-4c1", "file-token-two-8e2"] {
        let resp = Request::post_json("/mcp", &initialize())
            .bearer(token)
            .send(server.addr);
        assert_eq!(resp.status, 200, "{token}: {}", resp.text());
    }
    for bad in ["# team tokens", "file-token-one"] {
        let resp = Request::post_json("/mcp", &initialize())
            .bearer(bad)
            .send(server.addr);
        assert_eq!(resp.status, 401, "{bad}: {}", resp.text());
    }
    assert_eq!(
        Request::post_json("/mcp", &initialize())
            .send(server.addr)
            .status,
        401
    );
}

#[test]
fn token_file_and_env_tokens_combine() {
    let sandbox = Sandbox::new().var("MCP_PIPELINES_AUTH_TOKENS", "env-token-a1");
    let file = sandbox.scratch().join("tokens.txt");
    std::fs::write(&file, "file-token-b2\n").unwrap();
    let file = file.display().to_string();
    let server = HttpServer::start_in(sandbox, &["--auth-token-file", &file]);
    for token in ["env-token-a1", "file-token-b2"] {
        let resp = Request::post_json("/mcp", &initialize())
            .bearer(token)
            .send(server.addr);
        assert_eq!(resp.status, 200, "{token}: {}", resp.text());
    }
}

#[test]
fn missing_or_empty_token_file_refuses_to_start() {
    let sandbox = Sandbox::new();
    let empty = sandbox.scratch().join("empty.txt");
    std::fs::write(&empty, "# nothing here\n\n").unwrap();
    let missing = sandbox.scratch().join("missing.txt");
    for file in [&empty, &missing] {
        let out = run_to_end(
            &mut sandbox.command(&[
                "serve",
                "--http",
                "127.0.0.1:0",
                "--auth-token-file",
                &file.display().to_string(),
            ]),
            b"",
            "serve with a bad token file",
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{}: {stderr}", file.display());
        assert!(stderr.contains("--auth-token-file"), "{stderr}");
    }
}

#[test]
fn tokens_never_appear_in_logs_even_at_trace() {
    let env_token = "env-secret-token-1a2b3c";
    let file_token = "file-secret-token-4d5e6f";
    let wrong_token = "wrong-secret-token-7a8b9c";
    let sandbox = Sandbox::new()
        .var("MCP_PIPELINES_AUTH_TOKENS", env_token)
        .var("RUST_LOG", "trace");
    let file = sandbox.scratch().join("tokens.txt");
    std::fs::write(&file, format!("{file_token}\n")).unwrap();
    let file = file.display().to_string();
    let server = HttpServer::start_in(sandbox, &["--auth-token-file", &file]);

    for token in [env_token, file_token] {
        let ok = Request::post_json("/mcp", &initialize())
            .bearer(token)
            .send(server.addr);
        assert_eq!(ok.status, 200, "{}", ok.text());
        let list = Request::post_json(
            "/mcp",
            &json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}),
        )
        .bearer(token)
        .header("MCP-Protocol-Version", "2025-11-25")
        .send(server.addr);
        assert!(list.status < 500, "{}", list.text());
    }
    let wrong = Request::post_json("/mcp", &initialize())
        .bearer(wrong_token)
        .send(server.addr);
    assert_eq!(wrong.status, 401);
    let (status, stderr) = server.terminate();
    assert!(status.success(), "{status:?}");
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "trace logs are on:\n{stderr}"
    );
    for secret in [env_token, file_token, wrong_token] {
        assert!(
            !stderr.contains(secret),
            "{secret} leaked into the logs:\n{stderr}"
        );
    }
}

#[test]
fn sigterm_shuts_down_gracefully_with_status_0() {
    let server = HttpServer::start(&[]);
    let health = Request::get("/healthz").send(server.addr);
    assert_eq!(health.status, 200);
    let (status, stderr) = server.terminate();
    assert!(status.success(), "exit after SIGTERM: {status:?}\n{stderr}");
}
