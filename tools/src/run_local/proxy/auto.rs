//! `"auto"` mocks: the model's own example output (`default_example`) when it fits the
//! `Output` schema, else one synthesised from it — text chunks for LLMs, media files for
//! `format: uri`, objects with every field filled by type. Files follow what the call asks
//! for: as many as `num_outputs`, in the format its format inputs name (`output_format`,
//! `format`, an `mp4`/`gif` switch, an enum of extensions), else the example's.

use serde_json::{Map, Value, json};

use super::media::Media;
use crate::schema::ModelExample;

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
    /// The model's whole OpenAPI document.
    pub(crate) openapi: &'a Value,
    /// The call's inputs.
    pub(crate) input: &'a Value,
    /// The model's example, when the schema cache has one.
    pub(crate) example: Option<&'a ModelExample>,
}

/// An output for the call, shaped like the model's `Output` schema.
pub(crate) fn synthesise(call: &AutoCall<'_>, make_file: &mut MakeFile<'_>) -> Value {
    let openapi = call.openapi;
    let components = openapi
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Null);
    let output = openapi
        .pointer("/components/schemas/Output")
        .cloned()
        .unwrap_or(Value::Null);
    let title = openapi
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or("");
    let inputs = Inputs::of(call.input, openapi);
    let example_media = call
        .example
        .and_then(|e| first_url(&e.output))
        .and_then(Media::of_url);
    let mut ctx = Ctx {
        model: call.model,
        components: &components,
        make_file,
        depth: 0,
        format: inputs.format().or(example_media),
        count: inputs.count(),
        excluded: inputs.excluded(),
    };
    if let Some(example) = call.example.filter(|e| !e.cut)
        && ctx.fits(&example.output, &output, 0)
    {
        return ctx.example_with_files(&example.output, &format!("{} {title}", call.model));
    }
    ctx.value(&output, &format!("{} {title}", call.model))
}

/// The call's inputs over the schema's defaults, with each input's schema.
struct Inputs {
    values: Map<String, Value>,
    /// Input name → its enum choices (through `allOf`/`$ref`).
    choices: Map<String, Value>,
}

