//! What `run()` returns, converted from the last model's output (or, for `Output`, from
//! every model's output) as the spec's output rules allow.

use std::collections::BTreeSet;

use super::plan::{Binding, Pipeline};
use super::python;
use super::request::OutputChoice;
use super::types::{Scalar, Shape, Value};

/// Names the generated module must import.
#[derive(Debug, Default)]
pub(crate) struct Imports {
    /// Names from `cog`.
    pub(crate) cog: BTreeSet<&'static str>,
    pub(crate) json: bool,
    pub(crate) get_path_url: bool,
}

/// The end of `run()`.
#[derive(Debug, Default)]
pub(crate) struct Return {
    /// The return annotation.
    pub(crate) annotation: String,
    /// Statements before the `return`.
    pub(crate) stmts: Vec<String>,
    /// The returned expression.
    pub(crate) expr: String,
    /// Fields of `class Output(BaseModel)`, when returned: (name, type).
    pub(crate) output_fields: Vec<(String, String)>,
}

/// The return type when `output` is omitted: follows the last model's output.
fn inferred(last: Option<&Value>) -> Target {
    match last.map(|v| (v.shape, v.item)) {
        Some((Shape::Path, _)) => Target::Path,
        Some((Shape::PathList, _)) => Target::PathList,
        Some((Shape::Int, _)) => Target::Scalar(Scalar::Int),
        Some((Shape::Float, _)) => Target::Scalar(Scalar::Float),
        Some((Shape::Bool, _)) => Target::Scalar(Scalar::Bool),
        Some((
            Shape::List,
            Some(s @ (Scalar::Str | Scalar::Int | Scalar::Float | Scalar::Bool)),
        )) => Target::List(s),
        _ => Target::Scalar(Scalar::Str),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Scalar(Scalar),
    Path,
    PathList,
    List(Scalar),
    Output,
}

/// Plans the return of `run()`.
pub(crate) fn plan_return(
    p: &mut Pipeline<'_>,
    choice: Option<OutputChoice>,
    imports: &mut Imports,
) -> Return {
    let last = p.calls.last().map(|c| p.call_value(c));
    let source = last.clone().or_else(|| {
        p.params
            .iter()
            .find(|param| param.ty.ty.shape() != Shape::Secret && !param.ty.optional)
            .map(|param| param.value())
    });
    let target = match choice {
        Some(OutputChoice::Str) => Target::Scalar(Scalar::Str),
        Some(OutputChoice::Path) => Target::Path,
        Some(OutputChoice::PathList) => Target::PathList,
        Some(OutputChoice::Output) => Target::Output,
        None => inferred(last.as_ref()),
    };
    let mut ret = Return::default();
    match target {
        Target::Output => {
            imports.cog.insert("BaseModel");
            ret.annotation = "Output".to_string();
            let values: Vec<(String, Value)> = if !p.output_fields.is_empty() {
                p.output_fields
                    .iter()
                    .map(|(name, call)| (name.clone(), p.call_value(&p.calls[*call])))
                    .collect()
            } else if p.calls.is_empty() {
                vec![("text".to_string(), text_or_default(source))]
            } else {
                let mut counts: Vec<(&'static str, usize)> = Vec::new();
                p.calls
                    .iter()
                    .map(|c| {
                        let value = p.call_value(c);
                        let kind = content_name(&p.bindings[c.binding], &value);
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
                        (name, value)
                    })
                    .collect()
            };
            let mut args = Vec::new();
            for (name, value) in values {
                let (ty, expr) = field(&value, imports);
                ret.output_fields.push((name.clone(), ty.to_string()));
                args.push(format!("{name}={expr}"));
            }
            ret.expr = call_expr("Output", &args);
        }
        Target::Scalar(s) => {
            let value = source.unwrap_or_else(default_text);
            ret.annotation = s.as_str().to_string();
            ret.expr = if value.shape == shape_of(s) {
                value.expr
            } else if s == Scalar::Str {
                to_str(&value, imports)
            } else {
                format!("{}({})", s.as_str(), value.expr)
            };
        }
        Target::List(s) => {
            ret.annotation = format!("list[{}]", s.as_str());
            ret.expr = source.map_or_else(|| "[]".to_string(), |v| v.expr);
        }
        Target::Path | Target::PathList => {
            imports.cog.insert("Path");
            let value = source.unwrap_or_else(default_text);
            let list = target == Target::PathList;
            ret.annotation = if list { "list[Path]" } else { "Path" }.to_string();
            let e = &value.expr;
            ret.expr = match (value.shape, list) {
                (Shape::Path, false) => format!("Path({e})"),
                (Shape::PathList, false) => format!("Path({e}[0])"),
                (Shape::Path, true) => format!("[Path({e})]"),
                (Shape::PathList, true) => format!("[Path(file) for file in {e}]"),
                _ => {
                    let var = p.namer.fresh(&["output_path".to_string()]);
                    let text = to_str(&value, imports);
                    ret.stmts.push(format!("{var} = Path(\"/tmp/output.txt\")"));
                    ret.stmts.push(format!("{var}.write_text({text})"));
                    if list { format!("[{var}]") } else { var }
                }
            };
        }
    }
    ret
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
    if has(&["video", "mp4", "webm", "movie", "clip"]) {
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

fn shape_of(s: Scalar) -> Shape {
    match s {
        Scalar::Str => Shape::Str,
        Scalar::Int => Shape::Int,
        Scalar::Float => Shape::Float,
        Scalar::Bool => Shape::Bool,
        Scalar::Path => Shape::Path,
        Scalar::Secret => Shape::Secret,
    }
}

fn default_text() -> Value {
    Value {
        expr: python::string("hello world"),
        shape: Shape::Str,
        item: None,
    }
}

fn text_or_default(source: Option<Value>) -> Value {
    source
        .filter(|v| v.shape == Shape::Str)
        .unwrap_or_else(default_text)
}

/// A value as a `str`: files as their URLs, lists one item per line, dicts as JSON.
fn to_str(value: &Value, imports: &mut Imports) -> String {
    let e = &value.expr;
    match value.shape {
        Shape::Str => e.clone(),
        Shape::Path => {
            imports.get_path_url = true;
            format!("get_path_url({e}) or str({e})")
        }
        Shape::PathList => {
            imports.get_path_url = true;
            format!("\"\\n\".join(get_path_url(file) or str(file) for file in {e})")
        }
        Shape::List => format!("\"\\n\".join(str(item) for item in {e})"),
        Shape::Dict => {
            imports.json = true;
            format!("json.dumps({e}, default=str)")
        }
        Shape::Secret => python::string(""),
        Shape::Int | Shape::Float | Shape::Bool | Shape::Opaque => format!("str({e})"),
    }
}

/// An `Output` field for a value: (type, expression). No lists, no nested models.
fn field(value: &Value, imports: &mut Imports) -> (&'static str, String) {
    let e = &value.expr;
    match value.shape {
        Shape::Int => ("int", e.clone()),
        Shape::Float => ("float", e.clone()),
        Shape::Bool => ("bool", e.clone()),
        Shape::Path => {
            imports.cog.insert("Path");
            ("Path", format!("Path({e})"))
        }
        Shape::PathList => {
            imports.cog.insert("Path");
            ("Path", format!("Path({e}[0])"))
        }
        _ => ("str", to_str(value, imports)),
    }
}

/// `name(a, b)` on one line when short, else one argument per line.
pub(crate) fn call_expr(callee: &str, args: &[String]) -> String {
    let one = format!("{callee}({})", args.join(", "));
    if one.len() <= 70 {
        one
    } else {
        let body: Vec<String> = args.iter().map(|a| format!("    {a},")).collect();
        format!("{callee}(\n{}\n)", body.join("\n"))
    }
}
