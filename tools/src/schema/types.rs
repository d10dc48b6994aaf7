//! The rendered form of a model's schema, shared by the schema tool, the validator and
//! the scaffolder.

use serde::{Deserialize, Serialize};

/// One model's interface as an agent writes code against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ModelSchema {
    /// `owner/name` (without version).
    pub model: String,
    /// The version id the schema belongs to; `None` for versionless models.
    pub version: Option<String>,
    /// Inputs in `x-order` order.
    pub inputs: Vec<InputParam>,
    /// The output and how `replicate.use()` returns it.
    pub output: OutputSpec,
    /// A Python signature, e.g. `def flux_schnell(prompt: str, …) -> list[Path]: ...`.
    pub signature: String,
    /// Optional typing help: a stub function named after the model (`sdxl_hint`) that
    /// `replicate.use(ref, hint=sdxl_hint)` accepts for type checking. `use()` works
    /// without it. Empty (and left out) unless asked for.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hint: String,
    /// The model's own example (input and output, cut to a readable size), when the API's
    /// model object has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<super::example::ModelExample>,
    /// When the schema was fetched from the API (RFC 3339).
    pub fetched_at: String,
    /// Whether this answer came from the local cache.
    pub from_cache: bool,
}

/// One model input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InputParam {
    /// The keyword name.
    pub name: String,
    /// The type as Python: `str`, `int`, `float`, `bool`, `Path`, `list[str]`, …
    #[schemars(with = "String")]
    pub python_type: super::input_type::InputType,
    /// Whether the input must be passed.
    pub required: bool,
    /// The default value, when the schema gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// The schema's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Allowed values, when the input is an enum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<crate::schema::types::JsonScalar>>")]
    pub choices: Option<Vec<serde_json::Value>>,
    /// Inclusive minimum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<f64>,
    /// Inclusive maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<f64>,
}

/// How a model's output reaches the caller of `replicate.use()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// An iterator of strings displayed concatenated: the call returns one `str`.
    ConcatenatedString,
    /// One file: a `Path` (URLPath, downloaded on first access).
    Path,
    /// A list of files: `list[Path]`.
    PathList,
    /// A list of plain values.
    List,
    /// An object: a `dict`; fields are read as `output["field"]`.
    Dict,
    /// A plain value (`str`, `int`, `float`, `bool`).
    Value,
}

/// The output of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OutputSpec {
    /// The shape.
    pub kind: OutputKind,
    /// The type as Python, e.g. `list[Path]`, `str`, `dict`.
    pub python_type: String,
    /// One sentence on how to use the value returned by the call.
    pub usage: String,
    /// The whole shape: fields of objects, items of lists, alternatives, files marked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<super::shape::OutputShape>,
}

/// The JSON Schema of an enum choice: a string, integer, number or boolean. (A bare
/// `serde_json::Value` item schema is `true`, which strict MCP clients reject.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum JsonScalar {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A number.
    Float(f64),
    /// A boolean.
    Bool(bool),
}
