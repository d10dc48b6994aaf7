//! The Replicate proxy of a run: a loopback HTTP server (127.0.0.1, random port, alive for
//! one run) that the pipeline's `REPLICATE_BASE_URL` points at.
//!
//! - The child gets a random per-run token ([`Proxy::run_token`]) that only this proxy
//!   accepts; the proxy forwards to the real API with the real token (`forward`), so the
//!   real token never enters the child's environment, arguments or files.
//! - Every prediction is recorded in the trace (`trace`), shown as text by `table`.
//! - Mocked models are answered here, through the prediction lifecycle the client expects
//!   (`mock`, `auto`, `media`).
//! - Only the calls `replicate.use()` makes pass, within the run's limits (`policy`).
//! - [`Proxy::finish`] cancels upstream predictions the run left unfinished.

mod auto;
mod finish;
mod forward;
mod input_check;
mod media;
mod mock;
mod mock_config;
mod mock_output;
mod mock_upload;
mod policy;
mod routes;
mod table;
pub(crate) mod trace;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::error::RunError;
pub use mock_config::{DEFAULT_MOCK_LATENCY_MS, MockSchema, Mocks};
pub use policy::{DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_PREDICTIONS, ProxyLimits};
pub use table::{calls_table, calls_table_with};
use trace::FileInfo;
pub use trace::ModelCall;

/// What the proxy of one run does.
#[derive(Debug, Clone)]
pub(crate) struct ProxySpec {
    /// The real API's base URL (no trailing slash).
    pub(crate) upstream: String,
    /// The real token; `None` forwards without `Authorization`.
    pub(crate) token: Option<String>,
    /// `owner/name` (or `*`) → fixed output JSON or `"auto"`.
    pub(crate) mocks: BTreeMap<String, Value>,
    pub(crate) mock_latency: Duration,
    /// Schemas of the models by `owner/name`, for mocks.
    pub(crate) schemas: HashMap<String, MockSchema>,
}

/// One prediction seen by the proxy.
pub(crate) struct Record {
    pub(crate) call: ModelCall,
    /// The prediction id (upstream or mock).
    pub(crate) id: String,
    pub(crate) mock: Option<mock::MockPrediction>,
}

#[derive(Default)]
pub(crate) struct Tables {
    pub(crate) records: Vec<Record>,
    pub(crate) by_id: HashMap<String, usize>,
    /// What is known about file URLs (uploads, mock files).
    pub(crate) files: HashMap<String, FileInfo>,
    /// Files served at `/mock-files/{id}/{name}`: content type and bytes.
    pub(crate) served: HashMap<String, (String, axum::body::Bytes)>,
    /// Version ids served for mocked models → `owner/name`.
    pub(crate) mock_versions: HashMap<String, String>,
    /// Version ids seen in forwarded model look-ups → `owner/name` (names refused calls).
    pub(crate) versions: HashMap<String, String>,
    /// Ids of the files this run uploaded (the only files it may read back).
    pub(crate) uploaded: HashSet<String>,
    /// Predictions admitted so far ([`ProxyLimits::max_predictions`]).
    pub(crate) admitted: usize,
    /// Predictions being created right now (not yet in `records`).
    pub(crate) creating: usize,
    /// Predictions created so far per mocked model (for `{"sequence": [..]}` mocks).
    pub(crate) mock_calls: HashMap<String, usize>,
}

pub(crate) struct Shared {
    pub(crate) spec: ProxySpec,
    pub(crate) limits: ProxyLimits,
    pub(crate) run_token: String,
    pub(crate) base_url: String,
    pub(crate) client: reqwest::Client,
    pub(crate) started: Instant,
    tables: Mutex<Tables>,
}

impl Tables {
    /// Records a prediction the pipeline created, under its id.
    pub(crate) fn insert(
        &mut self,
        id: String,
        call: ModelCall,
        mock: Option<mock::MockPrediction>,
    ) {
        self.by_id.insert(id.clone(), self.records.len());
        self.records.push(Record { call, id, mock });
    }
}

