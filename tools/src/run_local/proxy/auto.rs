//! `"auto"` mocks: the model's own example output (`default_example`) when it fits the
//! output's shape, else one synthesised from it — text chunks for LLMs, media files for
//! file parts, objects with every field filled by type. Files follow what the call asks
//! for: as many as `num_outputs`, in the format its format inputs name (`output_format`,
//! `format`, an `mp4`/`gif` switch, an enum of extensions), else the example's. Made from
//! the cached schema ([`OutputSpec`] and [`InputParam`]s), not the raw OpenAPI document.

use serde_json::{Map, Value, json};

use super::media::Media;
use crate::schema::{
    InputParam, InputType, ModelExample, OutputKind, OutputShape, OutputSpec, Scalar,
};

/// Makes a file and returns its URL (the proxy stores and serves it).
pub(crate) type MakeFile<'a> = dyn FnMut(Media) -> String + 'a;

/// Inputs that say how many files an image model makes.
const COUNT_INPUTS: &[&str] = &[
    "num_outputs",
    "num_images",
    "num_samples",
    "number_of_images",
];
/// The most files an auto mock makes for one call.
const MAX_FILES: u64 = 16;

/// What an auto mock is made from.
pub(crate) struct AutoCall<'a> {
    pub(crate) model: &'a str,
    /// The model's output (kind and whole shape).
    pub(crate) output: &'a OutputSpec,
    /// The model's inputs (defaults and choices).
    pub(crate) inputs: &'a [InputParam],
    /// The call's inputs.
    pub(crate) input: &'a Value,
    /// The model's example, when the schema cache has one.
    pub(crate) example: Option<&'a ModelExample>,
}

/// An output for the call, shaped like the model's output.
pub(crate) fn synthesise(call: &AutoCall<'_>, make_file: &mut MakeFile<'_>) -> Value {
    let inputs = Inputs::of(call.input, call.inputs);
    let example_media = call
        .example
        .and_then(|e| first_url(&e.output))
        .and_then(Media::of_url);
    let any = OutputShape::any();
    let shape = call.output.shape.as_ref().unwrap_or(&any);
    let mut ctx = Ctx {
        model: call.model,
        make_file,
        depth: 0,
        format: inputs.format().or(example_media),
        count: inputs.count(),
        excluded: inputs.excluded(),
    };
    if call.output.kind == OutputKind::ConcatenatedString {
        return ctx.chunks();
    }
    if let Some(example) = call.example.filter(|e| !e.cut)
        && fits(&example.output, shape, 0)
    {
        return ctx.example_with_files(&example.output, call.model);
    }
    ctx.value(shape, call.model)
}

/// The call's inputs over the schema's defaults, with each input's choices.
struct Inputs {
    values: Map<String, Value>,
    /// Input name → its enum choices.
    choices: Map<String, Value>,
}

impl Inputs {
    fn of(input: &Value, params: &[InputParam]) -> Inputs {
        let mut values = Map::new();
        let mut choices = Map::new();
        for param in params {
            if let Some(default) = &param.default {
                values.insert(param.name.clone(), default.clone());
            }
            if let Some(c) = &param.choices {
                choices.insert(param.name.clone(), Value::Array(c.clone()));
            }
        }
        for (k, v) in input.as_object().into_iter().flatten() {
            values.insert(k.clone(), v.clone());
        }
        Inputs { values, choices }
    }

    /// The file format the call asks for: a `*format*` input, a true `mp4`-like switch, or
    /// an input whose choices are all file extensions.
    fn format(&self) -> Option<Media> {
        let named = |name: &str| {
            self.values
                .get(name)
                .and_then(Value::as_str)
                .and_then(Media::from_extension)
        };
        if let Some(m) = named("output_format").or_else(|| named("format")) {
            return Some(m);
        }
        for (name, value) in &self.values {
            if name.contains("format")
                && let Some(m) = value.as_str().and_then(Media::from_extension)
            {
                return Some(m);
            }
        }
        for (name, value) in &self.values {
            if value == &Value::Bool(true)
                && let Some(m) = Media::from_extension(name)
            {
                return Some(m);
            }
        }
        for (name, value) in &self.values {
            let all_extensions = self
                .choices
                .get(name)
                .and_then(Value::as_array)
                .is_some_and(|c| {
                    c.len() >= 2
                        && c.iter()
                            .all(|v| v.as_str().and_then(Media::from_extension).is_some())
                });
            if all_extensions && let Some(m) = value.as_str().and_then(Media::from_extension) {
                return Some(m);
            }
        }
        None
    }

    /// Formats switched off (`mp4: false`).
    fn excluded(&self) -> Vec<Media> {
        self.values
            .iter()
            .filter(|(_, v)| **v == Value::Bool(false))
            .filter_map(|(name, _)| Media::from_extension(name))
            .collect()
    }

    /// How many files the call asks for.
    fn count(&self) -> Option<usize> {
        COUNT_INPUTS
            .iter()
            .find_map(|name| self.values.get(*name).and_then(Value::as_u64))
            .map(|n| usize::try_from(n.clamp(1, MAX_FILES)).unwrap_or(1))
    }
}

fn first_url(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) if is_url(s) => Some(s),
        Value::Array(items) => items.iter().find_map(first_url),
        Value::Object(map) => map.values().find_map(first_url),
        _ => None,
    }
}

fn is_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

struct Ctx<'a, 'b> {
    model: &'a str,
    make_file: &'a mut MakeFile<'b>,
    depth: usize,
    /// The format the call (or the example) asks for.
    format: Option<Media>,
    /// How many files the call asks for.
    count: Option<usize>,
    /// Formats the call switched off.
    excluded: Vec<Media>,
}

