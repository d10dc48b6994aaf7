//! `serve --http --metrics` / `--metrics-addr`: `/metrics` scraped and parsed with a Prometheus
//! text-format parser after a known sequence of calls (the counts match), `/readyz` following
//! the docs cache, and the audit line per tool call.

use std::net::SocketAddr;

use prometheus_parse::{Scrape, Value as Prom};
use serde_json::{Value, json};

use crate::{
    fakes::Fakes,
    raw_http::{Request, Response, initialize},
    support::HttpServer,
};

const TOKEN: &str = "e2e-metrics-token-0b1e";

fn call(id: u64, name: &str, args: Value) -> Request {
    Request::tool_call(id, name, args).bearer(TOKEN)
}

fn scrape(addr: SocketAddr) -> Scrape {
    let resp = Request::get("/metrics").send(addr);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(
        resp.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain")),
        "{:?}",
        resp.header("content-type")
    );
    let text = resp.text();
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text format")
}

/// The value of the sample `name` whose labels include `labels` (0 when absent).
fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    s.samples
        .iter()
        .filter(|x| x.metric == name)
        .filter(|x| labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .map(|x| match &x.value {
            Prom::Counter(v) | Prom::Gauge(v) | Prom::Untyped(v) => *v,
            Prom::Histogram(b) => b.last().map_or(0.0, |h| h.count),
            Prom::Summary(_) => 0.0,
        })
        .sum()
}

fn ok(resp: &Response) -> &Response {
    assert_eq!(resp.status, 200, "{}", resp.text());
    resp
}

