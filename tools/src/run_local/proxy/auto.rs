//! `"auto"` mocks: an output synthesised from the model's OpenAPI `Output` schema — text
//! chunks for LLMs, media files for `format: uri`, objects with every field filled by type.

use serde_json::{Map, Value, json};

use super::media::Media;

/// Makes a file and returns its URL (the proxy stores and serves it).
pub(crate) type MakeFile<'a> = dyn FnMut(Media) -> String + 'a;

/// An output for `model` shaped like its `Output` schema (`openapi` is the whole document).
pub(crate) fn synthesise(model: &str, openapi: &Value, make_file: &mut MakeFile<'_>) -> Value {
    let components = openapi
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Null);
    let output = openapi
        .pointer("/components/schemas/Output")
        .cloned()
        .unwrap_or(Value::Null);
    let title = openapi
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or("");
    let hints = format!("{model} {title}");
    let mut ctx = Ctx {
        model,
        components: &components,
        make_file,
        depth: 0,
    };
    ctx.value(&output, &hints)
}

struct Ctx<'a, 'b> {
    model: &'a str,
    components: &'a Value,
    make_file: &'a mut MakeFile<'b>,
    depth: usize,
}

impl Ctx<'_, '_> {
    /// Follows `$ref` and `allOf` (merging their keys).
    fn resolve(&self, schema: &Value) -> Value {
        let mut merged = Map::new();
        self.merge_into(schema, &mut merged, 0);
        Value::Object(merged)
    }

    fn merge_into(&self, schema: &Value, into: &mut Map<String, Value>, depth: usize) {
        if depth > 8 {
            return;
        }
        if let Some(name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            && let Some(target) = self.components.get(name)
        {
            self.merge_into(target, into, depth + 1);
        }
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.merge_into(part, into, depth + 1);
        }
        if let Some(map) = schema.as_object() {
            for (k, v) in map {
                if k != "$ref" && k != "allOf" {
                    into.insert(k.clone(), v.clone());
                }
            }
        }
    }

    fn value(&mut self, schema: &Value, hints: &str) -> Value {
        self.depth += 1;
        let value = self.value_inner(schema, hints);
        self.depth -= 1;
        value
    }

    fn value_inner(&mut self, schema: &Value, hints: &str) -> Value {
        let schema = self.resolve(schema);
        if self.depth > 10 {
            return Value::Null;
        }
        if let Some(first) = schema
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return first.clone();
        }
        let ty = schema.get("type").and_then(Value::as_str).unwrap_or("");
        let described = format!(
            "{hints} {} {}",
            schema.get("title").and_then(Value::as_str).unwrap_or(""),
            schema
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
        );
        match ty {
            "string" if schema.get("format").and_then(Value::as_str) == Some("uri") => {
                Value::String((self.make_file)(Media::guess(&described)))
            }
            "string" => Value::String(format!("mock output of {}", self.model)),
            "integer" => json!(schema.get("minimum").and_then(Value::as_i64).unwrap_or(1)),
            "number" => json!(schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.5)),
            "boolean" => Value::Bool(true),
            "array" => {
                let items = schema.get("items").cloned().unwrap_or(Value::Null);
                let concatenate = schema.get("x-cog-array-display").and_then(Value::as_str)
                    == Some("concatenate");
                let items_resolved = self.resolve(&items);
                if concatenate
                    || items_resolved.get("type").and_then(Value::as_str) == Some("string")
                        && items_resolved.get("format").is_none()
                {
                    let text = format!("Mock output of {}.", self.model);
                    return Value::Array(
                        text.split_inclusive(' ')
                            .map(|w| Value::String(w.to_owned()))
                            .collect(),
                    );
                }
                Value::Array(vec![self.value(&items, &described)])
            }
            "object" => {
                let mut out = Map::new();
                if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                    for (name, prop) in props {
                        let hint = format!("{described} {name}");
                        out.insert(name.clone(), self.value(prop, &hint));
                    }
                }
                Value::Object(out)
            }
            _ => Value::String(format!("mock output of {}", self.model)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(output: Value) -> Value {
        json!({"components": {"schemas": {"Output": output, "Kind": {"type": "string", "enum": ["cat", "dog"]}}}})
    }

    #[test]
    fn llm_text_is_streamed_chunks() {
        let mut files = |_: Media| String::new();
        let out = synthesise(
            "acme/chatter",
            &doc(
                json!({"type": "array", "items": {"type": "string"}, "x-cog-array-type": "iterator", "x-cog-array-display": "concatenate"}),
            ),
            &mut files,
        );
        let text: String = out
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(text, "Mock output of acme/chatter.");
    }

    #[test]
    fn objects_get_every_field_and_files_their_kind() {
        let mut made = Vec::new();
        let mut files = |m: Media| {
            made.push(m);
            format!("http://proxy/mock-files/{}", made.len())
        };
        let out = synthesise(
            "acme/inspector",
            &doc(json!({"type": "object", "properties": {
                "caption": {"type": "string"},
                "count": {"type": "integer"},
                "score": {"type": "number"},
                "safe": {"type": "boolean"},
                "kind": {"allOf": [{"$ref": "#/components/schemas/Kind"}]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "preview": {"type": "string", "format": "uri"},
                "soundtrack_audio": {"type": "string", "format": "uri"}
            }})),
            &mut files,
        );
        let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 8, "{out}");
        assert_eq!(out["kind"], "cat");
        assert_eq!(out["count"], 1);
        assert_eq!(out["safe"], true);
        assert!(
            out["preview"]
                .as_str()
                .unwrap()
                .starts_with("http://proxy/")
        );
        assert_eq!(made, [Media::Image, Media::Audio]);
    }
}
