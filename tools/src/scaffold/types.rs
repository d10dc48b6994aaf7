//! The Python types the scaffolder handles, and the shapes of values flowing through `run()`.

use super::emit::Expr;
use crate::schema::{InputType, OutputKind, OutputShape, OutputSpec};

/// A scalar type `run()` can take or a model can accept.
pub(crate) use crate::schema::Scalar;

/// A type: a scalar, a list of scalars, or something the scaffolder does not model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PyType {
    Scalar(Scalar),
    List(Scalar),
    Other(String),
}

impl PyType {
    /// Parses `str`, `list[Path]`, `List[int]`… (without `| None`), with the one parser.
    pub(crate) fn parse(text: &str) -> PyType {
        PyType::of(&InputType::parse(text))
    }

    /// The scaffolder's view of a type: a scalar, a list of scalars, else its annotation.
    pub(crate) fn of(ty: &InputType) -> PyType {
        match ty {
            InputType::Scalar(s) => PyType::Scalar(*s),
            InputType::List(Some(item)) => match **item {
                InputType::Scalar(s) => PyType::List(s),
                _ => PyType::Other(ty.to_string()),
            },
            other => PyType::Other(other.to_string()),
        }
    }

    /// The type it is a view of.
    pub(crate) fn input_type(&self) -> InputType {
        match self {
            PyType::Scalar(s) => InputType::Scalar(*s),
            PyType::List(s) => InputType::List(Some(Box::new(InputType::Scalar(*s)))),
            PyType::Other(t) => InputType::parse(t),
        }
    }

    /// The annotation as the generated code writes it (rendered by [`InputType`]).
    pub(crate) fn render(&self) -> String {
        self.input_type().to_string()
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
    /// Parses `T`, `T | None`, `None | T`, `Optional[T]`, with the one parser.
    pub(crate) fn parse(text: &str) -> ParamType {
        ParamType::of(&InputType::parse(text))
    }

    /// The scaffolder's view of a type: optional when it is `T | None` for one `T`.
    pub(crate) fn of(ty: &InputType) -> ParamType {
        let inner = ty.non_null();
        let optional = ty.accepts_null() && !matches!(inner, InputType::Union(_) | InputType::None);
        ParamType {
            ty: PyType::of(if optional { &inner } else { ty }),
            optional,
        }
    }

    /// The annotation as written in `run()` (rendered by [`InputType`]).
    pub(crate) fn render(&self) -> String {
        let ty = self.ty.input_type();
        if self.optional {
            InputType::Union(vec![ty, InputType::None]).to_string()
        } else {
            ty.to_string()
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