#[test]
fn metrics_count_a_known_sequence_of_calls() {
    let fakes = Fakes::start();
    let server = HttpServer::start_in(
        fakes.sandbox().var("MCP_PIPELINES_AUTH_TOKENS", TOKEN),
        &["--metrics", "--max-body-bytes", "2048"],
    );
    let addr = server.addr;
    // Nothing fetched yet: not ready (liveness is fine).
    assert_eq!(Request::get("/readyz").send(addr).status, 503);
    assert_eq!(Request::get("/healthz").send(addr).status, 200);
    // The sequence.
    ok(&Request::post_json("/mcp", &initialize())
        .bearer(TOKEN)
        .send(addr));
    for id in 1..=3 {
        let r = call(id, "get_docs", json!({"section": "cog/outputs"})).send(addr);
        assert_eq!(ok(&r).json()["result"]["isError"], false, "{}", r.text());
    }
    for id in 4..=5 {
        let r = call(
            id,
            "fetch_model_schema",
            json!({"models": ["acme/chatter-3b"]}),
        )
        .send(addr);
        assert_eq!(ok(&r).json()["result"]["isError"], false, "{}", r.text());
    }
    let unknown = call(6, "no_such_tool", json!({})).send(addr);
    assert!(
        ok(&unknown).json()["error"].is_object(),
        "{}",
        unknown.text()
    );
    let bad = call(
        7,
        "fetch_model_schema",
        json!({"models": ["not a model ref"]}),
    )
    .send(addr);
    assert_eq!(ok(&bad).json()["result"]["isError"], true, "{}", bad.text());
    // Refusals: no token, a forged Host, a body over the limit.
    assert_eq!(
        Request::post_json("/mcp", &initialize()).send(addr).status,
        401
    );
    let forged = Request::post_json("/mcp", &initialize())
        .bearer(TOKEN)
        .header("Host", "evil.example")
        .send(addr);
    assert_eq!(forged.status, 403);
    let big = call(8, "get_docs", json!({"section": "x".repeat(4096)})).send(addr);
    assert_eq!(big.status, 413);
    assert_eq!(Request::get("/readyz").send(addr).status, 200);

    let s = scrape(addr);
    let requests = |tool: &str, outcome: &str| {
        value(
            &s,
            "mcp_pipelines_requests_total",
            &[
                ("method", "tools/call"),
                ("tool", tool),
                ("outcome", outcome),
            ],
        )
    };
    assert_eq!(requests("get_docs", "ok"), 3.0);
    assert_eq!(requests("fetch_model_schema", "ok"), 2.0);
    assert_eq!(requests("fetch_model_schema", "tool_error"), 1.0);
    assert_eq!(requests("no_such_tool", "rpc_error"), 1.0);
    assert_eq!(
        value(
            &s,
            "mcp_pipelines_requests_total",
            &[("method", "initialize"), ("outcome", "ok")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &s,
            "mcp_pipelines_request_duration_seconds_count",
            &[("tool", "get_docs")]
        ),
        3.0
    );
    let rejected = |status: &str, reason: &str| {
        value(
            &s,
            "mcp_pipelines_rejected_total",
            &[("status", status), ("reason", reason)],
        )
    };
    assert_eq!(rejected("401", "missing_token"), 1.0);
    assert_eq!(rejected("403", "host"), 1.0);
    assert_eq!(rejected("413", "body_too_large"), 1.0);
    // The docs cache: the first read fetched the spec, the next two were hits.
    assert_eq!(
        value(
            &s,
            "mcp_pipelines_docs_cache_misses_total",
            &[("source", "pipelines")]
        ),
        1.0
    );
    assert!(
        value(
            &s,
            "mcp_pipelines_docs_cache_hits_total",
            &[("source", "pipelines")]
        ) >= 2.0
    );
    // The schema cache: one fetch, then one hit.
    assert_eq!(
        value(&s, "mcp_pipelines_schema_cache_misses_total", &[]),
        1.0
    );
    assert_eq!(value(&s, "mcp_pipelines_schema_cache_hits_total", &[]), 1.0);
    // Nothing in flight now; this scrape's own connection is open.
    assert_eq!(value(&s, "mcp_pipelines_in_flight_requests", &[]), 0.0);
    assert!(value(&s, "mcp_pipelines_open_connections", &[]) >= 1.0);

    // One audit line per tool call: subject, tool, outcome, duration; never the token.
    let log = server.stderr();
    let audit: Vec<&str> = log.lines().filter(|l| l.contains("audit")).collect();
    assert_eq!(
        audit.iter().filter(|l| l.contains("tool=get_docs")).count(),
        3,
        "{log}"
    );
    assert!(
        audit
            .iter()
            .all(|l| l.contains("subject=\"static-token-1\"")
                || l.contains("subject=static-token-1")),
        "{audit:#?}"
    );
    assert!(
        audit
            .iter()
            .any(|l| l.contains("outcome=\"tool_error\"") || l.contains("outcome=tool_error")),
        "{audit:#?}"
    );
    assert!(
        audit.iter().all(|l| l.contains("duration_ms")),
        "{audit:#?}"
    );
    assert!(!log.contains(TOKEN), "the token reached the log");
}

#[test]
fn metrics_addr_serves_metrics_apart_and_the_main_listener_does_not() {
    let fakes = Fakes::start();
    let server = HttpServer::start_in(fakes.sandbox(), &["--metrics-addr", "127.0.0.1:0"]);
    let line = server
        .stderr()
        .lines()
        .find_map(|l| {
            l.split("metrics on http://")
                .nth(1)
                .map(|rest| rest.trim_end_matches("/metrics").to_string())
        })
        .expect("the metrics address is printed");
    let metrics_addr: SocketAddr = line.parse().expect("metrics address");
    ok(&call(1, "get_docs", json!({"section": "cog/outputs"})).send(server.addr));
    let s = scrape(metrics_addr);
    assert_eq!(
        value(
            &s,
            "mcp_pipelines_requests_total",
            &[("tool", "get_docs"), ("outcome", "ok")]
        ),
        1.0
    );
    assert_eq!(Request::get("/readyz").send(metrics_addr).status, 200);
    assert_eq!(Request::get("/metrics").send(server.addr).status, 404);
}
