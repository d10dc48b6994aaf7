//! What an agent asks `scaffold_pipeline` for: the tool's input schema.

use serde::{Deserialize, Serialize};

/// A request to scaffold a pipeline project (`cog.yaml`, `requirements.txt`, `main.py`,
/// `README.md`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaffoldRequest {
    /// The project directory to write into (created when missing); give `path` or `inline`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Return the files in the result instead of writing them (for a hosted server).
    #[serde(default)]
    pub inline: bool,
    /// The pipeline's name for the README and docstring (default: the directory name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// One or two sentences on what the pipeline does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The models `run()` calls in order (`owner/name[:version]`), wired automatically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<String>>,
    /// The model calls in order, replacing the automatic wiring (guide: pipelines://guide/steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<StepSpec>>,
    /// The fields of the returned `Output` class, as `{"<field>": "<step id or model>"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_fields: Option<std::collections::BTreeMap<String, String>>,
    /// The inputs of `run()` (default: the models' required inputs no earlier model supplies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<InputSpec>>,
    /// What `run()` returns (default: what the last model returns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputChoice>,
    /// Replace existing files that differ (otherwise they are kept and shown as a diff).
    #[serde(default)]
    pub overwrite: bool,
    /// Write nothing; show every file and its diff against the disk.
    #[serde(default)]
    pub dry_run: bool,
}

/// One input of `run()`, declared with `cog.Input`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// A Python identifier.
    pub name: String,
    /// `str`, `int`, `float`, `bool`, `Path`, `Secret` or `list[...]` of one, ` | None` if optional.
    #[serde(rename = "type")]
    pub python_type: String,
    /// What a user of the model should pass.
    pub description: String,
    /// The default value (without one the input is required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// The allowed values (`str` or `int` inputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<crate::schema::types::JsonScalar>>")]
    pub choices: Option<Vec<serde_json::Value>>,
    /// Inclusive minimum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ge: Option<f64>,
    /// Inclusive maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub le: Option<f64>,
}

/// The return type of `run()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum OutputChoice {
    /// A string (a language model's answer, a URL…).
    #[serde(rename = "str")]
    Str,
    /// One file.
    #[serde(rename = "Path")]
    Path,
    /// Several files.
    #[serde(rename = "list[Path]")]
    PathList,
    /// A `class Output(BaseModel)` with one field per model (no list fields, no nesting, as
    /// the spec requires).
    #[serde(rename = "Output")]
    Output,
}

impl OutputChoice {
    /// The Python annotation.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputChoice::Str => "str",
            OutputChoice::Path => "Path",
            OutputChoice::PathList => "list[Path]",
            OutputChoice::Output => "Output",
        }
    }
}

/// One model call of `steps`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// The model, `owner/name[:version]`.
    pub model: String,
    /// The step's name for later steps and `output_fields` (default: the model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Each model input's source, by input name.
    #[serde(default)]
    pub inputs: std::collections::BTreeMap<String, StepInput>,
    /// Run the call once per value of one input, in parallel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over: Option<StepOver>,
}

/// Where a model input's value comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum StepInput {
    /// A `run()` input.
    Input {
        /// The `run()` input's name.
        input: String,
    },
    /// An earlier step's output.
    Step {
        /// The step's `id` or model.
        step: String,
        /// `first` (a list's first item), `all` (the default) or an output field name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pick: Option<String>,
    },
    /// A fixed value.
    Value {
        /// A JSON literal.
        #[schemars(with = "crate::schema::types::JsonScalar")]
        value: serde_json::Value,
    },
}

/// A fan-out: one prediction per value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepOver {
    /// The model input that takes each value.
    pub input: String,
    /// One prediction per value.
    #[schemars(with = "Vec<crate::schema::types::JsonScalar>")]
    pub values: Vec<serde_json::Value>,
}
