//! The schema client: fetches model schemas (concurrently), renders them, caches them.

use futures::future::join_all;
use pipelines_docs_cache::Store;
use serde_json::Value;

use super::cache::{Hit, SchemaCache};
use super::config::ReplicateConfig;
use super::error::SchemaError;
use super::example::ModelExample;
use super::http::{Api, ApiFailure};
use super::reference::ModelRef;
use super::types::ModelSchema;
use super::{openapi, python};

/// The Replicate client behind `fetch_model_schema` and `search_models`. Cheap to clone;
/// share one per process.
#[derive(Debug, Clone)]
pub struct ReplicateClient {
    pub(crate) api: Api,
    cache: SchemaCache,
}

impl ReplicateClient {
    /// A client for `config`, caching in `store`.
    pub fn new(config: ReplicateConfig, store: Store) -> Result<ReplicateClient, SchemaError> {
        Ok(ReplicateClient {
            api: Api::new(config)?,
            cache: SchemaCache::new(store),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ReplicateConfig {
        self.api.config()
    }

    /// The schema cache (for the validator: which schemas were fetched).
    pub fn cache(&self) -> &SchemaCache {
        &self.cache
    }

    /// Fetches the schemas of `refs` concurrently; one result per reference, in order.
    /// `refresh` bypasses fresh cache entries (a failed refresh still falls back to the
    /// cache when Replicate is unreachable). New schemas are written to the store in the
    /// background: call [`ReplicateClient::flush`] before the process exits.
    pub async fn fetch_model_schemas(
        &self,
        refs: &[String],
        refresh: bool,
    ) -> Vec<Result<ModelSchema, SchemaError>> {
        let parsed: Vec<Result<ModelRef, SchemaError>> =
            refs.iter().map(|r| ModelRef::parse(r)).collect();
        // One cache pass for the whole batch (the store serialises its operations).
        let keys: Vec<String> = parsed
            .iter()
            .filter_map(|r| r.as_ref().ok().map(SchemaCache::key))
            .collect();
        let mut hits = if refresh {
            Vec::new()
        } else {
            self.lookup_many(keys).await
        }
        .into_iter();
        let outcomes = join_all(parsed.into_iter().map(|r| {
            let hit = match (&r, refresh) {
                (Ok(_), false) => Some(hits.next().flatten()),
                _ => None,
            };
            self.fetch_one(r, hit)
        }))
        .await;
        let mut fresh = Vec::new();
        let results = outcomes
            .into_iter()
            .map(|(result, key)| {
                if let (Ok(schema), Some(key)) = (&result, key) {
                    fresh.push((key, schema.clone()));
                }
                result
            })
            .collect();
        self.cache.remember(fresh);
        results
    }

    /// Fetches one schema: `owner/name` (latest version, cached for the TTL) or
    /// `owner/name:version` (pinned, cached forever). Invalid references fail without a
    /// request.
    pub async fn fetch_model_schema(
        &self,
        reference: &str,
        refresh: bool,
    ) -> Result<ModelSchema, SchemaError> {
        let model_ref = ModelRef::parse(reference);
        let hit = match (&model_ref, refresh) {
            (Ok(r), false) => Some(self.lookup(&SchemaCache::key(r)).await),
            _ => None,
        };
        let (result, key) = self.fetch_one(model_ref, hit).await;
        if let (Ok(schema), Some(key)) = (&result, key) {
            self.cache.remember(vec![(key, schema.clone())]);
        }
        result
    }

    /// Waits until every fetched schema is written to the store (call before exiting).
    pub async fn flush(&self) {
        self.cache.flush().await;
    }

    /// One reference: the result, and the cache key when it was freshly fetched.
    /// `looked_up` is the cache lookup already made (`None` when refreshing).
    async fn fetch_one(
        &self,
        model_ref: Result<ModelRef, SchemaError>,
        looked_up: Option<Option<Hit>>,
    ) -> (Result<ModelSchema, SchemaError>, Option<String>) {
        let model_ref = match model_ref {
            Ok(r) => r,
            Err(e) => return (Err(e), None),
        };
        let key = SchemaCache::key(&model_ref);
        let refresh = looked_up.is_none();
        let mut cached: Option<Hit> = looked_up.flatten();
        if let Some(hit) = &cached
            && (model_ref.version.is_some() || hit.age < self.config().latest_ttl)
        {
            metrics::counter!("mcp_pipelines_schema_cache_hits_total").increment(1);
            return (Ok(hit.schema.clone()), None);
        }
        metrics::counter!("mcp_pipelines_schema_cache_misses_total").increment(1);
        match self.fetch_remote(&model_ref).await {
            Ok(schema) => (Ok(schema), Some(key)),
            Err(error) if error.is_transient() => {
                if refresh {
                    cached = self.lookup(&key).await;
                }
                match cached {
                    Some(hit) => {
                        tracing::warn!(model = %model_ref, %error,
                            "Replicate unavailable; serving the cached schema");
                        (Ok(hit.schema), None)
                    }
                    None => (Err(error), None),
                }
            }
            Err(error) => (Err(error), None),
        }
    }

    async fn lookup_many(&self, keys: Vec<String>) -> Vec<Option<Hit>> {
        let cache = self.cache.clone();
        let count = keys.len();
        let lookup = pipelines_docs_cache::blocking::blocking(
            move || cache.lookup_many(&keys),
            SchemaError::from,
        );
        match lookup.await {
            Ok(hits) => hits,
            Err(e) => {
                tracing::warn!(error = %e, "schema cache unreadable; fetching");
                vec![None; count]
            }
        }
    }

    async fn lookup(&self, key: &str) -> Option<Hit> {
        self.lookup_many(vec![key.to_owned()])
            .await
            .into_iter()
            .next()
            .flatten()
    }

    async fn fetch_remote(&self, model_ref: &ModelRef) -> Result<ModelSchema, SchemaError> {
        let model = model_ref.model();
        let config = self.config();
        let (version, versionless, example) = match &model_ref.version {
            Some(version_id) => {
                let path = format!("/v1/models/{model}/versions/{version_id}");
                let version = self.api.get(&path, &[]).await.map_err(|f| {
                    f.into_error(config, &path, || SchemaError::VersionNotFound {
                        model: model.clone(),
                        version: version_id.clone(),
                    })
                })?;
                (version, false, None)
            }
            None => {
                let path = format!("/v1/models/{model}");
                let versions_path = format!("/v1/models/{model}/versions");
                let (found, versions) =
                    futures::join!(self.api.get(&path, &[]), self.api.get(&versions_path, &[]));
                let found = found.map_err(|f| {
                    f.into_error(config, &path, || SchemaError::ModelNotFound {
                        model: model.clone(),
                    })
                })?;
                let versionless = match versions {
                    Ok(list) => list
                        .get("results")
                        .and_then(Value::as_array)
                        .is_some_and(Vec::is_empty),
                    Err(ApiFailure::Status { status: 404, .. }) => true,
                    Err(other) => {
                        tracing::debug!(%model, ?other, "could not list versions; assuming versioned");
                        false
                    }
                };
                let latest = found.get("latest_version").cloned().unwrap_or(Value::Null);
                (latest, versionless, ModelExample::from_model(&found))
            }
        };
        let openapi = version
            .get("openapi_schema")
            .filter(|s| s.is_object())
            .ok_or_else(|| SchemaError::NoSchema {
                model: model.clone(),
            })?;
        let version_id = version.get("id").and_then(Value::as_str).map(str::to_owned);
        self.cache
            .remember_openapi(SchemaCache::key(model_ref), openapi.clone());
        let mut schema = render(
            model_ref,
            openapi,
            if versionless { None } else { version_id },
        );
        schema.example = example;
        Ok(schema)
    }
}

/// Builds the [`ModelSchema`] of one OpenAPI document.
pub fn render(model_ref: &ModelRef, openapi: &Value, version: Option<String>) -> ModelSchema {
    let inputs = openapi::inputs(openapi);
    let output = openapi::output(openapi);
    ModelSchema {
        model: model_ref.model(),
        version,
        signature: python::signature(&model_ref.name, &inputs, &output),
        hint: python::hint(&model_ref.name, &inputs, &output),
        example: None,
        inputs,
        output,
        fetched_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        from_cache: false,
    }
}
