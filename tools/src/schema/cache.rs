//! Schemas cached in the docs-cache [`Store`]: pinned versions forever, the latest version
//! of a model for a TTL. The cache is also the record of which models' schemas were
//! fetched, which the validator uses to enforce "schema before `use()`".
//!
//! Fresh schemas are visible in this process at once (an in-memory overlay) and written
//! to the store by one background task per batch, so a batch's answer does not wait for
//! N serialized store writes. [`SchemaCache::flush`] waits for those writes; a process
//! that exits right after fetching (the CLI) must call it. The overlay is bounded (LRU by
//! entries and bytes) so a long-lived server does not grow without limit; what it drops is
//! read back from the store.

use std::collections::HashMap;

use pipelines_docs_cache::lru::Lru;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::task::JoinHandle;

use pipelines_docs_cache::Store;
use serde::{Deserialize, Serialize};

use super::error::SchemaError;
use super::reference::ModelRef;
use super::set::Schemas;
use super::types::ModelSchema;

/// Overlay bounds: at most this many schemas…
const OVERLAY_ENTRIES: usize = 512;
/// …holding at most this many bytes (as JSON).
const OVERLAY_BYTES: usize = 16 * 1024 * 1024;

/// The store tree holding schemas, keyed `owner/name` (latest) or `owner/name:version`.
pub const TREE: &str = "replicate_schemas";

/// The store tree holding each schema's raw OpenAPI document (same keys as [`TREE`]), for
/// the local runner's mocks, which answer `replicate.use()`'s version look-up with the
/// model's own schema (replicate-python reads the output's handling from it) and check a
/// call's inputs against it as the API would. (`"auto"` outputs are made from the cached
/// [`OutputSpec`](super::OutputSpec), not from this.)
pub const OPENAPI_TREE: &str = "replicate_openapi";

/// One cached schema.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    /// When it was stored (Unix ms), for the TTL of latest schemas.
    stored_at_ms: u64,
    schema: ModelSchema,
}

/// One schema in this process's memory: as [`Entry`], its schema marked `from_cache` and
/// shared with the [`Schemas`] that read it.
#[derive(Debug, Clone)]
struct Held {
    stored_at_ms: u64,
    cached: Arc<ModelSchema>,
}

/// A cached schema looked up for a fetch.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub schema: ModelSchema,
    pub age: Duration,
}

/// Typed access to the cached schemas. Cheap to clone (clones share the overlay and the
/// pending writes).
#[derive(Debug, Clone)]
pub struct SchemaCache {
    store: Store,
    /// Entries fetched by this process, newest first in priority over the store.
    recent: Arc<Mutex<Lru<String, Held>>>,
    /// Background store writes not yet awaited.
    pending: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn cache_error(e: pipelines_docs_cache::StoreError) -> SchemaError {
    SchemaError::from(e)
}

impl SchemaCache {
    /// Schemas in `store`.
    pub fn new(store: Store) -> SchemaCache {
        SchemaCache {
            store,
            recent: Arc::new(Mutex::new(Lru::new(OVERLAY_ENTRIES, OVERLAY_BYTES))),
            pending: Arc::default(),
        }
    }

    fn recent(&self) -> MutexGuard<'_, Lru<String, Held>> {
        self.recent.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cache key of a reference.
    pub(crate) fn key(reference: &ModelRef) -> String {
        reference.to_string()
    }

    /// The cached schema for a reference with its age, if any (blocking).
    pub(crate) fn lookup(&self, key: &str) -> Result<Option<Hit>, SchemaError> {
        let recent = self.recent().get(&key.to_owned()).cloned();
        let entry: Option<Entry> = match recent {
            Some(held) => Some(Entry {
                stored_at_ms: held.stored_at_ms,
                schema: (*held.cached).clone(),
            }),
            None => self.store.get_json(TREE, key).map_err(cache_error)?,
        };
        Ok(entry.map(|e| Hit {
            age: Duration::from_millis(now_ms().saturating_sub(e.stored_at_ms)),
            schema: ModelSchema {
                from_cache: true,
                ..e.schema
            },
        }))
    }

    /// Looks up several keys with one store listing: keys the store does not hold cost no
    /// database access (blocking).
    pub(crate) fn lookup_many(&self, keys: &[String]) -> Result<Vec<Option<Hit>>, SchemaError> {
        let stored = self.store.list_keys(TREE).map_err(cache_error)?;
        keys.iter()
            .map(|key| {
                let known = self.recent().contains(key) || stored.binary_search(key).is_ok();
                if known { self.lookup(key) } else { Ok(None) }
            })
            .collect()
    }

