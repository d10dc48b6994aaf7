//! The type of a model input (or of a `run()` parameter), typed once: made from a
//! (dereferenced) OpenAPI schema by [`InputType::from_schema`], or parsed from a Python
//! annotation (`"list[Path]"`, `"int | None"`, `"Optional[cog.Path]"`) by
//! [`InputType::parse`] — the one parser of a type written as text. It renders as the
//! Python annotation in one place (`Display`), which is what JSON outputs carry as
//! `python_type`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A scalar kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    /// `str`.
    Str,
    /// `int`.
    Int,
    /// `float`.
    Float,
    /// `bool`.
    Bool,
    /// `Path` (`cog.Path`, `pathlib.Path`; a string with `format: uri` in a schema).
    Path,
    /// `Secret` (`cog.Secret`): a string the run gets wrapped.
    Secret,
}

impl Scalar {
    /// The Python name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scalar::Str => "str",
            Scalar::Int => "int",
            Scalar::Float => "float",
            Scalar::Bool => "bool",
            Scalar::Path => "Path",
            Scalar::Secret => "Secret",
        }
    }
}

/// A model input's type. Choices and bounds sit beside it on
/// [`InputParam`](super::types::InputParam) (`choices`, `minimum`, `maximum`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputType {
    /// A scalar kind.
    Scalar(Scalar),
    /// cog's older `File` (a file handed to `run()` as an open file).
    File,
    /// `list[T]`; a bare `list` has no item type.
    List(Option<Box<InputType>>),
    /// `dict`.
    Dict,
    /// `None` (JSON `null`).
    None,
    /// `Any`: the schema says nothing.
    Any,
    /// `A | B | …` in the schema's (or annotation's) order; nullable when one is `None`.
    Union(Vec<InputType>),
    /// An annotation this type does not model (`dict[str, int]`, `Iterator[str]`), as written.
    Other(String),
}

impl InputType {
    /// The type of a dereferenced JSON schema: `str`, `int`, `float`, `bool`, `Path`
    /// (string with `format: uri`), `list[...]`, `dict`, unions for `anyOf`/`oneOf`, a
    /// bare `enum`'s by its first choice, else `Any`.
    pub fn from_schema(schema: &Value) -> InputType {
        if let Some(members) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array)
            && !members.is_empty()
        {
            return InputType::union(members.iter().map(InputType::from_schema));
        }
        let text = |key: &str| schema.get(key).and_then(Value::as_str);
        match text("type") {
            Some("string") if text("format") == Some("uri") => InputType::Scalar(Scalar::Path),
            Some("string") => InputType::Scalar(Scalar::Str),
            Some("integer") => InputType::Scalar(Scalar::Int),
            Some("number") => InputType::Scalar(Scalar::Float),
            Some("boolean") => InputType::Scalar(Scalar::Bool),
            Some("null") => InputType::None,
            Some("object") => InputType::Dict,
            Some("array") => InputType::List(
                schema
                    .get("items")
                    .map(|items| Box::new(InputType::from_schema(items))),
            ),
            _ => match schema
                .get("enum")
                .and_then(Value::as_array)
                .and_then(|e| e.first())
            {
                Some(Value::String(_)) => InputType::Scalar(Scalar::Str),
                Some(Value::Bool(_)) => InputType::Scalar(Scalar::Bool),
                Some(Value::Number(n)) if n.is_f64() => InputType::Scalar(Scalar::Float),
                Some(Value::Number(_)) => InputType::Scalar(Scalar::Int),
                _ => InputType::Any,
            },
        }
    }

    /// Parses a Python annotation: `str`, `cog.Path`, `list[Path]`, `List[int]`,
    /// `typing.List[str]`, `T | None`, `None | T`, `Optional[T]`, `Secret`, `File`, `dict`,
    /// `Any`; anything else is kept as written ([`InputType::Other`]).
    pub fn parse(text: &str) -> InputType {
        let t = text.trim();
        let parts = split_top_level(t);
        if parts.len() > 1 {
            return InputType::union(parts.into_iter().map(InputType::parse));
        }
        if let Some(inner) = generic(t, &["Optional", "typing.Optional"]) {
            return InputType::union([InputType::parse(inner), InputType::None]);
        }
        if let Some(inner) = generic(t, &["list", "List", "typing.List"]) {
            return InputType::List(Some(Box::new(InputType::parse(inner))));
        }
        match t {
            "str" => InputType::Scalar(Scalar::Str),
            "int" => InputType::Scalar(Scalar::Int),
            "float" => InputType::Scalar(Scalar::Float),
            "bool" => InputType::Scalar(Scalar::Bool),
            "Path" | "cog.Path" | "pathlib.Path" => InputType::Scalar(Scalar::Path),
            "Secret" | "cog.Secret" => InputType::Scalar(Scalar::Secret),
            "File" | "cog.File" => InputType::File,
            "None" => InputType::None,
            "dict" => InputType::Dict,
            "list" => InputType::List(None),
            "Any" => InputType::Any,
            other => InputType::Other(other.to_owned()),
        }
    }

    /// The members as one type: nested unions flattened, repeats dropped, one member alone.
    fn union(members: impl IntoIterator<Item = InputType>) -> InputType {
        let mut flat: Vec<InputType> = Vec::new();
        for member in members {
            let parts = match member {
                InputType::Union(parts) => parts,
                one => vec![one],
            };
            for part in parts {
                if !flat.contains(&part) {
                    flat.push(part);
                }
            }
        }
        if flat.len() == 1 {
            flat.remove(0)
        } else {
            InputType::Union(flat)
        }
    }

    /// Whether `None` (JSON `null`) is one of its values.
    pub fn accepts_null(&self) -> bool {
        match self {
            InputType::None => true,
            InputType::Union(members) => members.contains(&InputType::None),
            _ => false,
        }
    }

    /// The type without its `None`: `int | None` → `int`. (`None` alone stays `None`.)
    pub fn non_null(&self) -> InputType {
        match self {
            InputType::Union(members) => {
                let rest: Vec<InputType> = members
                    .iter()
                    .filter(|m| **m != InputType::None)
                    .cloned()
                    .collect();
                if rest.is_empty() {
                    InputType::None
                } else {
                    InputType::union(rest)
                }
            }
            other => other.clone(),
        }
    }

    /// The scalar kind, when the type (without `None`) is one.
    pub fn scalar(&self) -> Option<Scalar> {
        match self.non_null() {
            InputType::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// Whether it is exactly this scalar (not optional, not a list).
    pub fn is(&self, scalar: Scalar) -> bool {
        *self == InputType::Scalar(scalar)
    }

    /// Whether the value (without `None`) is a list.
    pub fn is_list(&self) -> bool {
        matches!(self.non_null(), InputType::List(_))
    }

    /// Whether the value (without `None`) is a file or a list of files.
    pub fn is_file(&self) -> bool {
        match self.non_null() {
            InputType::Scalar(Scalar::Path) | InputType::File => true,
            InputType::List(Some(item)) => item.is_file(),
            _ => false,
        }
    }
}

/// `text` split at the `|`s outside brackets, each part trimmed.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth = depth.saturating_sub(1),
            '|' if depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts
}

