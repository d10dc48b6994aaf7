//! A fake Replicate API on 127.0.0.1, faithful to the shapes replicate-python 1.1.0b3
//! reads (see the project's reference notes, §1).
//!
//! It serves the fixture models in `tests/fakes/fixtures/replicate/models/` (our own
//! schemas) and implements what `replicate.use()` calls: model, versions, pinned version,
//! file upload and download, predictions (create on a version or on a model, poll through
//! `starting → processing → succeeded|failed`, cancel), search (`GET /v1/search` and
//! `QUERY /v1/models`), with RFC 7807 error bodies.
//!
//! Test switches: a request log (with `Authorization` headers), a required token (→ 401),
//! injected faults (429 with `Retry-After`, 500, …), a per-request delay, and disabling
//! `/v1/search` to exercise the fallback.
//!
//! Predictions are deterministic per model (see each fixture's `fake` section). A
//! prediction fails, with an error and logs, when its input has `"fail": true` or any
//! string input contains `FAIL_PREDICTION`.

mod fixtures;
mod handlers;
mod multipart;
mod predictions;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

pub use fixtures::FixtureModel;
pub use state::{Fault, LoggedRequest};

use state::Shared;

/// A running fake Replicate API. Dropping it stops the server.
pub struct FakeReplicate {
    /// `http://127.0.0.1:PORT`, without a trailing slash (what `REPLICATE_BASE_URL` takes).
    pub base_url: String,
    /// The bound address.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl FakeReplicate {
    /// Starts the fake on `127.0.0.1:0`.
    pub async fn start() -> FakeReplicate {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind 127.0.0.1:0")
    }

    /// Starts the fake on the given address.
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<FakeReplicate> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let shared = Arc::new(Shared::new(base_url.clone(), fixtures::load_all()));
        let app = handlers::router(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(FakeReplicate {
            base_url,
            addr,
            shared,
            shutdown: Some(tx),
        })
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.lock().log.clone()
    }

    /// Requests whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<LoggedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.starts_with(prefix))
            .collect()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }

    /// Answers the next matching requests with a forced error (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }

    /// Removes all pending faults.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Delays every API (`/v1/...`) response by `delay`.
    pub fn set_delay(&self, delay: Duration) {
        self.shared.lock().delay = delay;
    }

    /// When set, API requests must carry `Authorization: Bearer <token>` (or `Token
    /// <token>`), else they get a 401. `None` (the default) accepts any or no token.
    pub fn require_token(&self, token: Option<&str>) {
        self.shared.lock().required_token = token.map(str::to_owned);
    }

    /// Enables or disables `GET /v1/search` (disabled → 404, to exercise the
    /// `QUERY /v1/models` fallback). Enabled by default.
    pub fn set_search_enabled(&self, enabled: bool) {
        self.shared.lock().search_enabled = enabled;
    }

    /// `owner/name` of every model served.
    pub fn model_refs(&self) -> Vec<String> {
        self.shared
            .lock()
            .models
            .iter()
            .map(FixtureModel::reference)
            .collect()
    }

    /// Version ids of a model, latest first (empty if unknown).
    pub fn version_ids(&self, model: &str) -> Vec<String> {
        self.shared
            .lock()
            .models
            .iter()
            .find(|m| m.reference() == model)
            .map(|m| m.versions.iter().map(|v| v.id.clone()).collect())
            .unwrap_or_default()
    }

    /// The latest version of a model as `GET /v1/models/o/n` shows it — `(id, openapi_schema)`
    /// — read without a request (the request log is untouched). `None` for unknown models or
    /// models without versions.
    pub fn latest_version(&self, model: &str) -> Option<(String, serde_json::Value)> {
        self.shared
            .lock()
            .models
            .iter()
            .find(|m| m.reference() == model)
            .and_then(|m| m.versions.first())
            .map(|v| (v.id.clone(), v.openapi_schema.clone()))
    }

    /// Serves a copy of the fixture `source` (`owner/name`) under `new_ref` with fresh
    /// version ids. Returns false if `source` is unknown or `new_ref` malformed.
    pub fn add_copy(&self, source: &str, new_ref: &str) -> bool {
        let mut inner = self.shared.lock();
        let Some(copy) = inner
            .models
            .iter()
            .find(|m| m.reference() == source)
            .and_then(|m| m.renamed(new_ref))
        else {
            return false;
        };
        inner.models.retain(|m| m.reference() != new_ref);
        inner.models.push(copy);
        true
    }

    /// Serves a recorded model version (see [`fixtures::recorded`]) as `reference`,
    /// replacing a fixture of that name. Returns false if either is malformed.
    pub fn add_recorded(
        &self,
        reference: &str,
        version: &serde_json::Value,
        output: serde_json::Value,
    ) -> bool {
        let Some(model) = fixtures::recorded(reference, version, output) else {
            return false;
        };
        let mut inner = self.shared.lock();
        inner.models.retain(|m| m.reference() != reference);
        inner.models.push(model);
        true
    }

    /// The most API requests the fake was handling at the same time (with a delay set,
    /// this shows whether a client's requests were concurrent).
    pub fn max_in_flight(&self) -> usize {
        self.shared
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Resets [`FakeReplicate::max_in_flight`].
    pub fn reset_max_in_flight(&self) {
        self.shared
            .max_in_flight
            .store(0, std::sync::atomic::Ordering::SeqCst);
    }

    /// Every prediction created so far, as the API would return it now.
    pub fn predictions(&self) -> Vec<serde_json::Value> {
        let inner = self.shared.lock();
        let mut all: Vec<_> = inner.predictions.values().collect();
        all.sort_by_key(|p| p.seq);
        all.iter()
            .map(|p| p.to_json(&self.shared.base_url))
            .collect()
    }

    /// The bytes of an uploaded file.
    pub fn uploaded_file(&self, id: &str) -> Option<Vec<u8>> {
        self.shared.lock().files.get(id).map(|f| f.content.clone())
    }
}

impl Drop for FakeReplicate {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
