//! Reading a cog OpenAPI schema: `$ref`/`allOf` dereferencing, inputs in `x-order`, the
//! output's shape.

use serde_json::{Map, Value};

use super::python;
use super::shape::{OutputShape, ShapeBuilder};
use super::types::{InputParam, OutputKind, OutputSpec};

/// How deep `$ref`s may nest before we stop (guards against cycles).
const MAX_DEPTH: usize = 32;

/// Inlines `$ref`s to `#/components/schemas/*` and merges `allOf` members into their
/// parent. Unknown or cyclic references are left as they are.
pub struct Resolver<'a> {
    components: Option<&'a Map<String, Value>>,
}

impl<'a> Resolver<'a> {
    /// A resolver for one OpenAPI document.
    pub fn new(openapi: &'a Value) -> Resolver<'a> {
        Resolver {
            components: openapi
                .pointer("/components/schemas")
                .and_then(Value::as_object),
        }
    }

    /// The named component, dereferenced (`Input`, `Output`, …).
    pub fn component(&self, name: &str) -> Option<Value> {
        let schema = self.components?.get(name)?;
        Some(self.resolve(schema))
    }

    /// `value` with every resolvable `$ref` inlined and every `allOf` merged.
    pub fn resolve(&self, value: &Value) -> Value {
        self.walk(value, &mut Vec::new())
    }

    fn walk(&self, value: &Value, stack: &mut Vec<String>) -> Value {
        match value {
            Value::Object(map) => {
                if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                    if let Some(resolved) = self.follow(target, stack) {
                        // Siblings of `$ref` (description, default, …) override the target.
                        let mut merged = as_object(resolved);
                        for (k, v) in map.iter().filter(|(k, _)| k.as_str() != "$ref") {
                            merged.insert(k.clone(), self.walk(v, stack));
                        }
                        return Value::Object(merged);
                    }
                    return value.clone();
                }
                let mut out = Map::new();
                if let Some(all) = map.get("allOf").and_then(Value::as_array) {
                    for member in all {
                        for (k, v) in as_object(self.walk(member, stack)) {
                            out.insert(k, v);
                        }
                    }
                }
                for (k, v) in map.iter().filter(|(k, _)| k.as_str() != "allOf") {
                    out.insert(k.clone(), self.walk(v, stack));
                }
                Value::Object(out)
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| self.walk(i, stack)).collect())
            }
            other => other.clone(),
        }
    }

    fn follow(&self, target: &str, stack: &mut Vec<String>) -> Option<Value> {
        let name = target.strip_prefix("#/components/schemas/")?;
        if name.contains('/') || stack.len() >= MAX_DEPTH || stack.iter().any(|s| s == name) {
            return None;
        }
        let schema = self.components?.get(name)?;
        stack.push(name.to_owned());
        let resolved = self.walk(schema, stack);
        stack.pop();
        Some(resolved)
    }
}

fn as_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The inputs of a model, in `x-order` order (then by name).
pub fn inputs(openapi: &Value) -> Vec<InputParam> {
    let resolver = Resolver::new(openapi);
    let Some(input) = resolver.component("Input") else {
        return Vec::new();
    };
    let required: Vec<&str> = input
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = input.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut params: Vec<(i64, InputParam)> = properties
        .iter()
        .map(|(name, prop)| {
            let order = prop
                .get("x-order")
                .and_then(Value::as_i64)
                .unwrap_or(i64::MAX);
            let default = prop.get("default").cloned();
            let choices = prop.get("enum").and_then(Value::as_array).cloned();
            let param = InputParam {
                name: name.clone(),
                python_type: python::type_of(prop),
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
                let py = python::type_of(&schema);
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
            let py = python::type_of(&schema);
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
