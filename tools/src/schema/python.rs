//! Rendering to Python: literals, identifiers, the signature and the `hint`.

use serde_json::Value;

use super::types::{InputParam, OutputSpec};

/// Lines longer than this are split one parameter per line (as the spec's examples are).
const MAX_LINE: usize = 88;

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// A JSON value as a Python literal: `"text"`, `1`, `0.5`, `True`, `None`, `[...]`, `{...}`.
pub fn literal(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let mut out = String::with_capacity(s.len() + 2);
            out.push('"');
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '"' => out.push_str("\\\""),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(literal).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", literal(&Value::String(k.clone())), literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A Python identifier from a model name: other characters become `_`; a leading digit
/// or a keyword gets an `_` added.
pub fn identifier(name: &str) -> String {
    let mut id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if id.is_empty() || id.starts_with(|c: char| c.is_ascii_digit()) {
        id.insert(0, '_');
    }
    if KEYWORDS.contains(&id.as_str()) {
        id.push('_');
    }
    id
}

/// One parameter: `name: T`, `name: T = default`, or `name: T | None = None`.
fn parameter(input: &InputParam) -> String {
    let name = identifier(&input.name);
    match &input.default {
        Some(Value::Null) | None if !input.required => {
            if input.python_type.accepts_null() {
                format!("{name}: {} = None", input.python_type)
            } else {
                format!("{name}: {} | None = None", input.python_type)
            }
        }
        Some(default) => format!("{name}: {} = {}", input.python_type, literal(default)),
        None => format!("{name}: {}", input.python_type),
    }
}

fn has_default(input: &InputParam) -> bool {
    input.default.is_some() || !input.required
}

fn render_def(name: &str, params: &[String], returns: &str) -> String {
    let one_line = format!("def {name}({}) -> {returns}: ...", params.join(", "));
    if one_line.len() <= MAX_LINE || params.is_empty() {
        return one_line;
    }
    let body: Vec<String> = params.iter().map(|p| format!("    {p}")).collect();
    format!("def {name}(\n{}\n) -> {returns}: ...", body.join(",\n"))
}

/// The model as a Python function, in the spec's style, e.g.
/// `def flux_schnell(prompt: str, aspect_ratio: str = "1:1", …) -> list[Path]: ...`.
/// Parameters keep `x-order`; if a required one follows one with a default, the
/// parameters become keyword-only (`*,`) so the signature stays valid Python.
pub fn signature(model_name: &str, inputs: &[InputParam], output: &OutputSpec) -> String {
    let mut params: Vec<String> = inputs.iter().map(parameter).collect();
    let mut seen_default = false;
    let needs_star = inputs.iter().any(|i| {
        if has_default(i) {
            seen_default = true;
            false
        } else {
            seen_default
        }
    });
    if needs_star {
        params.insert(0, "*".to_owned());
    }
    render_def(&identifier(model_name), &params, &output.python_type)
}

/// The signature as [`signature`] renders it, one parameter a line, each with its choices
/// (`# one of "a", "b"`) and bounds (`# 1 to 4`) as a trailing comment, so the text shows every
/// input's type, default, choices and bounds once.
pub fn annotated_signature(
    model_name: &str,
    inputs: &[InputParam],
    output: &OutputSpec,
    number: impl Fn(f64) -> String,
) -> String {
    let plain = signature(model_name, inputs, output);
    let annotated = inputs
        .iter()
        .any(|i| i.choices.is_some() || i.minimum.is_some() || i.maximum.is_some());
    if !annotated {
        return plain;
    }
    let mut lines: Vec<(String, String)> = Vec::new();
    if plain.contains("(\n    *,") || plain.contains("(*, ") {
        lines.push(("*".to_owned(), String::new()));
    }
    for input in inputs {
        let mut notes = Vec::new();
        if let Some(choices) = &input.choices {
            let listed: Vec<String> = choices.iter().map(literal).collect();
            notes.push(format!("one of {}", listed.join(", ")));
        }
        match (input.minimum, input.maximum) {
            (None, None) => {}
            (Some(min), Some(max)) => notes.push(format!("{} to {}", number(min), number(max))),
            (Some(min), None) => notes.push(format!(">= {}", number(min))),
            (None, Some(max)) => notes.push(format!("<= {}", number(max))),
        }
        lines.push((parameter(input), notes.join("; ")));
    }
    let last = lines.len().saturating_sub(1);
    let body: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, (param, note))| {
            let comma = if i == last { "" } else { "," };
            if note.is_empty() {
                format!("    {param}{comma}")
            } else {
                format!("    {param}{comma}  # {note}")
            }
        })
        .collect();
    format!(
        "def {}(\n{}\n) -> {}: ...",
        identifier(model_name),
        body.join("\n"),
        output.python_type
    )
}

/// The name of a model's hint function: `sdxl_hint`.
pub fn hint_name(model_name: &str) -> String {
    format!("{}_hint", identifier(model_name).trim_end_matches('_'))
}

/// A keyword-only stub named after the model (`sdxl_hint`), optional typing help for
/// `replicate.use(ref, hint=sdxl_hint)`.
pub fn hint(model_name: &str, inputs: &[InputParam], output: &OutputSpec) -> String {
    let mut params = vec!["*".to_owned()];
    params.extend(inputs.iter().map(parameter));
    if inputs.is_empty() {
        params.clear();
    }
    render_def(&hint_name(model_name), &params, &output.python_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identifiers() {
        assert_eq!(identifier("flux-schnell"), "flux_schnell");
        assert_eq!(identifier("gpt-4.1-nano"), "gpt_4_1_nano");
        assert_eq!(identifier("3d-gen"), "_3d_gen");
        assert_eq!(identifier("class"), "class_");
    }

    #[test]
    fn literals() {
        assert_eq!(literal(&json!("a\"b\n")), r#""a\"b\n""#);
        assert_eq!(literal(&json!(0.7)), "0.7");
        assert_eq!(literal(&json!([true, null, 1])), "[True, None, 1]");
    }
}
