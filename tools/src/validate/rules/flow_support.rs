//! Shared by the data-flow rules (PY020–PY025): each followed value resolved against the
//! fetched schema of its model, as `replicate.use()` returns it.

use crate::schema::ModelRef;
use crate::schema::OutputKind;
use crate::validate::edit;
use crate::validate::python::PythonFile;
use crate::validate::python::flow::{Event, Flow, FlowModel, FollowedValue, State, Step};
use crate::validate::python::{Span, TypeExpr};
use crate::validate::rule::Context;
use crate::validate::value_shape::ValueShape;

/// What a followed output value is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    /// One `str`: the chunks of a string iterator joined (no `streaming=True`).
    Concatenated,
    /// A value of this shape.
    Shape(ValueShape),
}

/// The predict file's flow facts and its events.
pub(crate) fn events<'a>(ctx: &Context<'a>) -> Option<(&'a PythonFile, &'a Flow)> {
    let py = ctx.python()?;
    Some((py, &py.model.flow))
}

/// `owner/name` of a followed model, when its reference is known.
pub(crate) fn model_name(model: &FlowModel) -> Option<&str> {
    model.reference.as_deref().map(ModelRef::model_of)
}

/// The value after its steps, when the model's schema decides it.
pub(crate) fn resolve(ctx: &Context<'_>, flow: &Flow, value: &FollowedValue) -> Option<Resolved> {
    if value.state != State::Output || value.pending {
        return None;
    }
    let model = flow.model(value)?;
    if model.streaming != Some(false) {
        return None;
    }
    let schema = ctx.schemas.get(model.reference.as_deref()?)?;
    let mut current = match schema.output.kind {
        OutputKind::ConcatenatedString => Resolved::Concatenated,
        _ if let Some(shape) = schema
            .output
            .shape
            .as_ref()
            .map(ValueShape::of)
            .filter(|s| !s.is_unknown()) =>
        {
            Resolved::Shape(shape)
        }
        OutputKind::Path => Resolved::Shape(ValueShape::Path),
        OutputKind::PathList => Resolved::Shape(ValueShape::List {
            items: Box::new(ValueShape::Path),
        }),
        OutputKind::Dict => Resolved::Shape(ValueShape::Object { fields: None }),
        OutputKind::List => Resolved::Shape(ValueShape::List {
            items: Box::new(ValueShape::Unknown),
        }),
        OutputKind::Value => return None,
    };
    for step in &value.path {
        let Resolved::Shape(shape) = &current else {
            return None;
        };
        let next = match (shape, step) {
            (ValueShape::Object { .. }, Step::Key(k)) => shape.field(k)?.clone(),
            (ValueShape::List { items }, Step::Index(_) | Step::Item) => (**items).clone(),
            (ValueShape::List { .. }, Step::Slice) => shape.clone(),
            _ => return None,
        };
        if next.is_unknown() {
            return None;
        }
        current = Resolved::Shape(next);
    }
    Some(current)
}

/// Whether an event happens in the predict function.
pub(crate) fn in_run(ctx: &Context<'_>, flow: &Flow, event: &Event) -> bool {
    let Some(f) = flow.function(event) else {
        return false;
    };
    let run = ctx.run_name();
    match &f.class {
        None => f.name == run,
        Some(class) => class == run && f.name == "predict",
    }
}

/// The run function's return type when it is one `Path` or `str`.
pub(crate) fn single_return(ctx: &Context<'_>) -> Option<&'static str> {
    match ctx.run_function()?.returns.as_ref()? {
        TypeExpr::Name { name, .. } => match name.as_str() {
            "cog.Path" | "Path" | "pathlib.Path" => Some("Path"),
            "str" => Some("str"),
            _ => None,
        },
        _ => None,
    }
}

/// How a shape reads in a message: `list[Path]`, `dict`, `str`.
pub(crate) fn type_name(shape: &ValueShape) -> String {
    match shape {
        ValueShape::Unknown => "value".into(),
        ValueShape::Path => "Path".into(),
        ValueShape::Str => "str".into(),
        ValueShape::Value => "value".into(),
        ValueShape::List { items } => format!("list[{}]", type_name(items)),
        ValueShape::Object { .. } => "dict".into(),
    }
}

/// A diff inserting `text` at byte `offset` of the file.
pub(crate) fn insert_edit(py: &PythonFile, offset: u32, text: &str) -> Option<String> {
    let new = edit::insert_at(&py.source, offset as usize, text);
    edit::unified(&py.path, &py.source, &new)
}

/// A diff replacing `span` of the file with `text`.
pub(crate) fn replace_edit(py: &PythonFile, span: Span, text: &str) -> Option<String> {
    let (start, end) = (span.start as usize, span.end as usize);
    if start > end || !py.source.is_char_boundary(start) || !py.source.is_char_boundary(end) {
        return None;
    }
    let head = py.source.get(..start)?;
    let tail = py.source.get(end..)?;
    let new = format!("{head}{text}{tail}");
    edit::unified(&py.path, &py.source, &new)
}