impl Shared {
    pub(crate) fn tables(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Records a prediction the API (or a mock, checking as the API does) refused to create:
    /// it is in the trace as `failed` with `error`, so the call the pipeline tried is seen.
    pub(crate) fn record_refused(
        &self,
        model: String,
        version: Option<String>,
        mocked: bool,
        input: &Value,
        started_ms: u64,
        error: String,
    ) {
        let mut tables = self.tables();
        let inputs = trace::summarise_inputs(input, &tables.files);
        let mut call = ModelCall::starting(model, version, mocked, inputs, started_ms);
        call.status = crate::run_local::RunStatus::Failed;
        call.ended_ms = Some(self.now_ms());
        call.error = Some(error);
        let id = format!("{REFUSED_ID}{}", tables.records.len());
        tables.insert(id, call, None);
    }

    /// `owner/name` of a version id, when the run's schemas know it.
    pub(crate) fn model_of_version(&self, version: &str) -> Option<String> {
        {
            let tables = self.tables();
            if let Some(model) = tables
                .mock_versions
                .get(version)
                .or_else(|| tables.versions.get(version))
            {
                return Some(model.clone());
            }
        }
        self.spec
            .schemas
            .iter()
            .find(|(_, s)| s.version.as_deref() == Some(version))
            .map(|(model, _)| model.clone())
    }

    /// The mock for `model` (`owner/name`), exact or `*`.
    pub(crate) fn mock_for(&self, model: &str) -> Option<&Value> {
        self.spec
            .mocks
            .get(model)
            .or_else(|| self.spec.mocks.get("*"))
    }
}

/// The prefix of the trace ids of calls that never became predictions.
const REFUSED_ID: &str = "refused-";

/// A running proxy. Dropping it without [`Proxy::finish`] still cancels unfinished
/// upstream predictions (in the background) and stops the server.
pub struct Proxy {
    shared: Arc<Shared>,
    port: u16,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Proxy {
    /// Binds 127.0.0.1:0 and serves.
    pub(crate) async fn start(spec: ProxySpec, limits: ProxyLimits) -> Result<Proxy, RunError> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(|e| RunError::io("starting the Replicate proxy on 127.0.0.1", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| RunError::io("starting the Replicate proxy on 127.0.0.1", e))?
            .port();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(120))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| RunError::Protocol {
                message: format!("building the proxy's HTTP client: {e}"),
            })?;
        let mut spec = spec;
        spec.upstream = spec.upstream.trim_end_matches('/').to_owned();
        let shared = Arc::new(Shared {
            spec,
            limits,
            run_token: random_token()?,
            base_url: format!("http://127.0.0.1:{port}"),
            client,
            started: Instant::now(),
            tables: Mutex::new(Tables::default()),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        // Small request/response pairs: no Nagle delay on the loopback hop.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        tracing::debug!(port, "Replicate proxy started");
        Ok(Proxy {
            shared,
            port,
            shutdown: Some(tx),
        })
    }

    /// `http://127.0.0.1:PORT`: the child's `REPLICATE_BASE_URL`.
    pub fn url(&self) -> &str {
        &self.shared.base_url
    }

    /// The loopback port the proxy listens on (a sandbox must let the child connect to
    /// `127.0.0.1:<port>`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The per-run token the child gets (environment and cog context); only this proxy
    /// accepts it.
    pub fn run_token(&self) -> &str {
        &self.shared.run_token
    }

    /// The trace so far.
    pub fn calls(&self) -> Vec<ModelCall> {
        mock::refresh(&self.shared);
        self.shared
            .tables()
            .records
            .iter()
            .map(|r| r.call.clone())
            .collect()
    }

    /// Cancels the upstream predictions the run left unfinished, stops the server and
    /// returns the trace.
    pub async fn finish(mut self) -> Vec<ModelCall> {
        finish::cancel_unfinished(self.shared.clone()).await;
        mock::cancel_unfinished(&self.shared);
        finish::size_output_files(&self.shared).await;
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.calls()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let shared = self.shared.clone();
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    finish::cancel_unfinished(shared).await;
                    let _ = tx.send(());
                });
            }
        }
    }
}

fn random_token() -> Result<String, RunError> {
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| RunError::io("reading /dev/urandom for the run's token", e))?;
    Ok(format!("r8_run_{}", hex::encode(bytes)))
}

/// An RFC 7807 error answer, as Replicate sends them.
pub(crate) fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        json!({"title": title, "detail": detail, "status": status.as_u16()}).to_string(),
    )
        .into_response()
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    use subtle::ConstantTimeEq as _;
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let given = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("Token "))
        .unwrap_or("")
        .trim();
    bool::from(given.as_bytes().ct_eq(shared.run_token.as_bytes()))
}

