//! `search_models`: the API's search (`GET /v1/search`), falling back to the older
//! `QUERY /v1/models`, reduced to compact results.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::SchemaError;
use super::fetch::ReplicateClient;
use super::http::ApiFailure;

/// Descriptions are cut to about this many characters.
pub const DESCRIPTION_CHARS: usize = 160;
/// Results when no limit is given.
pub const DEFAULT_LIMIT: usize = 10;
/// The most results returned.
pub const MAX_LIMIT: usize = 50;

/// Models matching a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SearchResults {
    /// The query as sent.
    pub query: String,
    /// Matching models, best first.
    pub models: Vec<ModelSummary>,
    /// Which endpoint answered: `search` (`GET /v1/search`) or `models_query`
    /// (`QUERY /v1/models`, the fallback).
    pub source: String,
}

/// One model found by a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ModelSummary {
    /// `owner/name`, ready for `fetch_model_schema` and `replicate.use()`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The model's description, truncated to about 160 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How many times the model has run (a popularity signal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_count: Option<u64>,
}

impl SearchResults {
    /// Plain text: one model per line with its run count and description.
    pub fn to_text(&self) -> String {
        if self.models.is_empty() {
            return format!(
                "No models found for {:?}. Try other words (the task, not a model name).\n",
                self.query
            );
        }
        let mut out = format!("Models for {:?}:\n", self.query);
        for m in &self.models {
            out.push_str(&format!("- {}", m.reference));
            if let Some(runs) = m.run_count {
                out.push_str(&format!(" ({runs} runs)"));
            }
            if let Some(d) = &m.description {
                out.push_str(&format!(": {d}"));
            }
            out.push('\n');
        }
        out.push_str("Call fetch_model_schema on a model before using it.\n");
        out
    }
}

/// Cuts `text` to at most `max` characters (on a char boundary), adding `…`.
pub fn truncate(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

fn summary(model: &Value, fallback_description: Option<&str>) -> Option<ModelSummary> {
    let owner = model.get("owner").and_then(Value::as_str)?;
    let name = model.get("name").and_then(Value::as_str)?;
    let description = model
        .get("description")
        .and_then(Value::as_str)
        .filter(|d| !d.trim().is_empty())
        .or(fallback_description)
        .map(|d| truncate(d, DESCRIPTION_CHARS));
    Some(ModelSummary {
        reference: format!("{owner}/{name}"),
        description,
        run_count: model.get("run_count").and_then(Value::as_u64),
    })
}

/// `GET /v1/search` answers `{query, models: [{model, metadata}], collections, pages}`.
fn from_search(body: &Value) -> Vec<ModelSummary> {
    body.get("models")
        .and_then(Value::as_array)
        .map(|models| {
            models
                .iter()
                .filter_map(|m| {
                    let generated = m
                        .pointer("/metadata/generated_description")
                        .and_then(Value::as_str);
                    summary(m.get("model").unwrap_or(m), generated)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `QUERY /v1/models` answers a page: `{results: [model, …], next, previous}`.
fn from_models_page(body: &Value) -> Vec<ModelSummary> {
    body.get("results")
        .and_then(Value::as_array)
        .map(|models| models.iter().filter_map(|m| summary(m, None)).collect())
        .unwrap_or_default()
}

impl ReplicateClient {
    /// Searches public models. `limit` defaults to 10 and is capped at 50.
    pub async fn search_models(
        &self,
        query: &str,
        limit: Option<usize>,
    ) -> Result<SearchResults, SchemaError> {
        let query = query.trim();
        if query.is_empty() {
            return Err(SchemaError::EmptyQuery);
        }
        let limit = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let limit_text = limit.to_string();
        let config = self.config();
        let search = self
            .api
            .get("/v1/search", &[("query", query), ("limit", &limit_text)])
            .await;
        let (mut models, source) = match search {
            Ok(body) => (from_search(&body), "search"),
            Err(ApiFailure::Status {
                status: 404 | 405 | 501,
                ..
            }) => {
                tracing::debug!("GET /v1/search unavailable; falling back to QUERY /v1/models");
                let method =
                    Method::from_bytes(b"QUERY").map_err(|e| SchemaError::InvalidResponse {
                        path: "/v1/models".to_owned(),
                        message: e.to_string(),
                    })?;
                let body = self
                    .api
                    .send_text(method, "/v1/models", query.to_owned())
                    .await
                    .map_err(|f| {
                        f.into_error(config, "/v1/models", || SchemaError::Api {
                            status: 404,
                            path: "/v1/models".to_owned(),
                            detail: "search is not available".to_owned(),
                        })
                    })?;
                (from_models_page(&body), "models_query")
            }
            Err(failure) => {
                return Err(
                    failure.into_error(config, "/v1/search", || SchemaError::Api {
                        status: 404,
                        path: "/v1/search".to_owned(),
                        detail: "search is not available".to_owned(),
                    }),
                );
            }
        };
        models.truncate(limit);
        Ok(SearchResults {
            query: query.to_owned(),
            models,
            source: source.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate("short", 160), "short");
        let long = "é".repeat(200);
        let cut = truncate(&long, 160);
        assert_eq!(cut.chars().count(), 160);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate("a\n  b", 10), "a b");
    }
}
