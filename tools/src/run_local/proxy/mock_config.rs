//! What a run asks of its proxy's mocks: the mocked models and their outputs, the latency,
//! the schemas "auto" outputs and input checks use, and the check that every model the
//! pipeline calls is mocked or reachable.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::Value;

use super::ProxySpec;
use crate::run_local::error::RunError;

/// Default latency of a mocked prediction.
pub const DEFAULT_MOCK_LATENCY_MS: u64 = 300;

/// A model's schema as the mocks need it.
#[derive(Debug, Clone)]
pub struct MockSchema {
    /// The version id; `None` for a versionless model.
    pub version: Option<String>,
    /// The model's OpenAPI document.
    pub openapi: Value,
}

/// Mocked models and what the proxy needs to answer for them (see `run_locally`'s
/// `mocks` and `mock_latency_ms`).
#[derive(Debug, Clone, Default)]
pub struct Mocks {
    /// `owner/name` (or `"*"` for every model) → the output to return, or `"auto"` to
    /// synthesise one from the model's schema.
    pub outputs: BTreeMap<String, Value>,
    /// Latency of each mocked prediction (default [`DEFAULT_MOCK_LATENCY_MS`]).
    pub latency_ms: Option<u64>,
    /// The schemas of the models by `owner/name` (from the schema cache).
    pub schemas: HashMap<String, MockSchema>,
    /// The models the pipeline uses (`owner/name`), when known: a run that needs an
    /// unmocked model without a token fails before anything starts.
    pub models: Vec<String>,
}

impl Mocks {
    /// Checks the keys and that every used model is mocked or reachable (`token`).
    pub(crate) fn check(&self, token: Option<&str>) -> Result<(), RunError> {
        let bad: Vec<String> = self
            .outputs
            .keys()
            .filter(|k| *k != "*" && !valid_model(k))
            .map(|k| format!("`{k}` is not `owner/name` or `*`"))
            .collect();
        if !bad.is_empty() {
            return Err(RunError::Mocks {
                message: format!("invalid `mocks` keys: {}", bad.join("; ")),
            });
        }
        if token.is_some() || self.outputs.contains_key("*") {
            return Ok(());
        }
        let unmocked: Vec<&str> = self
            .models
            .iter()
            .map(|m| crate::schema::ModelRef::model_of(m))
            .filter(|m| !self.outputs.contains_key(*m))
            .collect();
        if unmocked.is_empty() {
            return Ok(());
        }
        Err(RunError::Mocks {
            message: format!(
                "the pipeline calls {} but no REPLICATE_API_TOKEN is set: set REPLICATE_API_TOKEN, or mock {} with `mocks` (e.g. {{\"{}\": \"auto\"}} or {{\"*\": \"auto\"}}; CLI: --mock '*=auto')",
                unmocked.join(", "),
                if unmocked.len() == 1 { "it" } else { "them" },
                unmocked[0]
            ),
        })
    }

    pub(super) fn spec(&self, upstream: &str, token: Option<&str>) -> ProxySpec {
        ProxySpec {
            upstream: upstream.to_owned(),
            token: token.map(str::to_owned),
            mocks: self
                .outputs
                .iter()
                .map(|(k, v)| (crate::schema::ModelRef::model_of(k).to_owned(), v.clone()))
                .collect(),
            mock_latency: Duration::from_millis(self.latency_ms.unwrap_or(DEFAULT_MOCK_LATENCY_MS)),
            schemas: self.schemas.clone(),
        }
    }
}

fn valid_model(key: &str) -> bool {
    crate::schema::ModelRef::parse(key).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unmocked_models_without_a_token_fail_naming_mocks_and_the_token() {
        let mut mocks = Mocks {
            models: vec!["acme/a".into(), "acme/b:123".into()],
            ..Mocks::default()
        };
        mocks.outputs.insert("acme/a".into(), json!("x"));
        let err = mocks.check(None).unwrap_err().to_string();
        assert!(err.contains("acme/b") && !err.contains("acme/a,"), "{err}");
        assert!(
            err.contains("`mocks`") && err.contains("REPLICATE_API_TOKEN"),
            "{err}"
        );
        assert!(mocks.check(Some("r8_x")).is_ok());
        mocks.outputs.insert("*".into(), json!("auto"));
        assert!(mocks.check(None).is_ok());
        mocks.outputs.insert("not a model".into(), json!(1));
        assert!(mocks.check(None).is_err());
    }
}
