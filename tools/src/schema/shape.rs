//! The whole shape of a model's output: fields of objects, items of lists, the members of
//! `anyOf`, followed through `$ref` and `allOf` (depth-limited, cycles cut), and how to
//! read each part from the value `replicate.use()` returns.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::input_type::InputType;
use super::python;
use super::resolver::Resolver;

/// Objects nested deeper than this are not expanded (their shape is marked as cut).
const MAX_DEPTH: usize = 6;

/// The shape of (part of) a model's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OutputShape {
    /// The type as Python: `str`, `Path`, `dict`, `list[dict]`, `list[str] | Path`, …
    pub python_type: String,
    /// Whether the value is a file (a `Path`, i.e. a URLPath downloaded on first use).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub file: bool,
    /// For an object: its fields, read as `value["name"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<OutputField>,
    /// For a list: the shape of each item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<OutputShape>>,
    /// For `anyOf`/`oneOf`: the alternatives (a value is one of them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any_of: Vec<OutputShape>,
    /// Why the shape is not expanded further (a cycle, or the depth limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut: Option<String>,
    /// For a plain value: the values it takes, when the schema lists them (`enum`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<crate::schema::types::JsonScalar>")]
    pub choices: Vec<Value>,
}

/// One field of an object output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OutputField {
    /// The key, read as `value["name"]`.
    pub name: String,
    /// Whether the schema lists it as required (always present).
    pub required: bool,
    /// Its shape.
    pub shape: OutputShape,
}

impl OutputShape {
    fn leaf(python_type: String) -> OutputShape {
        OutputShape {
            file: python_type == "Path",
            python_type,
            fields: Vec::new(),
            items: None,
            any_of: Vec::new(),
            cut: None,
            choices: Vec::new(),
        }
    }

    /// `Any`: a value the schema says nothing about.
    pub fn any() -> OutputShape {
        OutputShape::leaf("Any".to_owned())
    }

    /// A plain `str` (e.g. a concatenated stream).
    pub fn text() -> OutputShape {
        OutputShape::leaf("str".to_owned())
    }

    /// Whether any part of the shape is a file.
    pub fn has_files(&self) -> bool {
        self.file
            || self.fields.iter().any(|f| f.shape.has_files())
            || self.items.as_deref().is_some_and(OutputShape::has_files)
            || self.any_of.iter().any(OutputShape::has_files)
    }

    /// Whether the shape has structure worth listing (fields, nested lists, alternatives).
    pub fn is_nested(&self) -> bool {
        !self.fields.is_empty()
            || !self.any_of.is_empty()
            || self.items.as_deref().is_some_and(OutputShape::is_nested)
            || self.cut.is_some()
    }

    /// The shape as one compact type expression, e.g.
    /// `dict{segments: list[dict{start: float, text: str}], language?: str}` (`?`: not
    /// always present).
    pub fn compact(&self) -> String {
        if let Some(cut) = &self.cut {
            return format!("{}(…{cut})", self.python_type);
        }
        if !self.any_of.is_empty() {
            let parts: Vec<String> = self.any_of.iter().map(OutputShape::compact).collect();
            return parts.join(" | ");
        }
        if let Some(items) = &self.items {
            return format!("list[{}]", items.compact());
        }
        if !self.fields.is_empty() {
            let fields: Vec<String> = self
                .fields
                .iter()
                .map(|f| {
                    let mark = if f.required { "" } else { "?" };
                    format!("{}{mark}: {}", f.name, f.shape.compact())
                })
                .collect();
            return format!("dict{{{}}}", fields.join(", "));
        }
        self.python_type.clone()
    }

    /// One line per readable part, each with the Python expression that reads it from
    /// `root` (e.g. `output["segments"][0]["text"]: str`), indented by depth.
    pub fn lines(&self, root: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_lines(root, 0, &mut out);
        out
    }

