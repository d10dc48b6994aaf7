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

/// How much of a schema the text shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    /// The signature with choices and bounds inline, the output's shape in a few lines.
    Brief,
    /// The signature with choices and bounds, every input's description, the output's
    /// whole shape, the model's example.
    Full,
}

impl Detail {
    /// `full` for one or two models, `brief` for more.
    pub fn default_for(models: usize) -> Detail {
        if models > 2 {
            Detail::Brief
        } else {
            Detail::Full
        }
    }
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
