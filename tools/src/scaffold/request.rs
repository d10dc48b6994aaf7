//! What an agent asks `scaffold_pipeline` for: the tool's input schema.

use serde::{Deserialize, Serialize};

/// A request to scaffold a pipeline project (`cog.yaml`, `requirements.txt`, `main.py`,
/// `README.md`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaffoldRequest {
    /// The project directory to write into (created when missing). Give either `path` or
    /// `inline`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Return the files in the result instead of writing them (the hosted HTTP mode, where
    /// the server cannot see your disk).
    #[serde(default)]
    pub inline: bool,
    /// The pipeline's name, used in the README and the module docstring (default: the
    /// directory name, else `pipeline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// One or two sentences on what the pipeline does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Models `run()` calls, in call order, as `owner/name` (or `owner/name:version`). Each is
    /// bound at module scope with `replicate.use()` and called with every required input,
    /// chaining one model's output into the next where the types fit. Their schemas are
    /// fetched first when not cached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<String>>,
    /// The model calls in order, when the wiring is not obvious (it replaces the automatic
    /// wiring; `models` may then be omitted). Each step is
    /// `{"model": "owner/name", "id"?: "describe", "inputs": {"<model input>": SOURCE},
    /// "over"?: {"input": "<model input>", "values": [...]}}` where SOURCE is
    /// `{"input": "<run() input>"}`, `{"step": "<id or model>", "pick"?: "first" | "all" |
    /// "<output field>"}` or `{"value": <JSON literal>}`. `over` runs the call once per
    /// value, in parallel (`create()` each, then `.output()`), giving a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<StepSpec>>,
    /// Names the fields of `Output`: `{"<field>": "<step id or model>"}` (implies
    /// `output: "Output"`). Without it, fields are named by what they hold (`image`, `text`,
    /// `audio`, `video`, `file`, numbered when repeated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_fields: Option<std::collections::BTreeMap<String, String>>,
    /// The inputs of `run()`. When omitted, the models' required inputs that no earlier model
    /// supplies become the inputs. An input whose name and type match a model input is passed
    /// to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<InputSpec>>,
    /// What `run()` returns. When omitted, it follows the last model's output (`str` for a
    /// language model, `list[Path]` for an image model…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputChoice>,
    /// Replace existing files that differ from the generated ones (default false: they are left
    /// alone and reported with a diff).
    #[serde(default)]
    pub overwrite: bool,
    /// Write nothing; report every file with its content and its diff against what is on disk.
    #[serde(default)]
    pub dry_run: bool,
}

/// One input of `run()`, declared with `cog.Input`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// A Python identifier, e.g. `prompt`.
    pub name: String,
    /// `str`, `int`, `float`, `bool`, `Path`, `Secret`, or `list[...]` of one of those; add
    /// ` | None` for an optional input without a default (it then defaults to `None`).
    #[serde(rename = "type")]
    pub python_type: String,
    /// What a user of the model should pass.
    pub description: String,
    /// The default value; without one the input is required (unless its type is optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// The allowed values (`str` or `int` inputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<crate::schema::types::JsonScalar>>")]
    pub choices: Option<Vec<serde_json::Value>>,
    /// Inclusive minimum (`int` or `float` inputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ge: Option<f64>,
    /// Inclusive maximum (`int` or `float` inputs).
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
    /// The model, `owner/name` (or `owner/name:version`).
    pub model: String,
    /// A name for the step, used by later steps and `output_fields` (default: the model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Where each model input's value comes from, by model input name.
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
        /// `first` (the first item of a list), `all` (the whole list), or an output field
        /// name (`output["field"]`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pick: Option<String>,
    },
    /// A fixed value.
    Value {
        /// A JSON literal (string, number, boolean, list).
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
    /// The values (JSON literals), one prediction each.
    #[schemars(with = "Vec<crate::schema::types::JsonScalar>")]
    pub values: Vec<serde_json::Value>,
}
