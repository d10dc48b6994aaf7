//! The fake docs host: serves our fixture documents on 127.0.0.1 with `ETag` and
//! `Last-Modified`, answers conditional requests with 304, and can switch a document to
//! a changed version, or make a route answer 404, 500, or hang forever.
//!
//! ```no_run
//! # async fn demo() {
//! use pipelines_test_fakes::docs_host::{DocsHost, Mode, Doc};
//! let host = DocsHost::start().await;
//! let url = host.url(Doc::Pipelines);            // http://127.0.0.1:PORT/pipelines/llms.txt
//! host.set_body(Doc::Pipelines, pipelines_test_fakes::docs_host::PIPELINES_LLMS_V2);
//! host.set_mode(Doc::Pipelines, Mode::ServerError);
//! assert_eq!(host.requests(Doc::Pipelines), 0);
//! # }
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use futures::StreamExt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

/// Our fixture pipeline spec: same headings and facts as the real one, our own prose.
pub const PIPELINES_LLMS: &str = include_str!("../fixtures/docs/pipelines-llms.txt");
/// A changed version: `cog >= 0.16.0`, adds `numpy<3`, a new `runtime/limits` section and a
/// reworded `replicate-python-library/efficient-model-usage`.
pub const PIPELINES_LLMS_V2: &str = include_str!("../fixtures/docs/pipelines-llms-v2.txt");
/// A reworded spec whose sections and facts cannot be parsed: the Rulebook falls back.
pub const PIPELINES_LLMS_REWORDED: &str =
    include_str!("../fixtures/docs/pipelines-llms-reworded.txt");
/// A spec that contradicts itself: its Secret example returns `dict` (which its Outputs
/// section forbids), its Async example calls `use()` inside a function, and it refers to a
/// "Local Development" section it does not have. Its Miscellaneous list has a binding
/// statement ("must") that no rule enforces.
pub const PIPELINES_LLMS_ERRATA: &str = include_str!("../fixtures/docs/pipelines-llms-errata.txt");
/// The runtime's package list (`requirements.txt` format, with pins).
pub const RUNTIME_REQUIREMENTS: &str = include_str!("../fixtures/docs/runtime-requirements.txt");
/// A short cog llms.txt.
pub const COG_LLMS: &str = include_str!("../fixtures/docs/cog-llms.txt");

/// One document the host serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Doc {
    /// `/pipelines/llms.txt`
    Pipelines,
    /// `/runtime/requirements.txt`
    Runtime,
    /// `/cog/llms.txt`
    Cog,
}

impl Doc {
    /// The URL path of the document.
    pub fn path(self) -> &'static str {
        match self {
            Doc::Pipelines => "/pipelines/llms.txt",
            Doc::Runtime => "/runtime/requirements.txt",
            Doc::Cog => "/cog/llms.txt",
        }
    }

    fn from_segments(dir: &str, file: &str) -> Option<Doc> {
        match (dir, file) {
            ("pipelines", "llms.txt") => Some(Doc::Pipelines),
            ("runtime", "requirements.txt") => Some(Doc::Runtime),
            ("cog", "llms.txt") => Some(Doc::Cog),
            _ => None,
        }
    }
}

/// How a document's route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 200 with the body, or 304 when the validators match.
    Ok,
    /// 404 Not Found.
    NotFound,
    /// 500 Internal Server Error.
    ServerError,
    /// Never answers.
    Hang,
    /// 200 with a streamed body of this many bytes and no declared length.
    Huge(u64),
}

#[derive(Debug, Clone)]
struct Served {
    body: String,
    etag: String,
    last_modified: String,
    mode: Mode,
}

#[derive(Debug, Default)]
struct Counters {
    requests: usize,
    not_modified: usize,
    full: usize,
}

#[derive(Debug)]
struct HostState {
    docs: Mutex<HashMap<Doc, Served>>,
    counters: Mutex<HashMap<Doc, Counters>>,
    revision: Mutex<u32>,
}

