//! `serve --http` against hostile clients, over raw sockets (slow clients under an fd limit
//! and the queue are in `host_pressure`): the in-flight cap without a queue (503 +
//! `Retry-After`), a chunked body declaring a huge
//! chunk (413 at once), empty/duplicate `Host` and duplicate `Origin`, malformed JSON (a
//! JSON-RPC parse error), `run_locally` hidden without `--allow-run`, and SIGTERM letting an
//! in-flight call finish.

use std::{
    io::{Read, Write},
    net::TcpStream,
    process::Command,
    thread,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::{
    fakes::Fakes,
    raw_http::{Request, Response},
    support::HttpServer,
};

fn call(id: u64, name: &str, args: Value) -> Request {
    Request::tool_call(id, name, args)
}

fn slow_schema_call(id: u64) -> Request {
    call(
        id,
        "fetch_model_schema",
        json!({"models": ["acme/chatter-3b"]}),
    )
}

fn tool_names(resp: &Response) -> Vec<String> {
    let doc = resp.json();
    doc["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("tools/list result: {doc}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn tool_calls_over_the_in_flight_cap_get_503_with_retry_after() {
    let fakes = Fakes::start();
    fakes.replicate.set_delay(Duration::from_secs(3));
    // No queue: the second call is shed at once (the queue has its own tests in host_pressure).
    let server = HttpServer::start_in(
        fakes.sandbox(),
        &["--max-in-flight", "1", "--max-queued", "0"],
    );
    let addr = server.addr;
    let first = thread::spawn(move || slow_schema_call(1).send(addr));
    thread::sleep(Duration::from_millis(1000));
    let second = slow_schema_call(2).send(addr);
    assert_eq!(second.status, 503, "{}", second.text());
    assert_eq!(second.header("retry-after"), Some("1"));
    let body = second.json();
    assert_eq!(body["id"], 2, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("--max-in-flight")),
        "{body}"
    );
    // Other requests are not limited by the tool-call cap.
    let list = Request::post_json(
        "/mcp",
        &json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {}}),
    )
    .header("MCP-Protocol-Version", "2025-11-25")
    .send(addr);
    assert_eq!(list.status, 200, "{}", list.text());
    let first = first.join().unwrap();
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json()["result"]["isError"], false, "{}", first.text());
    // The slot is free again.
    fakes.replicate.set_delay(Duration::ZERO);
    assert_eq!(slow_schema_call(4).send(addr).status, 200);
}

#[test]
fn a_chunked_body_declaring_a_huge_chunk_gets_413_at_once() {
    let server = HttpServer::start(&[]);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let started = Instant::now();
    s.write_all(
        format!(
            "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Accept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n\
             7fffffff\r\n{{\"jsonrpc\":",
            server.addr
        )
        .as_bytes(),
    )
    .unwrap();
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("--max-body-bytes"), "{text}");
    // Well before the 30 s request timeout: the declaration alone decides.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn empty_or_duplicate_host_gets_400_and_two_origins_get_403() {
    let server = HttpServer::start(&[]);
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
    let empty = Request::post_json("/mcp", &init)
        .header("Host", "")
        .send(server.addr);
    assert_eq!(empty.status, 400, "{}", empty.text());
    let missing = Request::post_json("/mcp", &init)
        .without_host()
        .send(server.addr);
    assert_eq!(missing.status, 400, "{}", missing.text());

    // Two Host headers, and two Origin headers (one allowed, one evil), on raw sockets.
    for extra in [
        format!("Host: {0}\r\nHost: {0}\r\n", server.addr),
        format!(
            "Host: {0}\r\nOrigin: http://{0}\r\nOrigin: https://evil.example\r\n",
            server.addr
        ),
    ] {
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let body = init.to_string();
        write!(
            s,
            "POST /mcp HTTP/1.1\r\n{extra}Content-Type: application/json\r\n\
             Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut text = String::new();
        let _ = s.read_to_string(&mut text);
        let want = if extra.contains("Origin") {
            "403"
        } else {
            "400"
        };
        assert!(
            text.starts_with(&format!("HTTP/1.1 {want}")),
            "{extra:?} → {text}"
        );
    }
}