/// Every request: mock files need no token; the API needs the run's token.
async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if request.method() == Method::GET
        && let ["mock-files", id, _name] = segments.as_slice()
    {
        return mock::serve_file(&shared, id);
    }
    if !authorized(&shared, request.headers()) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Unauthenticated",
            "You did not pass a valid authentication token",
        );
    }
    let method = request.method().clone();
    // Owners, names and ids are plain names: nothing upstream could read as another path
    // (`..`, an encoded `/`).
    if let Some(odd) = segments.iter().skip(2).find(|s| !policy::plain(s)) {
        return policy::refuse_endpoint(
            &shared,
            method.as_str(),
            &path,
            &format!("`{odd}` is not a plain name or id"),
        );
    }
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["v1", "models", owner, name])
        | ("GET", ["v1", "models", owner, name, "versions"])
        | ("GET", ["v1", "models", owner, name, "versions", _]) => {
            routes::model_info(&shared, request, format!("{owner}/{name}"), &segments[4..]).await
        }
        ("POST", ["v1", "models", owner, name, "predictions"]) => {
            routes::create_for_model(&shared, request, format!("{owner}/{name}")).await
        }
        ("POST", ["v1", "predictions"]) => {
            let _admitted = match policy::admit(&shared, "(model named by its version)") {
                Ok(a) => a,
                Err(refused) => return *refused,
            };
            forward::create(&shared, request).await
        }
        ("GET", ["v1", "predictions", id]) | ("POST", ["v1", "predictions", id, "cancel"]) => {
            routes::prediction(&shared, request, id, &path).await
        }
        ("POST", ["v1", "files"]) if shared.spec.token.is_none() => {
            mock_upload::upload(&shared, request).await
        }
        ("POST", ["v1", "files"]) => forward::upload(&shared, request).await,
        ("GET", ["v1", "files", id]) | ("GET", ["v1", "files", id, "download"]) => {
            if !shared.tables().uploaded.contains(*id) {
                return policy::refuse_endpoint(
                    &shared,
                    method.as_str(),
                    &path,
                    "this run did not upload that file",
                );
            }
            forward::stream(&shared, request).await
        }
        _ => policy::refuse_endpoint(
            &shared,
            method.as_str(),
            &path,
            "replicate.use() never calls it",
        ),
    }
}

/// Renders a prediction's `Body` into bytes, at most `limit`.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<axum::body::Bytes, Response> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request too large",
            &format!("the proxy reads at most {limit} bytes of this request: {e}"),
        )
    })
}

/// The default API base when none is configured.
const DEFAULT_UPSTREAM: &str = "https://api.replicate.com";

/// Starts the proxy of one run: forwarding to `upstream` (default
/// `https://api.replicate.com`) with `token`, answering mocked models itself, within the
/// default [`ProxyLimits`].
pub async fn start_for(
    upstream: Option<&str>,
    token: Option<&str>,
    mocks: &Mocks,
) -> Result<Proxy, RunError> {
    start_limited(upstream, token, mocks, ProxyLimits::default()).await
}

/// [`start_for`] within `limits`.
pub async fn start_limited(
    upstream: Option<&str>,
    token: Option<&str>,
    mocks: &Mocks,
    limits: ProxyLimits,
) -> Result<Proxy, RunError> {
    // This process holds the real token (its environment, the proxy's memory): make its
    // /proc entries unreadable to the pipeline, which runs as the same user. (Children
    // become dumpable again at exec; root can still read them — a sandbox closes that.)
    if let Err(e) = nix::sys::prctl::set_dumpable(false) {
        tracing::debug!("prctl(PR_SET_DUMPABLE, 0) failed: {e}");
    }
    Proxy::start(
        mocks.spec(upstream.unwrap_or(DEFAULT_UPSTREAM), token),
        limits,
    )
    .await
}

impl Proxy {
    /// The child's Replicate variables: the proxy's URL and the per-run token.
    pub(crate) fn child_env(&self) -> [(std::ffi::OsString, std::ffi::OsString); 2] {
        [
            ("REPLICATE_BASE_URL".into(), self.url().into()),
            ("REPLICATE_API_TOKEN".into(), self.run_token().into()),
        ]
    }
}