/// A running fake docs host. Stops when dropped.
#[derive(Debug)]
pub struct DocsHost {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub base_url: String,
    /// The bound address.
    pub addr: SocketAddr,
    state: Arc<HostState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl DocsHost {
    /// Binds 127.0.0.1:0 and serves the fixture documents (v1 of the spec).
    pub async fn start() -> DocsHost {
        let state = Arc::new(HostState {
            docs: Mutex::new(HashMap::new()),
            counters: Mutex::new(HashMap::new()),
            revision: Mutex::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/{dir}/{file}", get(serve_doc))
            .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
            .route(
                "/error",
                get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
            )
            .route("/hang", get(hang))
            .with_state(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        let host = DocsHost {
            base_url: format!("http://{addr}"),
            addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
        };
        host.set_body(Doc::Pipelines, PIPELINES_LLMS);
        host.set_body(Doc::Runtime, RUNTIME_REQUIREMENTS);
        host.set_body(Doc::Cog, COG_LLMS);
        host
    }

    /// The full URL of a document.
    pub fn url(&self, doc: Doc) -> String {
        format!("{}{}", self.base_url, doc.path())
    }

    /// A URL that always answers 404.
    pub fn missing_url(&self) -> String {
        format!("{}/missing", self.base_url)
    }

    /// A URL that always answers 500.
    pub fn error_url(&self) -> String {
        format!("{}/error", self.base_url)
    }

    /// A URL that never answers.
    pub fn hang_url(&self) -> String {
        format!("{}/hang", self.base_url)
    }

    /// Serves `body` for `doc` from now on, with a new ETag and Last-Modified.
    pub fn set_body(&self, doc: Doc, body: &str) {
        let revision = {
            let mut r = self.state.revision.lock().unwrap();
            *r += 1;
            *r
        };
        let hash = hex::encode(Sha256::digest(body.as_bytes()));
        let etag = format!("\"{}\"", &hash[..16]);
        // A distinct, valid HTTP date per revision.
        let last_modified = format!(
            "Mon, 02 Nov 2026 {:02}:{:02}:00 GMT",
            (revision / 60) % 24,
            revision % 60
        );
        let mut docs = self.state.docs.lock().unwrap();
        let mode = docs.get(&doc).map_or(Mode::Ok, |s| s.mode);
        docs.insert(
            doc,
            Served {
                body: body.to_owned(),
                etag,
                last_modified,
                mode,
            },
        );
    }

    /// Switches the pipelines spec to the changed version.
    pub fn switch_to_v2(&self) {
        self.set_body(Doc::Pipelines, PIPELINES_LLMS_V2);
    }

    /// Makes `doc`'s route answer as `mode`.
    pub fn set_mode(&self, doc: Doc, mode: Mode) {
        if let Some(s) = self.state.docs.lock().unwrap().get_mut(&doc) {
            s.mode = mode;
        }
    }

    /// The ETag currently served for `doc`.
    pub fn etag(&self, doc: Doc) -> String {
        self.state.docs.lock().unwrap()[&doc].etag.clone()
    }

    /// Requests received for `doc` (every answer, including 304s and failures).
    pub fn requests(&self, doc: Doc) -> usize {
        self.counter(doc, |c| c.requests)
    }

    /// 304 answers sent for `doc`.
    pub fn not_modified(&self, doc: Doc) -> usize {
        self.counter(doc, |c| c.not_modified)
    }

    /// 200 answers (with a body) sent for `doc`.
    pub fn full_responses(&self, doc: Doc) -> usize {
        self.counter(doc, |c| c.full)
    }

    fn counter(&self, doc: Doc, f: impl Fn(&Counters) -> usize) -> usize {
        self.state.counters.lock().unwrap().get(&doc).map_or(0, f)
    }

    /// Stops listening; later requests fail to connect.
    pub async fn stop(mut self) {
        self.stop_now();
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    fn stop_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl Drop for DocsHost {
    fn drop(&mut self) {
        self.stop_now();
    }
}

async fn hang() -> StatusCode {
    std::future::pending::<()>().await;
    StatusCode::OK
}

/// A streamed body of `bytes` bytes (never held whole), without a `Content-Length`.
pub fn huge_body(bytes: u64) -> Response {
    const CHUNK: usize = 64 * 1024;
    let block = axum::body::Bytes::from(vec![b'a'; CHUNK]);
    let full = bytes / CHUNK as u64;
    let rest = usize::try_from(bytes % CHUNK as u64).unwrap_or(0);
    let chunks = futures::stream::iter(
        (0..full)
            .map(move |_| block.clone())
            .chain((rest > 0).then(|| axum::body::Bytes::from(vec![b'a'; rest]))),
    )
    .map(Ok::<_, std::convert::Infallible>);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        axum::body::Body::from_stream(chunks),
    )
        .into_response()
}

async fn serve_doc(
    State(state): State<Arc<HostState>>,
    Path((dir, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(doc) = Doc::from_segments(&dir, &file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let served = state.docs.lock().unwrap().get(&doc).cloned();
    let Some(served) = served else {
        return StatusCode::NOT_FOUND.into_response();
    };
    state
        .counters
        .lock()
        .unwrap()
        .entry(doc)
        .or_default()
        .requests += 1;
    match served.mode {
        Mode::Ok => {}
        Mode::NotFound => return (StatusCode::NOT_FOUND, "not found").into_response(),
        Mode::ServerError => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "upstream exploded").into_response();
        }
        Mode::Hang => return hang().await.into_response(),
        Mode::Huge(bytes) => return huge_body(bytes),
    }
    let header_str = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let not_modified = match header_str(header::IF_NONE_MATCH) {
        Some(tags) => tags
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t == served.etag || t.strip_prefix("W/") == Some(&served.etag)),
        None => header_str(header::IF_MODIFIED_SINCE) == Some(served.last_modified.as_str()),
    };
    let validators = [
        (header::ETAG, served.etag.clone()),
        (header::LAST_MODIFIED, served.last_modified.clone()),
    ];
    let mut counters = state.counters.lock().unwrap();
    let c = counters.entry(doc).or_default();
    if not_modified {
        c.not_modified += 1;
        (StatusCode::NOT_MODIFIED, validators).into_response()
    } else {
        c.full += 1;
        (
            StatusCode::OK,
            validators,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned())],
            served.body,
        )
            .into_response()
    }
}
