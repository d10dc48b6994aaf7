//! What `run()` returns: the last step's output (or, for `Output`, each step's output or
//! the fields the request names) fitted to the return type through the coercion table. What
//! cannot be fitted without a decision becomes a `TODO(...)` placeholder listing the choices.

use super::coerce::{self, Fit};
use super::emit::{Arg, Expr, Sym};
use super::error::ScaffoldError;
use super::plan::{Binding, Pipeline};
use super::request::OutputChoice;
use super::source::Source;
use super::types::{PyType, Scalar, Shape, Value};

/// The end of `run()`.
#[derive(Debug)]
pub(crate) struct Return {
    /// The return annotation (`Output` when a `class Output` is returned).
    pub(crate) annotation: PyType,
    /// The returned expression.
    pub(crate) expr: Expr,
    /// Fields of `class Output(BaseModel)`, when returned: (name, type).
    pub(crate) output_fields: Vec<(String, PyType)>,
}

/// The return type when `output` is omitted: follows the last step's output.
fn inferred(last: Option<&Value>) -> PyType {
    let Some(v) = last else {
        return PyType::Scalar(Scalar::Str);
    };
    match (v.shape, v.item) {
        (Shape::Path, _) => PyType::Scalar(Scalar::Path),
        (Shape::PathList, _) => PyType::List(Scalar::Path),
        (Shape::Int, _) => PyType::Scalar(Scalar::Int),
        (Shape::Float, _) => PyType::Scalar(Scalar::Float),
        (Shape::Bool, _) => PyType::Scalar(Scalar::Bool),
        (Shape::List, Some(s @ (Scalar::Str | Scalar::Int | Scalar::Float | Scalar::Bool))) => {
            PyType::List(s)
        }
        (Shape::Dict, _) if v.detail.as_ref().is_some_and(|d| d.has_files()) => {
            PyType::Scalar(Scalar::Path)
        }
        _ => PyType::Scalar(Scalar::Str),
    }
}

/// Plans the return of `run()`.
pub(crate) fn plan_return(
    p: &mut Pipeline<'_>,
    choice: Option<OutputChoice>,
) -> Result<Return, ScaffoldError> {
    if !p.output_fields.is_empty() || choice == Some(OutputChoice::Output) {
        return output_class(p);
    }
    let last = p.calls.last().map(|c| p.call_value(c));
    let source = last.clone().or_else(|| {
        p.params
            .iter()
            .find(|param| param.ty.ty.shape() != Shape::Secret && !param.ty.optional)
            .map(|param| param.value())
    });
    let target = match choice {
        Some(OutputChoice::Str) => PyType::Scalar(Scalar::Str),
        Some(OutputChoice::Path) => PyType::Scalar(Scalar::Path),
        Some(OutputChoice::PathList) => PyType::List(Scalar::Path),
        _ => inferred(last.as_ref()),
    };
    let expr = match source {
        None => p.todo(format!("compute the {} run() returns", target.render())),
        Some(value) => returned(p, &value, &target, "run() returns"),
    };
    Ok(Return {
        annotation: target,
        expr,
        output_fields: Vec::new(),
    })
}

/// `return Output(field=…, …)`.
fn output_class(p: &mut Pipeline<'_>) -> Result<Return, ScaffoldError> {
    let mut args = Vec::new();
    let mut output_fields = Vec::new();
    for (name, ty, expr) in output_values(p)? {
        output_fields.push((name.clone(), ty));
        args.push(Arg::Kw(name, expr));
    }
    Ok(Return {
        annotation: PyType::Other(Sym::Output.name().to_string()),
        expr: Expr::call(Expr::Sym(Sym::Output), args),
        output_fields,
    })
}

/// `value` as the `target` a cog output holds; a placeholder when it takes a decision.
fn returned(p: &mut Pipeline<'_>, value: &Value, target: &PyType, what: &str) -> Expr {
    let wrap = |e: Expr| match target {
        PyType::Scalar(Scalar::Path) => e.path(),
        _ => e,
    };
    if *target == PyType::List(Scalar::Path) {
        match value.shape {
            Shape::PathList => {
                let each = Expr::name("file").path();
                return value.expr.clone().each("file", each, true);
            }
            Shape::Path => return Expr::List(vec![value.expr.clone().path()]),
            _ => {}
        }
    }
    let described = format!(
        "choose what {what} ({}) from {} ({})",
        target.render(),
        value.expr,
        value.describe()
    );
    match coerce::fit(value, target) {
        Fit::Exact(e) => wrap(e),
        Fit::Obvious { expr, note } => {
            p.notes.push(format!("{what} {note}."));
            wrap(expr)
        }
        Fit::Choose(choices) => {
            let listed: Vec<String> = choices.iter().map(|(e, t)| format!("{e} ({t})")).collect();
            p.todo_about(format!("{described}: {}", listed.join(", ")), &value.expr)
        }
        Fit::No => p.todo_about(
            format!("{described}; it is not a {} as is", target.render()),
            &value.expr,
        ),
    }
}

