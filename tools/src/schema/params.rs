//! Tool arguments, as agents send them (field names are part of the contract).

use serde::{Deserialize, Serialize};

/// Arguments of `fetch_model_schema`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchModelSchemaArgs {
    /// Models to fetch, each "owner/name" (latest version) or "owner/name:version"
    /// (pinned). Several are fetched concurrently.
    pub models: Vec<String>,
    /// Ask Replicate again even if a fresh cached schema exists (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<bool>,
}

/// Arguments of `search_models`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchModelsArgs {
    /// What the model should do, e.g. "text to image" or "transcribe audio".
    pub query: String,
    /// How many models to return (default 10, at most 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}
