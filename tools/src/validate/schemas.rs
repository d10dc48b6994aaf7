//! The model schemas the validator checks calls against.

use std::collections::BTreeMap;

use crate::schema::ModelSchema;

/// Cached schemas by model `owner/name` (without version).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schemas {
    by_model: BTreeMap<String, ModelSchema>,
}

impl Schemas {
    /// No schemas.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a schema under its `model` key.
    pub fn insert(&mut self, schema: ModelSchema) {
        self.by_model.insert(schema.model.clone(), schema);
    }

    /// The schema of `owner/name` (a `:version` suffix is ignored).
    pub fn get(&self, reference: &str) -> Option<&ModelSchema> {
        self.by_model.get(model_key(reference))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_model.is_empty()
    }
}

impl FromIterator<ModelSchema> for Schemas {
    fn from_iter<I: IntoIterator<Item = ModelSchema>>(iter: I) -> Self {
        let mut s = Schemas::new();
        for schema in iter {
            s.insert(schema);
        }
        s
    }
}

/// `owner/name:version` → `owner/name`.
pub fn model_key(reference: &str) -> &str {
    reference
        .split_once(':')
        .map_or(reference, |(m, _)| m)
        .trim()
}