/// Each `Output` field: (name, type, expression).
fn output_values(p: &mut Pipeline<'_>) -> Result<Vec<(String, PyType, Expr)>, ScaffoldError> {
    if !p.output_fields.is_empty() {
        let mut out = Vec::new();
        for (name, source) in p.output_fields.clone() {
            out.push(named_field(p, name, &source)?);
        }
        return Ok(out);
    }
    if p.calls.is_empty() {
        let todo =
            p.todo("compute Output.text (str), or name the fields with output_fields".into());
        return Ok(vec![("text".into(), PyType::Scalar(Scalar::Str), todo)]);
    }
    let mut out = Vec::new();
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for c in 0..p.calls.len() {
        let value = p.call_value(&p.calls[c]);
        let kind = content_name(&p.bindings[p.calls[c].binding], &value);
        let n = match counts.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                counts.push((kind, 1));
                1
            }
        };
        let name = if n == 1 {
            kind.to_string()
        } else {
            format!("{kind}_{n}")
        };
        let (ty, expr) = field(p, &name, &value);
        out.push((name, ty, expr));
    }
    Ok(out)
}

/// A field `output_fields` names: from its source, or computed by the agent's code.
fn named_field(
    p: &mut Pipeline<'_>,
    name: String,
    source: &Source,
) -> Result<(String, PyType, Expr), ScaffoldError> {
    let fail = |reason: String| ScaffoldError::InvalidOutputField {
        field: name.clone(),
        reason,
    };
    if let Source::Computed { ty, description } = source {
        let parsed = PyType::parse(ty);
        if !matches!(parsed, PyType::Scalar(s) if s != Scalar::Secret) {
            return Err(fail(format!(
                "type {ty:?}: an Output field is str, int, float, bool or Path (no lists, no \
                 nesting)"
            )));
        }
        let what = if description.trim().is_empty() {
            String::new()
        } else {
            format!(": {}", description.trim())
        };
        let todo = p.todo(format!("compute Output.{name} ({ty}){what}"));
        return Ok((name, parsed, todo));
    }
    let mut deps = Vec::new();
    let value = p.value_of(source, &mut deps).map_err(fail)?;
    let (ty, expr) = field(p, &name, &value);
    Ok((name, ty, expr))
}

/// An `Output` field for a value: (type, expression). No lists, no nested models.
fn field(p: &mut Pipeline<'_>, name: &str, value: &Value) -> (PyType, Expr) {
    let what = format!("Output.{name} gets");
    let scalar = |s: Scalar| PyType::Scalar(s);
    let ty = match (value.shape, value.item) {
        (Shape::Str, _) => scalar(Scalar::Str),
        (Shape::Int, _) => scalar(Scalar::Int),
        (Shape::Float, _) => scalar(Scalar::Float),
        (Shape::Bool, _) => scalar(Scalar::Bool),
        (Shape::Path | Shape::PathList, _) => scalar(Scalar::Path),
        (Shape::List, Some(s)) if s != Scalar::Secret => scalar(s),
        (Shape::Dict, _) => {
            // The field's type is what the object holds: its files, else its text.
            let has_files = value.detail.as_ref().is_some_and(|d| d.has_files());
            scalar(if has_files { Scalar::Path } else { Scalar::Str })
        }
        _ => scalar(Scalar::Str),
    };
    if value.shape == Shape::List {
        let todo = p.todo_about(
            format!(
                "choose what Output.{name} ({}) gets from {} ({}): {}[0], or combine the items",
                ty.render(),
                value.expr,
                value.describe(),
                value.expr
            ),
            &value.expr,
        );
        return (ty, todo);
    }
    let expr = returned(p, value, &ty, &what);
    (ty, expr)
}

/// An `Output` field's name from what it holds (`image`, `text`, `audio`, `video`,
/// `file`, …), never from the model.
fn content_name(b: &Binding<'_>, value: &Value) -> &'static str {
    match value.shape {
        Shape::Path | Shape::PathList => media_kind(b),
        Shape::Dict => "result",
        Shape::List => "items",
        Shape::Int | Shape::Float | Shape::Bool => "value",
        _ => "text",
    }
}

/// What kind of file a model makes, from its name and its output-format choices.
pub(crate) fn media_kind(b: &Binding<'_>) -> &'static str {
    let mut words = vec![b.reference.to_ascii_lowercase()];
    for input in b.schema.inputs.iter().filter(|i| i.name.contains("format")) {
        for c in input.choices.iter().flatten() {
            if let Some(s) = c.as_str() {
                words.push(s.to_ascii_lowercase());
            }
        }
    }
    kind_of_words(&words.join(" "))
}

/// `video`, `audio`, `image` or `file` from words that mention a media type.
pub(crate) fn kind_of_words(text: &str) -> &'static str {
    let has = |keys: &[&str]| keys.iter().any(|k| text.contains(k));
    // Not "clip": CLIP is the image model in many image models' names (kvfrans/clipdraw,
    // clip-interrogator) and inputs (`clip_skip`).
    if has(&["video", "mp4", "webm", "movie"]) {
        "video"
    } else if has(&[
        "audio", "speech", "voice", "sound", "music", "wav", "mp3", "flac", "tts",
    ]) {
        "audio"
    } else if has(&[
        "image",
        "img",
        "png",
        "jpg",
        "jpeg",
        "webp",
        "photo",
        "picture",
        "pixel",
        "flux",
        "sdxl",
        "diffusion",
        "upscale",
    ]) {
        "image"
    } else {
        "file"
    }
}