    fn collect_lines(&self, expr: &str, depth: usize, out: &mut Vec<String>) {
        let indent = "  ".repeat(depth);
        if !self.any_of.is_empty() {
            for member in &self.any_of {
                out.push(format!("{indent}{expr} when it is {}:", member.python_type));
                member.collect_children(expr, depth + 1, out);
            }
            return;
        }
        self.collect_children(expr, depth, out);
    }

    fn collect_children(&self, expr: &str, depth: usize, out: &mut Vec<String>) {
        let indent = "  ".repeat(depth);
        if let Some(cut) = &self.cut {
            out.push(format!("{indent}{expr}: {} ({cut})", self.python_type));
            return;
        }
        if let Some(items) = &self.items {
            let item_expr = format!("{expr}[0]");
            if items.cut.is_some() || !items.is_nested() {
                items.collect_leaf(&item_expr, depth, out);
            } else {
                out.push(format!("{indent}{item_expr}: {}", items.describe()));
                items.collect_lines(&item_expr, depth + 1, out);
            }
            return;
        }
        for field in &self.fields {
            let field_expr = format!(
                "{expr}[{}]",
                python::literal(&Value::String(field.name.clone()))
            );
            let presence = if field.required {
                ""
            } else {
                ", may be absent"
            };
            out.push(format!(
                "{indent}{field_expr}: {}{presence}",
                field.shape.describe()
            ));
            if field.shape.is_nested() {
                field.shape.collect_lines(&field_expr, depth + 1, out);
            }
        }
    }

    /// One line for a part that is not expanded further.
    fn collect_leaf(&self, expr: &str, depth: usize, out: &mut Vec<String>) {
        let indent = "  ".repeat(depth);
        match &self.cut {
            Some(cut) => out.push(format!("{indent}{expr}: {} ({cut})", self.python_type)),
            None => out.push(format!("{indent}{expr}: {}", self.describe())),
        }
    }

    /// The type with a file marker: `Path (file)`, `list[Path] (files)`.
    fn describe(&self) -> String {
        if self.file {
            format!("{} (file)", self.python_type)
        } else if self.items.as_deref().is_some_and(|i| i.file) {
            format!("{} (files)", self.python_type)
        } else {
            self.python_type.clone()
        }
    }
}

/// Builds output shapes from one OpenAPI document's components.
pub struct ShapeBuilder<'a> {
    resolver: Resolver<'a>,
}

