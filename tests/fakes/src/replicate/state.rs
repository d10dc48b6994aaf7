//! The fake's mutable state: models, predictions, files, the request log and switches.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::fixtures::FixtureModel;
use super::predictions::Prediction;

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// HTTP method, e.g. `GET`, `QUERY`.
    pub method: String,
    /// The path, e.g. `/v1/models/acme/echo-text`.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The `Authorization` header, verbatim.
    pub authorization: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// When it arrived.
    pub at: Instant,
}

/// A forced error answer for the next matching requests.
#[derive(Debug, Clone)]
pub struct Fault {
    /// HTTP status to answer with (401, 404, 429, 500, 503, …).
    pub status: u16,
    /// How many requests to answer this way.
    pub times: usize,
    /// `Retry-After` header value to send, if any.
    pub retry_after: Option<String>,
    /// Only requests whose path starts with this (default: every `/v1/` path).
    pub path_prefix: Option<String>,
    /// Instead of an error: 200 with a streamed body of this many bytes.
    pub huge_body: Option<u64>,
}

impl Fault {
    /// One request answered with `status`.
    pub fn status(status: u16) -> Fault {
        Fault {
            status,
            times: 1,
            retry_after: None,
            path_prefix: None,
            huge_body: None,
        }
    }

    /// One request answered 200 with a streamed body of `bytes` bytes (no declared length).
    pub fn huge(bytes: u64) -> Fault {
        Fault {
            huge_body: Some(bytes),
            ..Fault::status(200)
        }
    }

    /// Applies to the next `times` matching requests.
    pub fn times(mut self, times: usize) -> Fault {
        self.times = times;
        self
    }

    /// Sends `Retry-After: <value>`.
    pub fn retry_after(mut self, value: &str) -> Fault {
        self.retry_after = Some(value.to_owned());
        self
    }

    /// Only for paths starting with `prefix`.
    pub fn on_path(mut self, prefix: &str) -> Fault {
        self.path_prefix = Some(prefix.to_owned());
        self
    }

    pub(crate) fn matches(&self, path: &str) -> bool {
        match &self.path_prefix {
            Some(prefix) => path.starts_with(prefix.as_str()),
            None => path.starts_with("/v1/"),
        }
    }
}

/// An uploaded file.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub content: Vec<u8>,
    pub metadata: serde_json::Value,
    pub created_at: String,
}

pub(crate) struct Inner {
    pub models: Vec<FixtureModel>,
    pub log: Vec<LoggedRequest>,
    pub predictions: HashMap<String, Prediction>,
    pub files: HashMap<String, StoredFile>,
    pub faults: Vec<Fault>,
    pub delay: Duration,
    pub required_token: Option<String>,
    pub search_enabled: bool,
    pub next_seq: u64,
}

pub(crate) struct Shared {
    pub base_url: String,
    inner: Mutex<Inner>,
    /// API requests being handled right now.
    pub in_flight: AtomicUsize,
    /// The most API requests ever handled at once.
    pub max_in_flight: AtomicUsize,
}

impl Shared {
    pub fn new(base_url: String, models: Vec<FixtureModel>) -> Shared {
        Shared {
            base_url,
            inner: Mutex::new(Inner {
                models,
                log: Vec::new(),
                predictions: HashMap::new(),
                files: HashMap::new(),
                faults: Vec::new(),
                delay: Duration::ZERO,
                required_token: None,
                search_enabled: true,
                next_seq: 0,
            }),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        }
    }

    /// Locks the state; a poisoned lock is recovered (a panicking handler must not
    /// wedge the rest of a test).
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    pub fn model(&self, owner: &str, name: &str) -> Option<&FixtureModel> {
        self.models
            .iter()
            .find(|m| m.owner == owner && m.name == name)
    }

    /// A fresh id in Replicate's style (lowercase base32-ish, 26 chars).
    pub fn new_id(&mut self, kind: &str) -> (String, u64) {
        self.next_seq += 1;
        let seq = self.next_seq;
        let digest = sha2_hex(&format!("{kind}-{seq}"));
        let id: String = digest
            .chars()
            .map(|c| match c {
                '0'..='9' => (b'a' + (c as u8 - b'0') + 10) as char,
                c => c,
            })
            .take(26)
            .collect();
        (id, seq)
    }
}

pub(crate) fn sha2_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