/// The inside of `Name[…]` for one of `names`.
fn generic<'a>(text: &'a str, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|name| {
        text.strip_prefix(name)?
            .strip_prefix('[')?
            .strip_suffix(']')
    })
}

impl fmt::Display for InputType {
    /// The Python annotation: `str`, `list[Path]`, `int | None`, `dict`, …
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputType::Scalar(s) => f.write_str(s.as_str()),
            InputType::File => f.write_str("File"),
            InputType::List(None) => f.write_str("list"),
            InputType::List(Some(item)) => write!(f, "list[{item}]"),
            InputType::Dict => f.write_str("dict"),
            InputType::None => f.write_str("None"),
            InputType::Any => f.write_str("Any"),
            InputType::Union(members) => {
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{m}")?;
                }
                Ok(())
            }
            InputType::Other(text) => f.write_str(text),
        }
    }
}

impl Serialize for InputType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for InputType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<InputType, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(InputType::parse(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn from_schema() {
        let ty = |v: Value| InputType::from_schema(&v).to_string();
        assert_eq!(ty(json!({"type": "string", "format": "uri"})), "Path");
        assert_eq!(
            ty(json!({"type": "array", "items": {"type": "string", "format": "uri"}})),
            "list[Path]"
        );
        assert_eq!(
            ty(json!({"anyOf": [{"type": "string"}, {"type": "null"}]})),
            "str | None"
        );
        assert_eq!(ty(json!({"enum": [2, 4]})), "int");
        assert_eq!(ty(json!({"type": "array"})), "list");
        assert_eq!(ty(json!({})), "Any");
    }

    #[test]
    fn parses_annotations() {
        let p = InputType::parse;
        assert_eq!(
            p("list[Path]"),
            InputType::List(Some(Box::new(InputType::Scalar(Scalar::Path))))
        );
        assert_eq!(p("cog.Path"), InputType::Scalar(Scalar::Path));
        assert_eq!(p("dict"), InputType::Dict);
        assert!(p("int | None").accepts_null());
        assert_eq!(p("int | None").scalar(), Some(Scalar::Int));
        assert!(p("Optional[str]").accepts_null());
        assert!(p("None | str").accepts_null());
        assert!(!p("str | int").accepts_null());
        assert!(!p("list[str | None]").accepts_null());
        assert_eq!(p("Optional[List[int]]").to_string(), "list[int] | None");
        assert!(p("typing.Optional[cog.File]").is_file());
        assert!(p("list[Path] | None").is_file());
        assert!(!p("Path | str").is_file());
        assert_eq!(p(" dict[str, int] ").to_string(), "dict[str, int]");
    }

    #[test]
    fn renders_what_it_parses() {
        for text in [
            "str",
            "list[list[Path]]",
            "None | str",
            "str | int | None",
            "list",
            "Any",
            "Secret",
            "File",
            "Iterator[str]",
        ] {
            assert_eq!(InputType::parse(text).to_string(), text);
            let json = serde_json::to_value(InputType::parse(text)).unwrap();
            assert_eq!(json, json!(text));
            let back: InputType = serde_json::from_value(json).unwrap();
            assert_eq!(back, InputType::parse(text));
        }
    }
}