    /// Records freshly fetched schemas: visible in this process at once, written to the
    /// store in the background (see [`SchemaCache::flush`]).
    pub(crate) fn remember(&self, schemas: Vec<(String, ModelSchema)>) {
        if schemas.is_empty() {
            return;
        }
        let entries: Vec<(String, Entry)> = schemas
            .into_iter()
            .map(|(key, schema)| {
                let entry = Entry {
                    stored_at_ms: now_ms(),
                    schema: ModelSchema {
                        from_cache: false,
                        ..schema
                    },
                };
                (key, entry)
            })
            .collect();
        {
            let mut recent = self.recent();
            for (key, entry) in &entries {
                let bytes = serde_json::to_vec(entry).map_or(0, |v| v.len());
                let held = Held {
                    stored_at_ms: entry.stored_at_ms,
                    cached: Arc::new(ModelSchema {
                        from_cache: true,
                        ..entry.schema.clone()
                    }),
                };
                recent.insert(key.clone(), held, bytes);
            }
        }
        let store = self.store.clone();
        let write = move || {
            for (key, entry) in &entries {
                if let Err(e) = store.put_json(TREE, key, entry) {
                    tracing::warn!(key = %key, error = %e, "could not cache the schema");
                }
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                let task = handle.spawn_blocking(write);
                let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                pending.retain(|t| !t.is_finished());
                pending.push(task);
            }
            Err(_) => write(),
        }
    }

