//! The result of `fetch_model_schema` as the tool returns it, and readable text for the
//! CLI and MCP text content.

use serde::{Deserialize, Serialize};

use super::detail::Detail;
use super::error::SchemaError;
use super::types::ModelSchema;

/// Schemas of the requested models, one entry per reference, in request order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SchemaReport {
    /// How much the text shows: `brief` or `full`.
    pub detail: Detail,
    /// One entry per requested reference.
    pub results: Vec<SchemaResult>,
    /// Whether the text shows each model's optional typing hint.
    #[serde(skip)]
    pub with_hint: bool,
}

/// The schema of one requested model, or why it could not be fetched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SchemaResult {
    /// The reference as requested (`owner/name` or `owner/name:version`).
    #[serde(rename = "ref")]
    pub reference: String,
    /// The schema, when it was fetched (or served from the cache).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<ModelSchema>,
    /// What went wrong and what to do next, when it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl SchemaReport {
    /// Pairs references with their results; `detail` defaults to `full` for one or two
    /// models and `brief` for more. Without `with_hint` the typing hints are left out.
    pub fn new(
        refs: &[String],
        results: Vec<Result<ModelSchema, SchemaError>>,
        detail: Option<Detail>,
        with_hint: bool,
    ) -> SchemaReport {
        SchemaReport {
            detail: detail.unwrap_or_else(|| Detail::default_for(refs.len())),
            with_hint,
            results: refs
                .iter()
                .zip(results)
                .map(|(reference, result)| match result {
                    Ok(mut schema) => {
                        if !with_hint {
                            schema.hint.clear();
                        }
                        SchemaResult {
                            reference: reference.clone(),
                            schema: Some(schema),
                            error: None,
                        }
                    }
                    Err(e) => SchemaResult {
                        reference: reference.clone(),
                        schema: None,
                        error: Some(e.to_string()),
                    },
                })
                .collect(),
        }
    }

    /// Whether every reference failed (the tool then reports an error).
    pub fn all_failed(&self) -> bool {
        self.results.iter().all(|r| r.schema.is_none())
    }

    /// Whether any reference failed.
    pub fn has_errors(&self) -> bool {
        self.results.iter().any(|r| r.error.is_some())
    }

    /// Every result as text, separated by blank lines.
    pub fn to_text(&self) -> String {
        self.results
            .iter()
            .map(|r| match (&r.schema, &r.error) {
                (Some(schema), _) => match self.detail {
                    Detail::Full => schema.to_text_with(self.with_hint),
                    Detail::Brief => schema.to_brief(),
                },
                (None, Some(error)) => format!("{}: error: {error}\n", r.reference),
                (None, None) => format!("{}: no result\n", r.reference),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}
