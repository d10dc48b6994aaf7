use super::flow_support::{Resolved, events, model_name, resolve};
use crate::schema::Scalar;
use crate::validate::python::flow::{Event, Flow, FollowedValue, Step, Use};
use crate::validate::python::{PythonFile, Span};
use crate::validate::rule::{Context, Finding, Findings, declare_rule};
use crate::validate::value_shape::{ValueField, ValueShape};

declare_rule! {
    /// ## What it does
    /// Flags a list holding files from a model — a `list[Path]` output passed whole, a list
    /// literal of model files, or a local list they were appended to — passed as an input of
    /// another model. Lists of URLs (`[get_path_url(f) for f in images]`) and lists of the
    /// pipeline's own `Path` inputs (uploaded by the client) are fine.
    ///
    /// ## Why is this bad?
    /// The spec says model files may be used directly as inputs, and one file may: the
    /// client sends a single `URLPath` as its URL. A list of them is sent as it is, and
    /// `URLPath` is not a `pathlib.Path`, so the call fails before it starts with
    /// `TypeError: Object of type URLPath is not JSON serializable` (replicate 1.1.0b2 and
    /// 1.1.0b3, checked with a real run).
    ///
    /// ## Example
    /// ```python
    /// images = flux(prompt=prompt, num_outputs=4)
    /// return video(images=images)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// images = flux(prompt=prompt, num_outputs=4)
    /// return video(images=[get_path_url(f) for f in images])
    /// ```
    pub(crate) static PY034 = {
        code: "PY034",
        name: "file-list-to-model",
        severity: Error,
        cites: ["replicate-python-library"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some((py, flow)) = events(ctx) else {
        return;
    };
    let mut reported: Vec<Span> = Vec::new();
    for event in &flow.events {
        let (callee, keyword, list) = match &event.kind {
            Use::ModelInput { callee, keyword } => {
                if urlpaths(ctx, flow, &event.value) != Some(Holds::List) {
                    continue;
                }
                // One file expected: PY022 says it (pass one item).
                if takes_one(ctx, flow, *callee, keyword) {
                    continue;
                }
                (*callee, keyword, event.span)
            }
            Use::ModelInputItem {
                callee,
                keyword,
                list,
            } => {
                if urlpaths(ctx, flow, &event.value).is_none() {
                    continue;
                }
                (*callee, keyword, *list)
            }
            _ => continue,
        };
        if reported.contains(&list) {
            continue;
        }
        reported.push(list);
        out.push(finding(ctx, py, flow, event, (callee, keyword), list));
    }
}

fn finding(
    ctx: &Context<'_>,
    py: &PythonFile,
    flow: &Flow,
    event: &Event,
    (callee, keyword): (usize, &str),
    list: Span,
) -> Finding {
    let text = py.text(list);
    let from = flow
        .model(&event.value)
        .and_then(model_name)
        .unwrap_or("a model");
    let to = flow
        .models
        .get(callee)
        .and_then(model_name)
        .unwrap_or("the model");
    let simple = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '"' | '\''));
    let fix = if simple {
        format!(
            "Pass `[get_path_url(f) for f in {text}]` (`from replicate import get_path_url`): a list of URLs"
        )
    } else {
        "Pass the files' URLs: wrap each model file in `get_path_url(…)` (`from replicate import get_path_url`)".to_owned()
    };
    Finding::new(
        ctx.py_at(list),
        format!(
            "`{}` holds files from `{from}` (URLPath objects), passed as input `{keyword}` of `{to}`: replicate-python sends one URLPath as its URL but not a list of them (TypeError: Object of type URLPath is not JSON serializable)",
            short(text)
        ),
        fix,
    )
}

/// Whether the callee's input takes one file or string (a case for PY022).
fn takes_one(ctx: &Context<'_>, flow: &Flow, callee: usize, keyword: &str) -> bool {
    flow.models
        .get(callee)
        .and_then(|m| m.reference.as_deref())
        .and_then(|r| ctx.schemas.get(r))
        .and_then(|s| s.inputs.iter().find(|i| i.name == keyword))
        .is_some_and(|i| i.python_type.is(Scalar::Path) || i.python_type.is(Scalar::Str))
}

/// What a value holds of the `URLPath` objects replicate-python makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    /// One `URLPath`.
    One,
    /// A list of them.
    List,
}

/// Whether `value` is a `URLPath` or a list of them, as replicate-python returns them:
/// it makes `URLPath`s only of a file output, the items of a file-list output, and the
/// fields (or field lists) of an object output; deeper files stay URL strings.
fn urlpaths(ctx: &Context<'_>, flow: &Flow, value: &FollowedValue) -> Option<Holds> {
    let whole = FollowedValue {
        path: Vec::new(),
        ..value.clone()
    };
    let Resolved::Shape(top) = resolve(ctx, flow, &whole)? else {
        return None;
    };
    let mut current = library(&top);
    for step in &value.path {
        current = match (&current, step) {
            (ValueShape::Object { .. }, Step::Key(k)) => current.field(k)?.clone(),
            (ValueShape::List { items }, Step::Index(_) | Step::Item) => (**items).clone(),
            (ValueShape::List { .. }, Step::Slice) => current,
            _ => return None,
        };
    }
    match current {
        ValueShape::Path => Some(Holds::One),
        ValueShape::List { items } if *items == ValueShape::Path => Some(Holds::List),
        _ => None,
    }
}

/// The output shape with `Path` only where replicate-python makes `URLPath`s.
fn library(top: &ValueShape) -> ValueShape {
    let one_level = |shape: &ValueShape| match shape {
        ValueShape::Path => ValueShape::Path,
        ValueShape::List { items } if **items == ValueShape::Path => shape.clone(),
        other => plain(other),
    };
    match top {
        ValueShape::Object {
            fields: Some(fields),
        } => object_of(fields, one_level),
        other => one_level(other),
    }
}

/// The shape with every file a URL string.
fn plain(shape: &ValueShape) -> ValueShape {
    match shape {
        ValueShape::Path => ValueShape::Str,
        ValueShape::List { items } => ValueShape::List {
            items: Box::new(plain(items)),
        },
        ValueShape::Object {
            fields: Some(fields),
        } => object_of(fields, plain),
        other => other.clone(),
    }
}

/// An object whose fields' shapes are mapped by `shape`.
fn object_of(fields: &[ValueField], shape: impl Fn(&ValueShape) -> ValueShape) -> ValueShape {
    ValueShape::Object {
        fields: Some(
            fields
                .iter()
                .map(|f| ValueField {
                    name: f.name.clone(),
                    shape: shape(&f.shape),
                })
                .collect(),
        ),
    }
}

/// `text` on one line, at most 60 characters.
fn short(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= 60 {
        return one_line;
    }
    let head: String = one_line.chars().take(57).collect();
    format!("{head}…")
}
