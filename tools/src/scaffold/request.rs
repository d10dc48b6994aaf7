//! What an agent asks `scaffold_pipeline` for: the tool's input schema.

use serde::{Deserialize, Serialize};

/// A request to scaffold a pipeline project (`cog.yaml`, `requirements.txt`, `main.py`,
/// `README.md`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaffoldRequest {
    /// The project directory (created when missing); or `inline`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Return the files instead of writing them (hosted mode).
    #[serde(default)]
    pub inline: bool,
    /// The pipeline's name (default: the directory's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the pipeline does, in a sentence or two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Models in call order (`owner/name[:version]`), chained where the types fit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<String>>,
    /// The model calls in order, replacing the automatic wiring (pipelines://guide/steps).
    #[schemars(schema_with = "steps_schema")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<StepSpec>>,
    /// `Output`'s fields: name → step, SOURCE or `{"type", "description"}` (a list keeps order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_fields: Option<OutputFields>,
    /// The inputs of `run()` (default: derived from the models' required inputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<InputSpec>>,
    /// What `run()` returns (default: follows the last model's output).
    #[schemars(schema_with = "output_schema")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputChoice>,
    /// Replace existing files that differ (default: keep them, show a diff).
    #[serde(default)]
    pub overwrite: bool,
    /// Write nothing; report every file with its diff.
    #[serde(default)]
    pub dry_run: bool,
}

/// One input of `run()`, declared with `cog.Input`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// A Python identifier.
    pub name: String,
    /// `str`, `int`, `float`, `bool`, `Path`, `Secret` or `list[...]`; `T | None` if optional.
    #[serde(rename = "type")]
    pub python_type: String,
    /// What a user should pass.
    pub description: String,
    /// The default (none: required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// The allowed values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "choices_schema")]
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
    /// Where each model input's value comes from, by model input name (the sources in
    /// pipelines://guide/steps).
    #[serde(default, deserialize_with = "unique_keys")]
    #[schemars(schema_with = "sources_schema")]
    pub inputs: std::collections::BTreeMap<String, serde_json::Value>,
    /// Run the call once per value of one input, in parallel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over: Option<StepOver>,
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

/// `Output`'s fields in the order given: field name → source (JSON, see
/// pipelines://guide/steps).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutputFields(pub Vec<(String, serde_json::Value)>);

impl OutputFields {
    /// Whether no field is given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for OutputFields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for OutputFields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OrderedVisitor).map(OutputFields)
    }
}

impl schemars::JsonSchema for OutputFields {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "OutputFields".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": ["object", "array"],
            "additionalProperties": {"type": ["string", "object"]},
            "items": {"type": "object"}
        })
    }
}

/// Reads a JSON object's entries in order, refusing a key given twice.
struct OrderedVisitor;

impl<'de> serde::de::Visitor<'de> for OrderedVisitor {
    type Value = Vec<(String, serde_json::Value)>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object (or a list of one-entry objects)")
    }

    /// `[{"video": …}, {"duration": …}]`: the same entries as a list, for clients whose JSON
    /// objects do not keep their order.
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out: Self::Value = Vec::new();
        while let Some(entry) = seq.next_element::<serde_json::Map<String, serde_json::Value>>()? {
            for (k, v) in entry {
                if out.iter().any(|(seen, _)| *seen == k) {
                    return Err(serde::de::Error::custom(format!(
                        "{k:?} is given twice; give each one source"
                    )));
                }
                out.push((k, v));
            }
        }
        Ok(out)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out: Self::Value = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
            if out.iter().any(|(seen, _)| *seen == k) {
                return Err(serde::de::Error::custom(format!(
                    "{k:?} is given twice; give each one source"
                )));
            }
            out.push((k, v));
        }
        Ok(out)
    }
}

fn unique_keys<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<String, serde_json::Value>, D::Error> {
    Ok(d.deserialize_map(OrderedVisitor)?.into_iter().collect())
}

fn sources_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": {"type": "object"}
    })
}

fn steps_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": ["array", "null"], "items": {"type": "object"}})
}

fn output_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"enum": ["str", "Path", "list[Path]", "Output", null]})
}

fn choices_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["array", "null"],
        "items": {"type": ["string", "integer", "number", "boolean"]}
    })
}
