//! The result of `fetch_model_schema` as the tool returns it, and readable text for the
//! CLI and MCP text content.

use serde::{Deserialize, Serialize};

use super::error::SchemaError;
use super::python;
use super::types::{InputParam, ModelSchema};

/// Schemas of the requested models, one entry per reference, in request order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SchemaReport {
    /// One entry per requested reference.
    pub results: Vec<SchemaResult>,
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
    /// Pairs references with their results.
    pub fn new(refs: &[String], results: Vec<Result<ModelSchema, SchemaError>>) -> SchemaReport {
        SchemaReport {
            results: refs
                .iter()
                .zip(results)
                .map(|(reference, result)| match result {
                    Ok(schema) => SchemaResult {
                        reference: reference.clone(),
                        schema: Some(schema),
                        error: None,
                    },
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
                (Some(schema), _) => schema.to_text(),
                (None, Some(error)) => format!("{}: error: {error}\n", r.reference),
                (None, None) => format!("{}: no result\n", r.reference),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn number(n: f64) -> String {
    format!("{n}")
}

fn input_line(input: &InputParam) -> String {
    let mut line = format!("- {}: {}", input.name, input.python_type);
    match &input.default {
        Some(default) => line.push_str(&format!(" = {}", python::literal(default))),
        None if input.required => line.push_str(" (required)"),
        None => line.push_str(" (optional, no default)"),
    }
    if let Some(choices) = &input.choices {
        let listed: Vec<String> = choices.iter().map(python::literal).collect();
        line.push_str(&format!("; one of {}", listed.join(", ")));
    }
    match (input.minimum, input.maximum) {
        (Some(min), Some(max)) => {
            line.push_str(&format!("; {} ≤ value ≤ {}", number(min), number(max)))
        }
        (Some(min), None) => line.push_str(&format!("; ≥ {}", number(min))),
        (None, Some(max)) => line.push_str(&format!("; ≤ {}", number(max))),
        (None, None) => {}
    }
    if let Some(d) = input
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        line.push_str(&format!(" — {d}"));
    }
    line
}

impl ModelSchema {
    /// Readable text: the signature, the inputs, the output and a ready `hint`.
    pub fn to_text(&self) -> String {
        let version = match &self.version {
            Some(v) => format!("version {v}"),
            None => "versionless: call it as owner/name, without a version".to_owned(),
        };
        let origin = if self.from_cache { ", from cache" } else { "" };
        let mut out = format!(
            "{} ({version}; fetched {}{origin})\n\n{}\n\nInputs:\n",
            self.model, self.fetched_at, self.signature
        );
        if self.inputs.is_empty() {
            out.push_str("(none)\n");
        }
        for input in &self.inputs {
            out.push_str(&input_line(input));
            out.push('\n');
        }
        out.push_str(&format!(
            "\nOutput: {} — {}\n\nHint:\n{}\n{} = replicate.use({}, hint=hint)\n",
            self.output.python_type,
            self.output.usage,
            self.hint,
            python::identifier(self.model.rsplit('/').next().unwrap_or(&self.model)),
            python::literal(&serde_json::Value::String(self.model.clone())),
        ));
        out
    }
}
