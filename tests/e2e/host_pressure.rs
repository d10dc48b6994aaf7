//! A team host under pressure, over raw sockets: slow clients holding half-sent request heads
//! under a 256-fd limit (the longest-waiting one is evicted, so `/healthz` and tool calls are
//! still served), and tool calls over `--max-in-flight` waiting in the queue instead of being
//! shed (503 + `Retry-After` only when the queue is full or the wait runs out).

use std::{
    io::{ErrorKind, Read, Write},
    net::{SocketAddr, TcpStream},
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

fn docs_call(id: u64) -> Request {
    call(id, "get_docs", json!({"section": "cog/outputs"}))
}

fn schema_call(id: u64) -> Request {
    call(
        id,
        "fetch_model_schema",
        json!({"models": ["acme/chatter-3b"]}),
    )
}

/// Opens a connection and sends an unfinished request head.
fn slow_client(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a");
    s
}

/// Whether the server closed the connection (EOF or reset) without a word.
fn closed(mut s: &TcpStream) -> bool {
    s.set_nonblocking(true).expect("nonblocking");
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(_) => true,
    }
}

#[test]
fn four_hundred_half_sent_heads_under_a_256_fd_limit_do_not_keep_healthz_or_tools_out() {
    let fakes = Fakes::start();
    // Soft and hard limit 256: the server cannot raise it, and sizes its pool from it.
    let server = HttpServer::start_via(
        fakes.sandbox(),
        &["prlimit", "--nofile=256:256", "--"],
        &["--header-read-timeout", "60s", "--idle-timeout", "60s"],
    );
    // Warm the docs cache first (the tool call below should not wait on a fetch).
    assert_eq!(docs_call(1).send(server.addr).status, 200);
    let slow: Vec<TcpStream> = (0..400).map(|_| slow_client(server.addr)).collect();
    // Let the server accept what it can (the rest waits in the kernel's backlog).
    thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let health = Request::get("/healthz").send(server.addr);
    let took = started.elapsed();
    assert_eq!(health.status, 200, "{}", health.text());
    assert!(
        took < Duration::from_secs(2),
        "/healthz took {took:?} with 400 slow clients open"
    );
    let resp = docs_call(2).send(server.addr);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json()["result"]["isError"], false, "{}", resp.text());
    // Room was made by closing the slow clients that waited longest, not the newest ones.
    let evicted = slow.iter().take(100).filter(|s| closed(s)).count();
    assert!(
        evicted >= 50,
        "only {evicted} of the 100 oldest slow clients were closed"
    );
    // The server is alive and well.
    assert_eq!(Request::get("/healthz").send(server.addr).status, 200);
    let stderr = server.stderr();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_burst_over_the_in_flight_cap_waits_in_the_queue_instead_of_503() {
    let fakes = Fakes::start();
    fakes.replicate.set_delay(Duration::from_millis(700));
    let server = HttpServer::start_in(
        fakes.sandbox(),
        &["--max-in-flight", "1", "--queue-timeout", "10s"],
    );
    let addr = server.addr;
    // Four at once with one slot: three wait (default queue: 4 × in-flight) and all succeed.
    let calls: Vec<_> = (1..=4)
        .map(|id| thread::spawn(move || schema_call(id).send(addr)))
        .collect();
    let answers: Vec<Response> = calls.into_iter().map(|c| c.join().unwrap()).collect();
    for a in &answers {
        assert_eq!(a.status, 200, "{}", a.text());
    }
    // Calls that do not queue are not held up by the waiting ones.
    assert_eq!(Request::get("/healthz").send(addr).status, 200);
}

#[test]
fn a_full_queue_or_a_wait_that_runs_out_gets_503_with_retry_after() {
    let fakes = Fakes::start();
    fakes.replicate.set_delay(Duration::from_secs(3));
    let server = HttpServer::start_in(
        fakes.sandbox(),
        &[
            "--max-in-flight",
            "1",
            "--max-queued",
            "1",
            "--queue-timeout",
            "1s",
        ],
    );
    let addr = server.addr;
    let running = thread::spawn(move || schema_call(1).send(addr));
    thread::sleep(Duration::from_millis(500));
    let waiting = thread::spawn(move || {
        let started = Instant::now();
        (docs_call(2).send(addr), started.elapsed())
    });
    thread::sleep(Duration::from_millis(300));
    // The queue (one place) is taken: refused at once.
    let full = docs_call(3).send(addr);
    assert_eq!(full.status, 503, "{}", full.text());
    assert_eq!(full.header("retry-after"), Some("1"));
    assert!(
        full.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("--max-queued")),
        "{}",
        full.text()
    );
    // The waiting one gives up after --queue-timeout.
    let (timed_out, waited) = waiting.join().unwrap();
    assert_eq!(timed_out.status, 503, "{}", timed_out.text());
    assert_eq!(timed_out.header("retry-after"), Some("1"));
    assert_eq!(timed_out.json()["id"], 2);
    assert!(
        timed_out.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("--queue-timeout")),
        "{}",
        timed_out.text()
    );
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
        "waited {waited:?}"
    );
    assert_eq!(running.join().unwrap().status, 200);
}
