//! The Python types the scaffolder handles, and the shapes of values flowing through `run()`.

use super::emit::Expr;
use crate::schema::{OutputKind, OutputShape, OutputSpec};

/// A scalar type `run()` can take or a model can accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar {
    Str,
    Int,
    Float,
    Bool,
    Path,
    Secret,
}

impl Scalar {
    fn parse(text: &str) -> Option<Scalar> {
        Some(match text.trim() {
            "str" => Scalar::Str,
            "int" => Scalar::Int,
            "float" => Scalar::Float,
            "bool" => Scalar::Bool,
            "Path" | "cog.Path" | "pathlib.Path" => Scalar::Path,
            "Secret" | "cog.Secret" => Scalar::Secret,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
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

/// A type: a scalar, a list of scalars, or something the scaffolder does not model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PyType {
    Scalar(Scalar),
    List(Scalar),
    Other(String),
}

impl PyType {
    /// Parses `str`, `list[Path]`, `List[int]`… (without `| None`).
    pub(crate) fn parse(text: &str) -> PyType {
        let t = text.trim();
        if let Some(s) = Scalar::parse(t) {
            return PyType::Scalar(s);
        }
        for prefix in ["list[", "List[", "typing.List["] {
            if let Some(inner) = t.strip_prefix(prefix).and_then(|r| r.strip_suffix(']'))
                && let Some(s) = Scalar::parse(inner)
            {
                return PyType::List(s);
            }
        }
        PyType::Other(t.to_string())
    }

    /// The annotation as the generated code writes it.
    pub(crate) fn render(&self) -> String {
        match self {
            PyType::Scalar(s) => s.as_str().to_string(),
            PyType::List(s) => format!("list[{}]", s.as_str()),
            PyType::Other(t) => t.clone(),
        }
    }

    /// The cog names the annotation needs imported.
    pub(crate) fn cog_import(&self) -> Option<&'static str> {
        match self {
            PyType::Scalar(Scalar::Path) | PyType::List(Scalar::Path) => Some("Path"),
            PyType::Scalar(Scalar::Secret) | PyType::List(Scalar::Secret) => Some("Secret"),
            _ => None,
        }
    }

    /// The shape of a value of this type.
    pub(crate) fn shape(&self) -> Shape {
        match self {
            PyType::Scalar(Scalar::Str) => Shape::Str,
            PyType::Scalar(Scalar::Int) => Shape::Int,
            PyType::Scalar(Scalar::Float) => Shape::Float,
            PyType::Scalar(Scalar::Bool) => Shape::Bool,
            PyType::Scalar(Scalar::Path) => Shape::Path,
            PyType::Scalar(Scalar::Secret) => Shape::Secret,
            PyType::List(Scalar::Path) => Shape::PathList,
            PyType::List(_) => Shape::List,
            PyType::Other(t) if t == "dict" || t.starts_with("dict[") => Shape::Dict,
            PyType::Other(_) => Shape::Opaque,
        }
    }
}

/// A possibly optional type (`T | None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamType {
    pub(crate) ty: PyType,
    pub(crate) optional: bool,
}

impl ParamType {
    /// Parses `T`, `T | None`, `None | T`, `Optional[T]`.
    pub(crate) fn parse(text: &str) -> ParamType {
        let t = text.trim();
        if let Some(inner) = t
            .strip_prefix("Optional[")
            .or_else(|| t.strip_prefix("typing.Optional["))
            .and_then(|r| r.strip_suffix(']'))
        {
            return ParamType {
                ty: PyType::parse(inner),
                optional: true,
            };
        }
        let parts: Vec<&str> = t.split('|').map(str::trim).collect();
        let without_none: Vec<&str> = parts.iter().copied().filter(|p| *p != "None").collect();
        if parts.len() == 2 && without_none.len() == 1 {
            return ParamType {
                ty: PyType::parse(without_none[0]),
                optional: true,
            };
        }
        ParamType {
            ty: PyType::parse(t),
            optional: false,
        }
    }

    /// The annotation as written in `run()`.
    pub(crate) fn render(&self) -> String {
        if self.optional {
            format!("{} | None", self.ty.render())
        } else {
            self.ty.render()
        }
    }
}

/// What a value in `run()` is, for deciding where it may be passed or returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Str,
    Int,
    Float,
    Bool,
    Path,
    PathList,
    List,
    Dict,
    Secret,
    Opaque,
}

