//! The schemas a call is checked against, by model and version, with one rule for which
//! applies: the version the reference pins when it is cached, else the latest cached.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::reference::ModelRef;
use super::types::ModelSchema;

/// Cached schemas of one model (shared with the schema cache's memory, not copied).
#[derive(Debug, Clone, Default, PartialEq)]
struct Versions {
    /// The schema fetched without a version (the model's latest).
    latest: Option<Arc<ModelSchema>>,
    /// Schemas fetched for a pinned version, by version id.
    pinned: BTreeMap<String, Arc<ModelSchema>>,
}

impl Versions {
    /// The schema for `version`: that version when cached, else the latest (the unpinned
    /// fetch, else the most recently fetched pinned version).
    fn pick(&self, version: Option<&str>) -> Option<&ModelSchema> {
        let latest = self.latest.as_deref();
        let exact = version.and_then(|v| {
            self.pinned
                .get(v)
                .map(|s| &**s)
                .or_else(|| latest.filter(|s| s.version.as_deref() == Some(v)))
        });
        exact.or(latest).or_else(|| {
            self.pinned
                .values()
                .max_by(|a, b| a.fetched_at.cmp(&b.fetched_at))
                .map(|s| &**s)
        })
    }
}

/// Schemas by model `owner/name` and version.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schemas {
    by_model: BTreeMap<String, Versions>,
}

impl Schemas {
    /// No schemas.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the schema fetched for `reference`: pinned under its version, else as the
    /// model's latest.
    pub fn insert(&mut self, reference: &ModelRef, schema: ModelSchema) {
        self.insert_shared(reference, Arc::new(schema));
    }

    /// [`Schemas::insert`] of a schema held elsewhere too.
    pub(crate) fn insert_shared(&mut self, reference: &ModelRef, schema: Arc<ModelSchema>) {
        let versions = self.by_model.entry(reference.model()).or_default();
        match &reference.version {
            Some(v) => {
                versions.pinned.insert(v.clone(), schema);
            }
            None => versions.latest = Some(schema),
        }
    }

    /// Adds `schema` as the latest of its `model`.
    pub fn insert_latest(&mut self, schema: ModelSchema) {
        let model = schema.model.clone();
        self.by_model.entry(model).or_default().latest = Some(Arc::new(schema));
    }

    /// The schema that applies to `reference` as written (`owner/name` or
    /// `owner/name:version`): the pinned version when cached, else the latest cached.
    pub fn get(&self, reference: &str) -> Option<&ModelSchema> {
        let (model, version) = ModelRef::split(reference.trim());
        self.by_model.get(model.trim())?.pick(version)
    }

    /// Whether the schema fetched for exactly `reference` (its pinned version, or its
    /// latest when it pins none) is held.
    pub fn has_exact(&self, reference: &ModelRef) -> bool {
        self.by_model
            .get(&reference.model())
            .is_some_and(|v| match &reference.version {
                Some(version) => v.pinned.contains_key(version),
                None => v.latest.is_some(),
            })
    }

    /// Whether any schema of `reference`'s model is held.
    pub fn has_model(&self, reference: &str) -> bool {
        self.by_model
            .contains_key(ModelRef::model_of(reference.trim()).trim())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_model.is_empty()
    }
}

/// Each schema as its model's latest (what the validator's tests and benches hold).
impl FromIterator<ModelSchema> for Schemas {
    fn from_iter<I: IntoIterator<Item = ModelSchema>>(iter: I) -> Self {
        let mut s = Schemas::new();
        for schema in iter {
            s.insert_latest(schema);
        }
        s
    }
}

/// Each schema under the reference it was fetched for.
impl FromIterator<(ModelRef, ModelSchema)> for Schemas {
    fn from_iter<I: IntoIterator<Item = (ModelRef, ModelSchema)>>(iter: I) -> Self {
        let mut s = Schemas::new();
        for (reference, schema) in iter {
            s.insert(&reference, schema);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn schema(version: &str, fetched_at: &str) -> ModelSchema {
        serde_json::from_value(serde_json::json!({
            "model": "acme/m", "version": version, "inputs": [],
            "output": {"kind": "path", "python_type": "str", "usage": "a str"},
            "signature": "def f() -> str: ...", "hint": "", "fetched_at": fetched_at,
            "from_cache": true
        }))
        .unwrap()
    }

    fn r(reference: &str) -> ModelRef {
        ModelRef::parse(reference).unwrap()
    }

    fn version_of<'a>(s: &'a Schemas, reference: &str) -> Option<&'a str> {
        s.get(reference).and_then(|s| s.version.as_deref())
    }

    #[test]
    fn a_pinned_reference_gets_its_version_and_a_plain_one_the_latest() {
        // Inserted in both orders: the answer never depends on insertion order.
        let entries = [
            (r("acme/m:v1"), schema("v1", "2026-01-01T00:00:00Z")),
            (r("acme/m"), schema("v3", "2026-01-02T00:00:00Z")),
            (r("acme/m:v2"), schema("v2", "2026-01-03T00:00:00Z")),
        ];
        for set in [
            entries.iter().cloned().collect::<Schemas>(),
            entries.iter().rev().cloned().collect::<Schemas>(),
        ] {
            assert_eq!(version_of(&set, "acme/m:v1"), Some("v1"));
            assert_eq!(version_of(&set, "acme/m:v2"), Some("v2"));
            assert_eq!(version_of(&set, "acme/m"), Some("v3"));
            assert_eq!(version_of(&set, " acme/m:v3 "), Some("v3"));
            // A pin that is not cached falls back to the latest.
            assert_eq!(version_of(&set, "acme/m:v9"), Some("v3"));
            assert!(set.get("acme/other").is_none());
        }
    }

    #[test]
    fn without_a_latest_fetch_the_most_recently_fetched_pin_applies() {
        let set: Schemas = [
            (r("acme/m:v2"), schema("v2", "2026-01-03T00:00:00Z")),
            (r("acme/m:v1"), schema("v1", "2026-01-01T00:00:00Z")),
        ]
        .into_iter()
        .collect();
        assert_eq!(version_of(&set, "acme/m"), Some("v2"));
        assert_eq!(version_of(&set, "acme/m:v1"), Some("v1"));
        assert_eq!(version_of(&set, "acme/m:v7"), Some("v2"));
        assert!(set.has_model("acme/m:v7"));
    }
}