impl<'a> ShapeBuilder<'a> {
    /// A builder for one OpenAPI document.
    pub fn new(openapi: &'a Value) -> ShapeBuilder<'a> {
        ShapeBuilder {
            resolver: Resolver::new(openapi),
        }
    }

    /// The shape of the `Output` component (`Any` when there is none).
    pub fn output(&self) -> OutputShape {
        match self.resolver.raw_component("Output") {
            Some(schema) => self.node(schema, 0, &mut vec!["Output".to_owned()]),
            None => OutputShape::leaf("Any".to_owned()),
        }
    }

    fn node(&self, schema: &Value, depth: usize, stack: &mut Vec<String>) -> OutputShape {
        let before = stack.len();
        let shape = match self.resolver.flatten(schema, stack) {
            Ok(merged) => self.shape_of_merged(&merged, depth, stack),
            Err(cut) => OutputShape {
                cut: Some(cut),
                ..OutputShape::leaf("dict".to_owned())
            },
        };
        stack.truncate(before);
        shape
    }

    fn shape_of_merged(
        &self,
        schema: &Map<String, Value>,
        depth: usize,
        stack: &mut Vec<String>,
    ) -> OutputShape {
        if let Some(members) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array)
            && let Some(union) = self.union(members, depth, stack)
        {
            return union;
        }
        let ty = schema.get("type").and_then(Value::as_str);
        if ty == Some("array") {
            let items = match schema.get("items") {
                Some(items) => self.node(items, depth + 1, stack),
                None => OutputShape::leaf("Any".to_owned()),
            };
            return OutputShape {
                python_type: format!("list[{}]", items.python_type),
                items: Some(Box::new(items)),
                ..OutputShape::leaf(String::new())
            };
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        if ty == Some("object") || properties.is_some() {
            return self.object(schema, properties, depth, stack);
        }
        OutputShape {
            choices: schema
                .get("enum")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            ..OutputShape::leaf(InputType::from_schema(&Value::Object(schema.clone())).to_string())
        }
    }

    /// An `anyOf`/`oneOf`: one alternative (optionally `| None`) is that alternative; several
    /// are a union in order. `None` when every member is null.
    fn union(
        &self,
        members: &[Value],
        depth: usize,
        stack: &mut Vec<String>,
    ) -> Option<OutputShape> {
        let shapes: Vec<OutputShape> = members.iter().map(|m| self.node(m, depth, stack)).collect();
        let (nulls, mut values): (Vec<_>, Vec<_>) =
            shapes.into_iter().partition(|s| s.python_type == "None");
        if values.len() == 1 {
            let mut only = values.remove(0);
            if !nulls.is_empty() {
                only.python_type.push_str(" | None");
            }
            return Some(only);
        }
        if values.is_empty() {
            return None;
        }
        let mut types: Vec<String> = Vec::new();
        for t in values.iter().map(|s| s.python_type.clone()) {
            if !types.contains(&t) {
                types.push(t);
            }
        }
        if !nulls.is_empty() {
            types.push("None".to_owned());
        }
        Some(OutputShape {
            python_type: types.join(" | "),
            any_of: values,
            ..OutputShape::leaf(String::new())
        })
    }

    /// An object: its fields in `x-order` (then name) order, each marked required or not.
    fn object(
        &self,
        schema: &Map<String, Value>,
        properties: Option<&Map<String, Value>>,
        depth: usize,
        stack: &mut Vec<String>,
    ) -> OutputShape {
        let Some(properties) = properties.filter(|p| !p.is_empty()) else {
            return OutputShape::leaf("dict".to_owned());
        };
        if depth >= MAX_DEPTH {
            return OutputShape {
                cut: Some(format!(
                    "nested deeper than {MAX_DEPTH} levels; not expanded"
                )),
                ..OutputShape::leaf("dict".to_owned())
            };
        }
        let required = super::openapi::required_names(schema.get("required"));
        let mut fields: Vec<(i64, OutputField)> = properties
            .iter()
            .map(|(name, prop)| {
                let order = super::openapi::x_order(prop);
                let field = OutputField {
                    name: name.clone(),
                    required: required.contains(&name.as_str()),
                    shape: self.node(prop, depth + 1, stack),
                };
                (order, field)
            })
            .collect();
        fields.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
        OutputShape {
            fields: fields.into_iter().map(|(_, f)| f).collect(),
            ..OutputShape::leaf("dict".to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shape_of(components: Value) -> OutputShape {
        let doc = json!({"components": {"schemas": components}});
        ShapeBuilder::new(&doc).output()
    }

    #[test]
    fn cycles_are_cut() {
        let shape = shape_of(json!({
            "Output": {"$ref": "#/components/schemas/Node"},
            "Node": {"type": "object", "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}
            }}
        }));
        let children = &shape.fields[0];
        assert_eq!(children.name, "children");
        let item = children.shape.items.as_deref().unwrap();
        assert!(item.cut.as_deref().unwrap().contains("Node"));
    }

    #[test]
    fn depth_is_limited() {
        let mut inner = json!({"type": "string"});
        for _ in 0..10 {
            inner = json!({"type": "object", "properties": {"next": inner}});
        }
        let shape = shape_of(json!({ "Output": inner }));
        let mut node = &shape;
        let mut levels = 0;
        while let Some(f) = node.fields.first() {
            node = &f.shape;
            levels += 1;
        }
        assert!(levels <= MAX_DEPTH);
        assert!(node.cut.is_some());
    }

    #[test]
    fn optional_any_of_collapses() {
        let shape = shape_of(json!({
            "Output": {"anyOf": [{"type": "string", "format": "uri"}, {"type": "null"}]}
        }));
        assert_eq!(shape.python_type, "Path | None");
        assert!(shape.file);
    }
}
