//! The load generator: N keep-alive HTTP/1.1 connections (a `hyper` client each), every one
//! sending its next request as soon as the previous answer is read in full.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, body::Bytes, client::conn::http1};
use hyper_util::rt::TokioIo;

/// What a phase drives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    Healthz,
    GetDocs,
    Validate,
    /// `validate_pipeline` with main.py different on every request (an agent's edit loop:
    /// cog.yaml and requirements.txt unchanged).
    ValidateEdited,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Healthz => "GET /healthz",
            Phase::GetDocs => "tools/call get_docs (cached section)",
            Phase::Validate => "tools/call validate_pipeline (3 inline files)",
            Phase::ValidateEdited => {
                "tools/call validate_pipeline (3 inline files, main.py edited every request)"
            }
        }
    }
}

/// One request, sent over and over.
#[derive(Clone)]
pub struct Spec {
    pub method: Method,
    pub path: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
    /// A JSON-RPC call: a 2xx answer must carry a successful tool result.
    pub rpc: bool,
    /// Where in the body [`EDIT_DIGITS`] digits are rewritten with a number new on every
    /// request (`None`: the same body every time).
    pub edit_slot: Option<usize>,
}

/// The width of the number an edited body carries.
pub const EDIT_DIGITS: usize = 12;

impl Spec {
    /// The request; an edited body carries `serial`.
    fn build(&self, serial: u64) -> Request<Full<Bytes>> {
        let mut b = Request::builder()
            .method(self.method.clone())
            .uri(self.path);
        for (k, v) in &self.headers {
            b = b.header(*k, v);
        }
        let body = match self.edit_slot {
            None => self.body.clone(),
            Some(at) => {
                let mut edited = self.body.to_vec();
                let digits = format!("{serial:0EDIT_DIGITS$}");
                edited[at..at + EDIT_DIGITS].copy_from_slice(&digits.as_bytes()[..EDIT_DIGITS]);
                Bytes::from(edited)
            }
        };
        b.body(Full::new(body)).expect("request")
    }
}

/// What one connection saw while measuring.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    statuses: BTreeMap<u16, u64>,
    tool_failures: u64,
    connect_errors: u64,
    first_failure: Option<String>,
}

/// A phase's figures.
pub struct PhaseResult {
    pub phase: Phase,
    pub rps: f64,
    pub requests: u64,
    p50_ms: f64,
    p99_ms: f64,
    statuses: BTreeMap<u16, u64>,
    tool_failures: u64,
    connect_errors: u64,
    first_failure: Option<String>,
    pub peak_rss_mb: f64,
    /// CPU time per answered request while measuring, in microseconds: the server's, and
    /// the load generator's (this whole process).
    server_cpu_us: f64,
    client_cpu_us: f64,
}

impl PhaseResult {
    pub fn with_peak_rss(mut self, mb: f64) -> Self {
        self.peak_rss_mb = mb;
        self
    }

    pub fn non_2xx(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s))
            .map(|(_, n)| n)
            .sum()
    }

    pub fn print(&self) {
        println!();
        println!("{}", self.phase.name());
        println!(
            "  {:.0} req/s ({} requests), p50 {:.2} ms, p99 {:.2} ms, peak RSS {:.1} MB",
            self.rps, self.requests, self.p50_ms, self.p99_ms, self.peak_rss_mb
        );
        let statuses: Vec<String> = self
            .statuses
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect();
        println!(
            "  statuses {{{}}}; non-2xx {}; tool failures {}; connection errors {}",
            statuses.join(", "),
            self.non_2xx(),
            self.tool_failures,
            self.connect_errors
        );
        println!(
            "  CPU per request: server {:.1} µs, load generator {:.1} µs",
            self.server_cpu_us, self.client_cpu_us
        );
        if let Some(f) = &self.first_failure {
            println!("  first failure: {f}");
        }
    }
}

