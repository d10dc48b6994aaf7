//! How much of a model's schema `fetch_model_schema` and `mcp-pipelines schema` show.

use serde::{Deserialize, Serialize};

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
