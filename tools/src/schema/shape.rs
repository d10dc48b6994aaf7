//! The structure of a model's output (fields of objects, items of lists), read from the
//! dereferenced OpenAPI `Output` schema. The validator follows output values through a
//! pipeline with it; anything it cannot decide is [`OutputShape::Unknown`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How deep objects and lists may nest before the rest is [`OutputShape::Unknown`].
const MAX_DEPTH: usize = 8;

/// The structure of an output value as `replicate.use()` returns it (a string iterator
/// joined into one `str` is recorded by the output's `kind`, not here).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputShape {
    /// Not known: no schema, an unresolved or cyclic `$ref`, an `anyOf` of different
    /// kinds, or nested too deep.
    #[default]
    Unknown,
    /// A file (`format: uri`): a `Path` (URLPath).
    Path,
    /// A string.
    Str,
    /// A number, boolean or other plain value.
    Value,
    /// A list.
    List {
        /// The shape of each item.
        items: Box<OutputShape>,
    },
    /// An object, returned as a `dict`.
    Object {
        /// Its fields in schema order; `None` when the schema does not list them.
        fields: Option<Vec<OutputField>>,
    },
}

/// One field of an object output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OutputField {
    /// The key.
    pub name: String,
    /// Its shape.
    pub shape: OutputShape,
}

impl OutputShape {
    /// Whether nothing is known.
    pub fn is_unknown(&self) -> bool {
        matches!(self, OutputShape::Unknown)
    }

    /// The shape of a dereferenced JSON schema (`$ref`s inlined, `allOf` merged).
    pub fn of(schema: &Value) -> OutputShape {
        shape(schema, 0)
    }

    /// A field of an object shape.
    pub fn field(&self, name: &str) -> Option<&OutputShape> {
        match self {
            OutputShape::Object { fields: Some(f) } => {
                f.iter().find(|f| f.name == name).map(|f| &f.shape)
            }
            _ => None,
        }
    }
}

fn shape(schema: &Value, depth: usize) -> OutputShape {
    if depth > MAX_DEPTH || schema.get("$ref").is_some() {
        return OutputShape::Unknown;
    }
    if let Some(members) = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)
    {
        return any_of(members, depth);
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") if schema.get("format").and_then(Value::as_str) == Some("uri") => {
            OutputShape::Path
        }
        Some("string") => OutputShape::Str,
        Some("integer" | "number" | "boolean") => OutputShape::Value,
        Some("array") => OutputShape::List {
            items: Box::new(
                schema
                    .get("items")
                    .map_or(OutputShape::Unknown, |i| shape(i, depth + 1)),
            ),
        },
        Some("object") => {
            let fields = schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| {
                    p.iter()
                        .map(|(name, prop)| OutputField {
                            name: name.clone(),
                            shape: shape(prop, depth + 1),
                        })
                        .collect()
                });
            // Extra keys allowed: the listed fields are not the only ones.
            let open = schema
                .get("additionalProperties")
                .is_some_and(|a| a != &Value::Bool(false));
            OutputShape::Object {
                fields: if open { None } else { fields },
            }
        }
        _ => OutputShape::Unknown,
    }
}

/// `anyOf`: the common shape of the non-null members, else unknown.
fn any_of(members: &[Value], depth: usize) -> OutputShape {
    let mut common: Option<OutputShape> = None;
    for member in members {
        if member.get("type").and_then(Value::as_str) == Some("null") {
            continue;
        }
        let s = shape(member, depth + 1);
        match &common {
            None => common = Some(s),
            Some(c) if *c == s => {}
            Some(_) => return OutputShape::Unknown,
        }
    }
    common.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_objects_lists_and_any_of() {
        let s = OutputShape::of(&json!({
            "type": "object",
            "properties": {
                "scenes": {"type": "array", "items": {"type": "object", "properties": {
                    "image": {"type": "string", "format": "uri"}}}},
                "either": {"anyOf": [{"type": "string"}, {"type": "object"}]},
                "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "loop": {"$ref": "#/components/schemas/Loop"}
            }
        }));
        let Some(OutputShape::List { items }) = s.field("scenes") else {
            panic!("{s:?}")
        };
        assert_eq!(items.field("image"), Some(&OutputShape::Path));
        assert_eq!(s.field("either"), Some(&OutputShape::Unknown));
        assert_eq!(s.field("maybe"), Some(&OutputShape::Str));
        assert_eq!(s.field("loop"), Some(&OutputShape::Unknown));
    }

    #[test]
    fn depth_is_bounded() {
        let mut v = json!({"type": "string"});
        for _ in 0..40 {
            v = json!({"type": "array", "items": v});
        }
        let mut s = OutputShape::of(&v);
        let mut depth = 0;
        while let OutputShape::List { items } = s {
            s = *items;
            depth += 1;
        }
        assert_eq!(s, OutputShape::Unknown);
        assert!(depth <= MAX_DEPTH + 1);
    }
}