/// Runs one phase: `warm` unmeasured, then `run` measured.
pub async fn run(
    phase: Phase,
    server_pid: u32,
    addr: SocketAddr,
    spec: Spec,
    connections: usize,
    warm: Duration,
    run: Duration,
) -> PhaseResult {
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let spec = Arc::new(spec);
    let tasks: Vec<_> = (0..connections)
        .map(|index| {
            tokio::spawn(connection(
                index as u64,
                addr,
                spec.clone(),
                measuring.clone(),
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(warm).await;
    let cpu_before = (
        cpu_ticks("/proc/self/stat"),
        cpu_ticks(&format!("/proc/{server_pid}/stat")),
    );
    measuring.store(true, Ordering::Release);
    let started = Instant::now();
    tokio::time::sleep(run).await;
    stop.store(true, Ordering::Release);
    let elapsed = started.elapsed();
    let cpu_after = (
        cpu_ticks("/proc/self/stat"),
        cpu_ticks(&format!("/proc/{server_pid}/stat")),
    );
    let mut all = Tally::default();
    for t in tasks {
        let t = t.await.expect("connection task");
        all.latencies_us.extend(t.latencies_us);
        for (s, n) in t.statuses {
            *all.statuses.entry(s).or_default() += n;
        }
        all.tool_failures += t.tool_failures;
        all.connect_errors += t.connect_errors;
        all.first_failure = all.first_failure.or(t.first_failure);
    }
    all.latencies_us.sort_unstable();
    let pct = |p: f64| {
        let v = &all.latencies_us;
        if v.is_empty() {
            return 0.0;
        }
        f64::from(v[((v.len() - 1) as f64 * p).round() as usize]) / 1e3
    };
    let requests = all.latencies_us.len() as u64;
    PhaseResult {
        phase,
        rps: requests as f64 / elapsed.as_secs_f64(),
        requests,
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        statuses: all.statuses,
        tool_failures: all.tool_failures,
        connect_errors: all.connect_errors,
        first_failure: all.first_failure,
        peak_rss_mb: 0.0,
        server_cpu_us: per_request(cpu_after.1 - cpu_before.1, requests),
        client_cpu_us: per_request(cpu_after.0 - cpu_before.0, requests),
    }
}

/// utime + stime of a `/proc/<pid>/stat` file, in clock ticks.
fn cpu_ticks(path: &str) -> u64 {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // The fields after the command name (which may hold spaces) start after its `)`.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the `)`.
    field(11) + field(12)
}

/// Clock ticks over `requests`, in microseconds (Linux's USER_HZ is 100).
fn per_request(ticks: u64, requests: u64) -> f64 {
    if requests == 0 {
        return 0.0;
    }
    ticks as f64 * 10_000.0 / requests as f64
}

async fn connection(
    index: u64,
    addr: SocketAddr,
    spec: Arc<Spec>,
    measuring: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) -> Tally {
    let mut tally = Tally::default();
    // Distinct per connection and per request (edited bodies).
    let mut serial = index * 1_000_000_000;
    'connect: while !stop.load(Ordering::Acquire) {
        let stream = match tokio::net::TcpStream::connect(addr).await {
            Ok(s) => s,
            Err(e) => {
                tally.connect_errors += 1;
                tally.first_failure.get_or_insert(format!("connect: {e}"));
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (mut sender, conn) = match http1::handshake(TokioIo::new(stream)).await {
            Ok(pair) => pair,
            Err(e) => {
                tally.connect_errors += 1;
                tally.first_failure.get_or_insert(format!("handshake: {e}"));
                continue;
            }
        };
        tokio::spawn(conn);
        while !stop.load(Ordering::Acquire) {
            if sender.ready().await.is_err() {
                continue 'connect; // closed by the server (e.g. after a 503): reconnect
            }
            let started = Instant::now();
            let answer = async {
                serial += 1;
                let resp = sender.send_request(spec.build(serial)).await?;
                let status = resp.status().as_u16();
                let body = resp.into_body().collect().await?.to_bytes();
                Ok::<_, hyper::Error>((status, body))
            }
            .await;
            let took = started.elapsed();
            let (status, body) = match answer {
                Ok(a) => a,
                Err(e) => {
                    if measuring.load(Ordering::Acquire) {
                        tally.connect_errors += 1;
                        tally.first_failure.get_or_insert(format!("request: {e}"));
                    }
                    continue 'connect;
                }
            };
            if !measuring.load(Ordering::Acquire) {
                continue;
            }
            tally
                .latencies_us
                .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
            *tally.statuses.entry(status).or_default() += 1;
            let ok = (200..300).contains(&status);
            let tool_failed = ok && spec.rpc && !tool_succeeded(&body);
            tally.tool_failures += u64::from(tool_failed);
            if (!ok || tool_failed) && tally.first_failure.is_none() {
                let text = String::from_utf8_lossy(&body);
                tally.first_failure = Some(format!(
                    "HTTP {status}: {}",
                    text.chars().take(300).collect::<String>()
                ));
            }
        }
    }
    tally
}

/// A JSON-RPC result that is not a tool error. A vectorised substring search: a naive scan
/// of a 12 KB answer costs the load generator tens of microseconds per response, CPU taken
/// from the server it measures on the same cores.
fn tool_succeeded(body: &[u8]) -> bool {
    memchr::memmem::find(body, b"\"result\":").is_some()
        && memchr::memmem::find(body, b"\"isError\":true").is_none()
}