/// The type of a shape's plain value (`str`, `int | None`, `Any`…).
fn leaf_type(shape: &OutputShape) -> InputType {
    InputType::parse(&shape.python_type)
}

/// Whether `value` is valid for `shape` (types, choices, required fields, items).
fn fits(value: &Value, shape: &OutputShape, depth: usize) -> bool {
    if depth > 12 {
        return false;
    }
    if shape.cut.is_some() {
        return true;
    }
    if !shape.any_of.is_empty() {
        return (value.is_null() && leaf_type(shape).accepts_null())
            || shape.any_of.iter().any(|a| fits(value, a, depth + 1));
    }
    if !shape.choices.is_empty() && !shape.choices.contains(value) {
        return false;
    }
    let ty = leaf_type(shape);
    if value.is_null() {
        return ty.accepts_null() || ty == InputType::Any;
    }
    if shape.file {
        return value.is_string();
    }
    if let Some(items) = &shape.items {
        return value
            .as_array()
            .is_some_and(|a| a.iter().all(|v| fits(v, items, depth + 1)));
    }
    if !shape.fields.is_empty() || ty.non_null() == InputType::Dict {
        let Some(map) = value.as_object() else {
            return false;
        };
        return shape.fields.iter().all(|f| match map.get(&f.name) {
            Some(v) => fits(v, &f.shape, depth + 1),
            None => !f.required,
        });
    }
    match ty.non_null() {
        InputType::Scalar(Scalar::Str) => value.is_string(),
        InputType::Scalar(Scalar::Int) => value.is_i64() || value.is_u64(),
        InputType::Scalar(Scalar::Float) => value.is_number(),
        InputType::Scalar(Scalar::Bool) => value.is_boolean(),
        _ => true,
    }
}

impl Ctx<'_, '_> {
    /// A file of the asked-for format, else of the kind the hints suggest.
    fn file(&mut self, hints: &str, example_url: Option<&str>) -> Value {
        let guessed = Media::guess(hints);
        let mut media = self
            .format
            .or_else(|| example_url.and_then(Media::of_url))
            .unwrap_or(guessed);
        if self.excluded.contains(&media) {
            // `mp4: false`: the model's other video format.
            media = if media == Media::Mp4 {
                Media::Gif
            } else {
                guessed
            };
        }
        Value::String((self.make_file)(media))
    }

    /// Streamed text: the words of one sentence, each a chunk.
    fn chunks(&self) -> Value {
        let text = format!("Mock output of {}.", self.model);
        Value::Array(
            text.split_inclusive(' ')
                .map(|w| Value::String(w.to_owned()))
                .collect(),
        )
    }

    /// The example's output with each file URL replaced by a file served here; a list of
    /// files has as many as the call asks for.
    fn example_with_files(&mut self, example: &Value, hints: &str) -> Value {
        match example {
            Value::String(url) if is_url(url) => self.file(hints, Some(url)),
            Value::Array(items)
                if !items.is_empty() && items.iter().all(|i| i.as_str().is_some_and(is_url)) =>
            {
                let n = self.count.unwrap_or(items.len());
                (0..n)
                    .map(|i| {
                        let url = items[i.min(items.len() - 1)].as_str();
                        self.file(hints, url)
                    })
                    .collect()
            }
            Value::Array(items) => items
                .iter()
                .map(|v| self.example_with_files(v, hints))
                .collect(),
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        self.example_with_files(v, &format!("{hints} {k}")),
                    )
                })
                .collect::<Map<String, Value>>()
                .into(),
            other => other.clone(),
        }
    }

    fn value(&mut self, shape: &OutputShape, hints: &str) -> Value {
        self.depth += 1;
        let value = self.value_inner(shape, hints);
        self.depth -= 1;
        value
    }

    fn value_inner(&mut self, shape: &OutputShape, hints: &str) -> Value {
        if self.depth > 10 {
            return Value::Null;
        }
        if let Some(first) = shape.choices.first() {
            return first.clone();
        }
        if let Some(first) = shape.any_of.first() {
            return self.value_inner(first, hints);
        }
        if shape.file {
            return self.file(hints, None);
        }
        if let Some(items) = &shape.items {
            if !items.file && leaf_type(items) == InputType::Scalar(Scalar::Str) {
                return words(hints);
            }
            let n = if items.file && self.depth == 1 {
                self.count.unwrap_or(1)
            } else {
                1
            };
            return (0..n).map(|_| self.value(items, hints)).collect();
        }
        if !shape.fields.is_empty() {
            let mut out = Map::new();
            for field in &shape.fields {
                let hint = format!("{hints} {}", field.name);
                out.insert(field.name.clone(), self.value(&field.shape, &hint));
            }
            return Value::Object(out);
        }
        match leaf_type(shape).non_null() {
            InputType::Scalar(Scalar::Int) => json!(1),
            InputType::Scalar(Scalar::Float) => json!(0.5),
            InputType::Scalar(Scalar::Bool) => Value::Bool(true),
            InputType::Dict => Value::Object(Map::new()),
            _ => Value::String(format!("mock output of {}", self.model)),
        }
    }
}

/// A list of strings that is not streamed text (e.g. an `objects: list[str]` field): clean
/// words, no spaces — `mock` and the field's name (`output` at the top level).
fn words(hints: &str) -> Value {
    let field = hints
        .rsplit(' ')
        .next()
        .filter(|w| !w.contains('/') && !w.is_empty())
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| "output".to_owned());
    json!(["mock", field])
}

#[cfg(test)]
#[path = "auto_tests.rs"]
mod tests;
