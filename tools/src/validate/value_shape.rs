//! What the data-flow rules know of an output value: the fetched schema's
//! [`OutputShape`](crate::schema::OutputShape) reduced to the distinctions the rules draw
//! (file, text, plain value, list, object). Anything the schema leaves open — alternatives
//! of different kinds, a cut cycle, `Any` — is [`ValueShape::Unknown`]: no finding.

use crate::schema::{InputType, OutputShape, Scalar};

/// The structure of an output value as `replicate.use()` returns it (a string iterator
/// joined into one `str` is recorded by the output's `kind`, not here).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum ValueShape {
    /// Not known.
    #[default]
    Unknown,
    /// A file: a `Path` (URLPath).
    Path,
    /// A string.
    Str,
    /// A number, boolean or other plain value.
    Value,
    /// A list.
    List {
        /// The shape of each item.
        items: Box<ValueShape>,
    },
    /// An object, returned as a `dict`.
    Object {
        /// Its fields in schema order; `None` when the schema does not list them.
        fields: Option<Vec<ValueField>>,
    },
}

/// One field of an object output.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValueField {
    /// The key.
    pub name: String,
    /// Its shape.
    pub shape: ValueShape,
}

impl ValueShape {
    /// Whether nothing is known.
    pub fn is_unknown(&self) -> bool {
        matches!(self, ValueShape::Unknown)
    }

    /// A field of an object shape.
    pub fn field(&self, name: &str) -> Option<&ValueShape> {
        match self {
            ValueShape::Object { fields: Some(f) } => {
                f.iter().find(|f| f.name == name).map(|f| &f.shape)
            }
            _ => None,
        }
    }

    /// The rules' view of a fetched output shape.
    pub fn of(shape: &OutputShape) -> ValueShape {
        if shape.cut.is_some() {
            return ValueShape::Unknown;
        }
        if !shape.any_of.is_empty() {
            let mut members = shape.any_of.iter().map(ValueShape::of);
            let Some(first) = members.next() else {
                return ValueShape::Unknown;
            };
            return if members.all(|m| m == first) {
                first
            } else {
                ValueShape::Unknown
            };
        }
        if shape.file {
            return ValueShape::Path;
        }
        if let Some(items) = &shape.items {
            return ValueShape::List {
                items: Box::new(ValueShape::of(items)),
            };
        }
        if !shape.fields.is_empty() {
            return ValueShape::Object {
                fields: Some(
                    shape
                        .fields
                        .iter()
                        .map(|f| ValueField {
                            name: f.name.clone(),
                            shape: ValueShape::of(&f.shape),
                        })
                        .collect(),
                ),
            };
        }
        match InputType::parse(&shape.python_type).non_null() {
            InputType::Scalar(Scalar::Str) => ValueShape::Str,
            InputType::Scalar(Scalar::Path) => ValueShape::Path,
            InputType::Scalar(Scalar::Int | Scalar::Float | Scalar::Bool) => ValueShape::Value,
            InputType::Dict => ValueShape::Object { fields: None },
            InputType::List(_) => ValueShape::List {
                items: Box::new(ValueShape::Unknown),
            },
            _ => ValueShape::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::shape::ShapeBuilder;
    use serde_json::json;

    fn of(output: serde_json::Value) -> ValueShape {
        let openapi = json!({"components": {"schemas": {
            "Output": output,
            "Loop": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Loop"}}}
        }}});
        ValueShape::of(&ShapeBuilder::new(&openapi).output())
    }

    #[test]
    fn nested_objects_lists_and_any_of() {
        let s = of(json!({
            "type": "object",
            "properties": {
                "scenes": {"type": "array", "items": {"type": "object", "properties": {
                    "image": {"type": "string", "format": "uri"}}}},
                "either": {"anyOf": [{"type": "string"}, {"type": "object"}]},
                "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "loop": {"$ref": "#/components/schemas/Loop"}
            }
        }));
        let Some(ValueShape::List { items }) = s.field("scenes") else {
            panic!("{s:?}")
        };
        assert_eq!(items.field("image"), Some(&ValueShape::Path));
        assert_eq!(s.field("either"), Some(&ValueShape::Unknown));
        assert_eq!(s.field("maybe"), Some(&ValueShape::Str));
        let Some(ValueShape::Object { .. }) = s.field("loop") else {
            panic!("{s:?}")
        };
    }

    #[test]
    fn lists_of_lists_of_files() {
        let s = of(
            json!({"type": "array", "items": {"type": "array", "items": {"type": "string", "format": "uri"}}}),
        );
        assert_eq!(
            s,
            ValueShape::List {
                items: Box::new(ValueShape::List {
                    items: Box::new(ValueShape::Path)
                })
            }
        );
    }
}
