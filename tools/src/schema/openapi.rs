//! Reading a cog OpenAPI schema (through the one [`Resolver`]): inputs in `x-order`, the
//! output's kind and shape.

use serde_json::Value;

use super::input_type::InputType;
use super::python;
use super::resolver::Resolver;
use super::shape::{OutputShape, ShapeBuilder};
use super::types::{InputParam, OutputKind, OutputSpec};

/// The names an object schema's `required` (given here) lists.
pub(crate) fn required_names(required: Option<&Value>) -> Vec<&str> {
    required
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// A property's `x-order` (cog's declaration order); unordered ones sort last.
pub(crate) fn x_order(prop: &Value) -> i64 {
    prop.get("x-order")
        .and_then(Value::as_i64)
        .unwrap_or(i64::MAX)
}

/// The inputs of a model, in `x-order` order (then by name).
pub fn inputs(openapi: &Value) -> Vec<InputParam> {
    let resolver = Resolver::new(openapi);
    let Some(input) = resolver.component("Input") else {
        return Vec::new();
    };
    let required = required_names(input.get("required"));
    let Some(properties) = input.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut params: Vec<(i64, InputParam)> = properties
        .iter()
        .map(|(name, prop)| {
            let order = x_order(prop);
            let default = prop.get("default").cloned();
            let choices = prop.get("enum").and_then(Value::as_array).cloned();
            let param = InputParam {
                name: name.clone(),
                python_type: InputType::from_schema(prop),
                required: required.contains(&name.as_str()) && default.is_none(),
                default,
                description: prop
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                choices,
                minimum: number(prop, "minimum"),
                maximum: number(prop, "maximum"),
            };
            (order, param)
        })
        .collect();
    params.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    params.into_iter().map(|(_, p)| p).collect()
}

fn number(schema: &Value, key: &str) -> Option<f64> {
    schema.get(key).and_then(Value::as_f64)
}

/// The output's kind, its whole shape, and how `replicate.use()` hands it back
/// (replicate-python 1.1.0b3).
pub fn output(openapi: &Value) -> OutputSpec {
    let mut spec = output_kind(openapi);
    spec.shape = Some(match spec.kind {
        OutputKind::ConcatenatedString => OutputShape::text(),
        _ => ShapeBuilder::new(openapi).output(),
    });
    spec
}

fn output_kind(openapi: &Value) -> OutputSpec {
    let resolver = Resolver::new(openapi);
    let schema = resolver.component("Output").unwrap_or(Value::Null);
    let ty = schema.get("type").and_then(Value::as_str);
    let items = schema.get("items").cloned().unwrap_or(Value::Null);
    let is_uri = |s: &Value| {
        s.get("type").and_then(Value::as_str) == Some("string")
            && s.get("format").and_then(Value::as_str) == Some("uri")
    };
    match ty {
        Some("array") => {
            let concatenate = items.get("type").and_then(Value::as_str) == Some("string")
                && schema.get("x-cog-array-type").and_then(Value::as_str) == Some("iterator")
                && schema.get("x-cog-array-display").and_then(Value::as_str)
                    == Some("concatenate");
            if concatenate {
                spec(
                    OutputKind::ConcatenatedString,
                    "str",
                    "returns one str: the streamed chunks joined together (pass streaming=True to use() to iterate over the chunks instead)".to_owned(),
                )
            } else if is_uri(&items) {
                spec(
                    OutputKind::PathList,
                    "list[Path]",
                    "returns a list of Path (URLPath) objects; each file downloads on first use, e.g. open(output[0], \"rb\"); replicate.get_path_url(output[0]) gives its URL".to_owned(),
                )
            } else {
                let py = InputType::from_schema(&schema).to_string();
                let usage = format!("returns a {py}");
                spec(OutputKind::List, &py, usage)
            }
        }
        Some("string") if is_uri(&schema) => spec(
            OutputKind::Path,
            "Path",
            "returns a Path (URLPath); the file downloads on first use, e.g. open(output, \"rb\"); replicate.get_path_url(output) gives its URL".to_owned(),
        ),
        Some("object") => {
            let shape = ShapeBuilder::new(openapi).output();
            let fields: Vec<String> = shape
                .fields
                .iter()
                .map(|f| {
                    format!(
                        "output[{}] ({})",
                        python::literal(&Value::String(f.name.clone())),
                        f.shape.python_type
                    )
                })
                .collect();
            let mut usage = if fields.is_empty() {
                "returns a dict; read fields as output[\"name\"]".to_owned()
            } else {
                format!(
                    "returns a dict (not an object with attributes): read {}",
                    fields.join(", ")
                )
            };
            if shape.has_files() {
                usage.push_str("; file fields are Path (URLPath)");
            }
            spec(OutputKind::Dict, "dict", usage)
        }
        _ => {
            let py = InputType::from_schema(&schema).to_string();
            let usage = format!("returns a {py}");
            spec(OutputKind::Value, &py, usage)
        }
    }
}

fn spec(kind: OutputKind, python_type: &str, usage: String) -> OutputSpec {
    OutputSpec {
        kind,
        python_type: python_type.to_owned(),
        usage,
        shape: None,
    }
}