impl Shape {
    /// The shape of what calling a model returns.
    pub(crate) fn of_output(output: &OutputSpec) -> Shape {
        match output.kind {
            OutputKind::ConcatenatedString => Shape::Str,
            OutputKind::Path => Shape::Path,
            OutputKind::PathList => Shape::PathList,
            OutputKind::List => Shape::List,
            OutputKind::Dict => Shape::Dict,
            OutputKind::Value => match PyType::parse(&output.python_type).shape() {
                s @ (Shape::Str | Shape::Int | Shape::Float | Shape::Bool) => s,
                _ => Shape::Opaque,
            },
        }
    }

    /// Whether the value is one or more files.
    pub(crate) fn is_file(self) -> bool {
        matches!(self, Shape::Path | Shape::PathList)
    }
}

/// An expression of a given shape, e.g. `pixel_forge_output` (a `list[Path]`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Value {
    pub(crate) expr: Expr,
    pub(crate) shape: Shape,
    /// For lists: the element type when known (`list[str]` → `str`).
    pub(crate) item: Option<Scalar>,
    /// Files in it are a model's output (`URLPath`: `get_path_url` gives their URL), not
    /// local files from a `run()` input.
    pub(crate) url: bool,
    /// The whole shape, when it comes from a model's output schema (fields of objects…).
    pub(crate) detail: Option<OutputShape>,
}

impl Value {
    /// A value of a plain type (a `run()` input).
    pub(crate) fn of_type(expr: Expr, ty: &PyType) -> Value {
        Value {
            expr,
            shape: ty.shape(),
            item: match ty {
                PyType::List(s) => Some(*s),
                _ => None,
            },
            url: false,
            detail: None,
        }
    }

    /// A part of a model's output, from its schema shape.
    pub(crate) fn of_shape(expr: Expr, shape: &OutputShape) -> Value {
        let ty = PyType::parse(&shape.python_type);
        let (s, item) = if shape.file {
            (Shape::Path, None)
        } else if let Some(items) = &shape.items {
            if items.file {
                (Shape::PathList, Some(Scalar::Path))
            } else {
                let item = match PyType::parse(&items.python_type) {
                    PyType::Scalar(s) => Some(s),
                    _ => None,
                };
                (Shape::List, item)
            }
        } else if !shape.fields.is_empty() {
            (Shape::Dict, None)
        } else if !shape.any_of.is_empty() {
            (Shape::Opaque, None)
        } else {
            (ty.shape(), None)
        };
        Value {
            expr,
            shape: s,
            item,
            url: true,
            detail: Some(shape.clone()),
        }
    }

    /// The value's type as the agent reads it: `list[Path]`, `dict{video: Path, …}`.
    pub(crate) fn describe(&self) -> String {
        if let Some(d) = &self.detail {
            return d.compact();
        }
        match (self.shape, self.item) {
            (Shape::List, Some(s)) => format!("list[{}]", s.as_str()),
            (s, _) => s.name().to_string(),
        }
    }
}

impl Shape {
    /// The shape's Python name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Shape::Str => "str",
            Shape::Int => "int",
            Shape::Float => "float",
            Shape::Bool => "bool",
            Shape::Path => "Path",
            Shape::PathList => "list[Path]",
            Shape::List => "list",
            Shape::Dict => "dict",
            Shape::Secret => "Secret",
            Shape::Opaque => "value",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_types() {
        assert_eq!(PyType::parse("list[Path]"), PyType::List(Scalar::Path));
        assert_eq!(PyType::parse("cog.Path"), PyType::Scalar(Scalar::Path));
        assert_eq!(PyType::parse("dict"), PyType::Other("dict".into()));
        let p = ParamType::parse("int | None");
        assert!(p.optional);
        assert_eq!(p.ty, PyType::Scalar(Scalar::Int));
        assert!(ParamType::parse("Optional[str]").optional);
        assert!(ParamType::parse("None | str").optional);
        assert!(!ParamType::parse("str | int").optional);
        assert_eq!(
            ParamType::parse("list[str] | None").render(),
            "list[str] | None"
        );
    }
}