#[test]
fn malformed_json_gets_a_json_rpc_parse_error() {
    let server = HttpServer::start(&[]);
    let resp = Request::post_bytes("/mcp", b"{\"jsonrpc\": \"2.0\", \"id\": 1,".to_vec())
        .send(server.addr);
    assert_eq!(resp.status, 400, "{}", resp.text());
    let body = resp.json();
    assert_eq!(body["jsonrpc"], "2.0");
    assert_eq!(body["error"]["code"], -32700, "{body}");
    // The id is read from the bytes before the break.
    assert_eq!(body["id"], 1, "{body}");
    let resp = Request::post_bytes("/mcp", b"not json at all".to_vec()).send(server.addr);
    assert_eq!(resp.status, 400, "{}", resp.text());
    assert_eq!(resp.json()["id"], Value::Null);

    // JSON, but not a JSON-RPC request: invalid request, with the id when it is readable.
    let resp =
        Request::post_json("/mcp", &json!({"id": 7, "method": "tools/list"})).send(server.addr);
    assert_eq!(resp.status, 400, "{}", resp.text());
    let body = resp.json();
    assert_eq!(body["error"]["code"], -32600, "{body}");
    assert_eq!(body["id"], 7, "{body}");
    let resp = Request::post_json("/mcp", &json!("hello")).send(server.addr);
    assert_eq!(resp.json()["error"]["code"], -32600);
    // The server answers normally afterwards.
    assert_eq!(Request::get("/healthz").send(server.addr).status, 200);
}

#[test]
fn run_locally_is_not_listed_without_allow_run() {
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
    let closed = HttpServer::start(&[]);
    let resp = Request::post_json("/mcp", &list)
        .header("MCP-Protocol-Version", "2025-11-25")
        .send(closed.addr);
    let names = tool_names(&resp);
    assert!(
        names.contains(&"validate_pipeline".to_string()),
        "{names:?}"
    );
    assert!(!names.contains(&"run_locally".to_string()), "{names:?}");
    let refused = call(2, "run_locally", json!({"files": {}})).send(closed.addr);
    let body = refused.json();
    assert_eq!(body["result"]["isError"], true, "{body}");
    assert!(body.to_string().contains("--allow-run"), "{body}");

    let open = HttpServer::start(&["--allow-run"]);
    let resp = Request::post_json("/mcp", &list)
        .header("MCP-Protocol-Version", "2025-11-25")
        .send(open.addr);
    assert!(tool_names(&resp).contains(&"run_locally".to_string()));
}

#[test]
fn sigterm_lets_an_in_flight_call_finish() {
    let fakes = Fakes::start();
    fakes.replicate.set_delay(Duration::from_secs(2));
    let server = HttpServer::start_in(fakes.sandbox(), &["--shutdown-grace", "20s"]);
    let addr = server.addr;
    let in_flight = thread::spawn(move || slow_schema_call(1).send(addr));
    thread::sleep(Duration::from_millis(800));
    let status = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let resp = in_flight.join().unwrap();
    assert_eq!(resp.status, 200, "{}", resp.text());
    let body = resp.json();
    assert_eq!(body["result"]["isError"], false, "{body}");
    assert!(
        body["result"]["structuredContent"]["results"][0]["schema"].is_object(),
        "{body}"
    );
    let (status, stderr) = server.wait();
    assert!(status.success(), "{status:?}\n{stderr}");
    // New connections are refused once shutting down.
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let server = HttpServer::start(&["--idle-timeout", "1s", "--header-read-timeout", "30s"]);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let idle_from = Instant::now();
    // Nothing more is sent: the server closes the connection (EOF), well before 30 s.
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    let idle = idle_from.elapsed();
    assert!(
        idle >= Duration::from_millis(900) && idle < Duration::from_secs(10),
        "closed after {idle:?}"
    );
}

#[test]
fn a_body_that_does_not_arrive_in_time_gets_408() {
    let server = HttpServer::start(&["--request-timeout", "1s"]);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nContent-Length: 100\r\n\r\n{{\"jsonrpc\"",
        server.addr
    )
    .unwrap();
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("--request-timeout"), "{text}");
}