    /// Waits until every schema fetched so far is written to the store.
    pub async fn flush(&self) {
        let tasks: Vec<JoinHandle<()>> = {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            pending.drain(..).collect()
        };
        for task in tasks {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "schema cache write task failed");
            }
        }
    }

    /// The cached schema that applies to `reference` (see [`Schemas::get`]): the pinned
    /// version when cached, else the latest. Stale entries count: this answers "was the
    /// schema fetched", not "is it fresh" (blocking).
    pub fn cached(&self, reference: &str) -> Option<ModelSchema> {
        let model_ref = ModelRef::parse(reference.trim()).ok()?;
        self.schemas_for(std::slice::from_ref(&model_ref))
            .get(&model_ref.to_string())
            .cloned()
    }

    /// The cached schemas of the models `refs` name, by model and version, reading only
    /// those entries: each pinned version asked for and each model's latest; a model's
    /// other pinned versions only when neither is cached (blocking).
    pub fn schemas_for(&self, refs: &[ModelRef]) -> Schemas {
        let mut out = Schemas::new();
        let (models, keys) = Self::wanted(refs);
        let mut found: Vec<String> = Vec::new();
        for r in keys {
            if let Some(hit) = self.lookup_logged(&Self::key(&r)) {
                found.push(r.model());
                out.insert(&r, hit.schema);
            }
        }
        let missing: Vec<&String> = models.iter().filter(|m| !found.contains(m)).collect();
        if missing.is_empty() {
            return out;
        }
        for key in self.keys() {
            let Ok(r) = ModelRef::parse(&key) else {
                continue;
            };
            if r.version.is_some()
                && missing.contains(&&r.model())
                && let Some(hit) = self.lookup_logged(&key)
            {
                out.insert(&r, hit.schema);
            }
        }
        out
    }

    /// [`SchemaCache::lookup`] for a validation: a store that cannot be read counts as no
    /// schema, and says why in the log (a "not fetched" finding would otherwise hide it).
    fn lookup_logged(&self, key: &str) -> Option<Hit> {
        self.lookup(key).unwrap_or_else(|e| {
            tracing::warn!(key = %key, error = %e, "could not read a cached schema");
            None
        })
    }

    /// What [`SchemaCache::schemas_for`] answers, when every entry it reads first is in
    /// this process's overlay (then it reads nothing else): no store access, not blocking.
    /// `None` when any of them would come from the store.
    pub fn schemas_in_memory(&self, refs: &[ModelRef]) -> Option<Schemas> {
        let (_, keys) = Self::wanted(refs);
        let mut out = Schemas::new();
        let mut recent = self.recent();
        for r in keys {
            let held = recent.get(&Self::key(&r))?;
            out.insert_shared(&r, held.cached.clone());
        }
        Some(out)
    }

    /// The models `refs` name (each once, in order) and the entries read first for them:
    /// each pinned version asked for, then each model's latest.
    fn wanted(refs: &[ModelRef]) -> (Vec<String>, Vec<ModelRef>) {
        let mut models: Vec<String> = Vec::new();
        for r in refs {
            if !models.contains(&r.model()) {
                models.push(r.model());
            }
        }
        let mut keys: Vec<ModelRef> = refs
            .iter()
            .filter(|r| r.version.is_some())
            .cloned()
            .collect();
        keys.extend(models.iter().filter_map(|m| ModelRef::parse(m).ok()));
        (models, keys)
    }

    /// Keeps the raw OpenAPI document of a fetched schema (written in the background).
    pub(crate) fn remember_openapi(&self, key: String, openapi: serde_json::Value) {
        let store = self.store.clone();
        let write = move || {
            if let Err(e) = store.put_json(OPENAPI_TREE, &key, &openapi) {
                tracing::warn!(key = %key, error = %e, "could not cache the OpenAPI schema");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                let task = handle.spawn_blocking(write);
                let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                pending.push(task);
            }
            Err(_) => write(),
        }
    }

    /// The raw OpenAPI document cached for `model` (`owner/name`, latest first, else any
    /// pinned version; or `owner/name:version` exactly), blocking.
    pub fn openapi(&self, model: &str) -> Option<serde_json::Value> {
        let model = model.trim();
        let get = |key: &str| {
            self.store
                .get_json::<serde_json::Value>(OPENAPI_TREE, key)
                .ok()
                .flatten()
        };
        if let Some(found) = get(model) {
            return Some(found);
        }
        if model.contains(':') {
            return None;
        }
        let prefix = format!("{model}:");
        self.store
            .list_keys(OPENAPI_TREE)
            .unwrap_or_default()
            .iter()
            .filter(|k| k.starts_with(&prefix))
            .find_map(|k| get(k))
    }

    /// Every cached schema, keyed `owner/name` (latest) or `owner/name:version` (pinned).
    pub fn all_cached(&self) -> HashMap<String, ModelSchema> {
        self.keys()
            .into_iter()
            .filter_map(|k| {
                let hit = self.lookup(&k).ok().flatten()?;
                Some((k, hit.schema))
            })
            .collect()
    }

    /// Keys in the store and in the overlay.
    fn keys(&self) -> Vec<String> {
        let mut keys = self.store.list_keys(TREE).unwrap_or_default();
        keys.extend(self.recent().keys().cloned());
        keys.sort();
        keys.dedup();
        keys
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn schema(model: &str) -> ModelSchema {
        serde_json::from_value(serde_json::json!({
            "model": model, "version": null, "inputs": [],
            "output": {"kind": "path", "python_type": "str", "usage": "a str"},
            "signature": "def f() -> str: ...", "hint": "", "fetched_at": "2026-01-01T00:00:00Z",
            "from_cache": false
        }))
        .unwrap()
    }

    #[test]
    fn the_overlay_is_bounded_and_what_it_drops_is_read_from_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let cache = SchemaCache {
            recent: Arc::new(Mutex::new(Lru::new(8, usize::MAX))),
            ..SchemaCache::new(store)
        };
        let batch: Vec<(String, ModelSchema)> = (0..20)
            .map(|i| (format!("o/m{i:02}"), schema(&format!("o/m{i:02}"))))
            .collect();
        cache.remember(batch);
        assert_eq!(cache.recent().len(), 8);
        for i in 0..20 {
            let hit = cache.cached(&format!("o/m{i:02}")).unwrap();
            assert_eq!(hit.model, format!("o/m{i:02}"));
        }
        assert!(cache.recent().len() <= 8);
    }

    #[test]
    fn schemas_in_memory_answer_as_the_store_would_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SchemaCache {
            recent: Arc::new(Mutex::new(Lru::new(8, usize::MAX))),
            ..SchemaCache::new(Store::open(dir.path()).unwrap())
        };
        let batch: Vec<(String, ModelSchema)> = (0..20)
            .map(|i| (format!("o/m{i:02}"), schema(&format!("o/m{i:02}"))))
            .collect();
        cache.remember(batch);
        let refs = |names: &[&str]| -> Vec<ModelRef> {
            names.iter().map(|n| ModelRef::parse(n).unwrap()).collect()
        };
        let held = refs(&["o/m19", "o/m15", "o/m19"]);
        let in_memory = cache.schemas_in_memory(&held).unwrap();
        assert_eq!(in_memory, cache.schemas_for(&held));
        assert!(in_memory.get("o/m15").unwrap().from_cache);
        assert_eq!(cache.schemas_in_memory(&[]), Some(Schemas::new()));
        // Dropped from the overlay (only in the store), or a pinned version never fetched.
        for names in [&["o/m19", "o/m00"][..], &["o/m19:abc"][..]] {
            assert_eq!(cache.schemas_in_memory(&refs(names)), None, "{names:?}");
        }
        assert!(cache.schemas_for(&refs(&["o/m00"])).get("o/m00").is_some());
    }
}
