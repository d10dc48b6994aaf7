//! Schemas cached in the docs-cache [`Store`]: pinned versions forever, the latest version
//! of a model for a TTL. The cache is also the record of which models' schemas were
//! fetched, which the validator uses to enforce "schema before `use()`".

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pipelines_docs_cache::Store;
use serde::{Deserialize, Serialize};

use super::error::SchemaError;
use super::reference::ModelRef;
use super::types::ModelSchema;

/// The store tree holding schemas, keyed `owner/name` (latest) or `owner/name:version`.
pub const TREE: &str = "replicate_schemas";

/// One cached schema.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    /// When it was stored (Unix ms), for the TTL of latest schemas.
    stored_at_ms: u64,
    schema: ModelSchema,
}

/// A cached schema looked up for a fetch.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub schema: ModelSchema,
    pub age: Duration,
}

/// Typed access to the cached schemas. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SchemaCache {
    store: Store,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn cache_error(e: impl std::fmt::Display) -> SchemaError {
    SchemaError::Cache(e.to_string())
}

impl SchemaCache {
    /// Schemas in `store`.
    pub fn new(store: Store) -> SchemaCache {
        SchemaCache { store }
    }

    /// The cache key of a reference.
    pub(crate) fn key(reference: &ModelRef) -> String {
        reference.to_string()
    }

    /// The cached schema for a reference with its age, if any (blocking).
    pub(crate) fn lookup(&self, key: &str) -> Result<Option<Hit>, SchemaError> {
        let entry: Option<Entry> = self.store.get_json(TREE, key).map_err(cache_error)?;
        Ok(entry.map(|e| Hit {
            age: Duration::from_millis(now_ms().saturating_sub(e.stored_at_ms)),
            schema: ModelSchema {
                from_cache: true,
                ..e.schema
            },
        }))
    }

    /// Stores a freshly fetched schema (blocking).
    pub(crate) fn store(&self, key: &str, schema: &ModelSchema) -> Result<(), SchemaError> {
        let entry = Entry {
            stored_at_ms: now_ms(),
            schema: ModelSchema {
                from_cache: false,
                ..schema.clone()
            },
        };
        self.store.put_json(TREE, key, &entry).map_err(cache_error)
    }

    /// The cached schema of `model`: `owner/name:version` exactly, or for `owner/name`
    /// the latest one fetched, else the most recently fetched pinned version. Stale
    /// entries count: this answers "was the schema fetched", not "is it fresh".
    pub fn cached(&self, model: &str) -> Option<ModelSchema> {
        let model = model.trim();
        if model.contains(':') {
            return self.lookup(model).ok().flatten().map(|h| h.schema);
        }
        if let Some(hit) = self.lookup(model).ok().flatten() {
            return Some(hit.schema);
        }
        let prefix = format!("{model}:");
        let keys = self.store.list_keys(TREE).ok()?;
        keys.iter()
            .filter(|k| k.starts_with(&prefix))
            .filter_map(|k| self.store.get_json::<Entry>(TREE, k).ok().flatten())
            .max_by_key(|e| e.stored_at_ms)
            .map(|e| ModelSchema {
                from_cache: true,
                ..e.schema
            })
    }

    /// Every cached schema, keyed `owner/name` (latest) or `owner/name:version` (pinned).
    pub fn all_cached(&self) -> HashMap<String, ModelSchema> {
        let Ok(keys) = self.store.list_keys(TREE) else {
            return HashMap::new();
        };
        keys.into_iter()
            .filter_map(|k| {
                let hit = self.lookup(&k).ok().flatten()?;
                Some((k, hit.schema))
            })
            .collect()
    }
}