impl Inputs {
    fn of(input: &Value, openapi: &Value) -> Inputs {
        let mut values = Map::new();
        let mut choices = Map::new();
        let props = openapi
            .pointer("/components/schemas/Input/properties")
            .and_then(Value::as_object);
        for (name, prop) in props.into_iter().flatten() {
            if let Some(default) = prop.get("default") {
                values.insert(name.clone(), default.clone());
            }
            let refs = prop
                .get("allOf")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(std::iter::once(prop));
            for part in refs {
                let target = part
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix('#'))
                    .and_then(|r| openapi.pointer(r))
                    .unwrap_or(part);
                if let Some(e) = target.get("enum") {
                    choices.insert(name.clone(), e.clone());
                }
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
    components: &'a Value,
    make_file: &'a mut MakeFile<'b>,
    depth: usize,
    /// The format the call (or the example) asks for.
    format: Option<Media>,
    /// How many files the call asks for.
    count: Option<usize>,
    /// Formats the call switched off.
    excluded: Vec<Media>,
}

impl Ctx<'_, '_> {
    /// Follows `$ref` and `allOf` (merging their keys).
    fn resolve(&self, schema: &Value) -> Value {
        let mut merged = Map::new();
        self.merge_into(schema, &mut merged, 0);
        Value::Object(merged)
    }

    fn merge_into(&self, schema: &Value, into: &mut Map<String, Value>, depth: usize) {
        if depth > 8 {
            return;
        }
        if let Some(name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            && let Some(target) = self.components.get(name)
        {
            self.merge_into(target, into, depth + 1);
        }
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.merge_into(part, into, depth + 1);
        }
        if let Some(map) = schema.as_object() {
            for (k, v) in map {
                if k != "$ref" && k != "allOf" {
                    into.insert(k.clone(), v.clone());
                }
            }
        }
    }

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

    /// Whether `value` is valid for `schema` (types, enums, required fields, items).
    fn fits(&self, value: &Value, schema: &Value, depth: usize) -> bool {
        if depth > 12 {
            return false;
        }
        let schema = self.resolve(schema);
        if let Some(any) = schema.get("anyOf").or_else(|| schema.get("oneOf")) {
            return any
                .as_array()
                .is_some_and(|alts| alts.iter().any(|a| self.fits(value, a, depth + 1)));
        }
        if let Some(choices) = schema.get("enum").and_then(Value::as_array)
            && !choices.contains(value)
        {
            return false;
        }
        if value.is_null() {
            return schema.get("nullable") == Some(&Value::Bool(true))
                || schema.get("type").is_none();
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("string") => value.is_string(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("number") => value.is_number(),
            Some("boolean") => value.is_boolean(),
            Some("array") => {
                let items = schema.get("items").cloned().unwrap_or(Value::Null);
                value
                    .as_array()
                    .is_some_and(|a| a.iter().all(|v| self.fits(v, &items, depth + 1)))
            }
            Some("object") => {
                let Some(map) = value.as_object() else {
                    return false;
                };
                let required_present = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .all(|r| map.contains_key(r));
                let props = schema.get("properties").and_then(Value::as_object);
                required_present
                    && map.iter().all(|(k, v)| {
                        props
                            .and_then(|p| p.get(k))
                            .is_none_or(|p| self.fits(v, p, depth + 1))
                    })
            }
            _ => true,
        }
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

    fn value(&mut self, schema: &Value, hints: &str) -> Value {
        self.depth += 1;
        let value = self.value_inner(schema, hints);
        self.depth -= 1;
        value
    }

    fn value_inner(&mut self, schema: &Value, hints: &str) -> Value {
        let schema = self.resolve(schema);
        if self.depth > 10 {
            return Value::Null;
        }
        if let Some(first) = schema
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return first.clone();
        }
        let ty = schema.get("type").and_then(Value::as_str).unwrap_or("");
        let described = format!(
            "{hints} {} {}",
            schema.get("title").and_then(Value::as_str).unwrap_or(""),
            schema
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
        );
        match ty {
            "string" if schema.get("format").and_then(Value::as_str) == Some("uri") => {
                self.file(&described, None)
            }
            "string" => Value::String(format!("mock output of {}", self.model)),
            "integer" => json!(schema.get("minimum").and_then(Value::as_i64).unwrap_or(1)),
            "number" => json!(schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.5)),
            "boolean" => Value::Bool(true),
            "array" => {
                let items = schema.get("items").cloned().unwrap_or(Value::Null);
                let concatenate = schema.get("x-cog-array-display").and_then(Value::as_str)
                    == Some("concatenate");
                let items_resolved = self.resolve(&items);
                if concatenate
                    || items_resolved.get("type").and_then(Value::as_str) == Some("string")
                        && items_resolved.get("format").is_none()
                {
                    let text = format!("Mock output of {}.", self.model);
                    return Value::Array(
                        text.split_inclusive(' ')
                            .map(|w| Value::String(w.to_owned()))
                            .collect(),
                    );
                }
                let files = items_resolved.get("format").and_then(Value::as_str) == Some("uri");
                let n = if files && self.depth == 1 {
                    self.count.unwrap_or(1)
                } else {
                    1
                };
                (0..n).map(|_| self.value(&items, &described)).collect()
            }
            "object" => {
                let mut out = Map::new();
                if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                    for (name, prop) in props {
                        let hint = format!("{described} {name}");
                        out.insert(name.clone(), self.value(prop, &hint));
                    }
                }
                Value::Object(out)
            }
            _ => Value::String(format!("mock output of {}", self.model)),
        }
    }
}

#[cfg(test)]
#[path = "auto_tests.rs"]
mod tests;
