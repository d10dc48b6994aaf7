//! What Replicate checks before it accepts a prediction, done for mocked models so a mocked
//! run fails where the real one would: required inputs present, no `null` where the schema
//! does not allow it, JSON types, enum choices, and the bounds of numbers (`minimum`,
//! `maximum`, exclusive ones), string lengths and list sizes, worded as the API words them.
//! Only these: what the API might accept (formats, unknown names, non-standard keys such as
//! `ge`) is left alone, so a mock never refuses a valid call.

use serde_json::{Map, Value};

use crate::schema::resolver::Resolver;

/// One problem: the field (`input` or `input.name`) and what is wrong, as the API says it.
pub(crate) type Problem = (String, String);

/// The problems with `input` against the model's OpenAPI document (none when the document
/// has no `Input` schema).
pub(crate) fn check_input(input: &Value, openapi: &Value) -> Vec<Problem> {
    let Some(schema) = Resolver::new(openapi).component("Input") else {
        return Vec::new();
    };
    let empty = Map::new();
    let given = input.as_object().unwrap_or(&empty);
    let mut problems = Vec::new();
    for name in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !given.contains_key(name) {
            problems.push(("input".to_owned(), format!("{name} is required")));
        }
    }
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return problems;
    };
    for (name, value) in given {
        let Some(prop) = properties.get(name) else {
            continue;
        };
        if let Some(text) = problem_with(value, prop, name) {
            problems.push((format!("input.{name}"), text));
        }
    }
    problems
}

/// The problems on one line, for the trace: `input.seed: Invalid type…; input: prompt is required`.
pub(crate) fn one_line(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|(field, text)| format!("{field}: {text}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The `- field: text` lines of a 422's `detail`.
pub(crate) fn detail(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|(field, text)| format!("- {field}: {text}\n"))
        .collect()
}

/// What is wrong with `value` for the (dereferenced) property `prop`.
fn problem_with(value: &Value, prop: &Value, name: &str) -> Option<String> {
    if prop.get("anyOf").is_some() || prop.get("oneOf").is_some() {
        // Alternatives: too open to judge.
        return None;
    }
    if value.is_null() {
        return (!allows_null(prop)).then(|| {
            let ty = prop
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("a value");
            format!("Invalid type. Expected: {ty}, given: null")
        });
    }
    if let Some(ty) = prop.get("type").and_then(Value::as_str)
        && !has_type(value, ty)
    {
        return Some(format!(
            "Invalid type. Expected: {ty}, given: {}",
            json_type(value)
        ));
    }
    if let Some(choices) = prop.get("enum").and_then(Value::as_array)
        && !choices.is_empty()
        && !choices.iter().any(|c| same(c, value))
    {
        let allowed: Vec<String> = choices.iter().map(Value::to_string).collect();
        return Some(format!(
            "{name} must be one of the following: {}",
            allowed.join(", ")
        ));
    }
    out_of_bounds(value, prop)
}

/// A bound of `part` that `value` breaks, in the API's words.
fn out_of_bounds(value: &Value, part: &Value) -> Option<String> {
    let bound = |key: &str| part.get(key).filter(|b| b.is_number());
    if let Some(x) = value.as_f64() {
        // OpenAPI 3.0: `exclusiveMinimum: true` makes `minimum` exclusive; 3.1: a number.
        let exclusive = |key: &str| part.get(key) == Some(&Value::Bool(true));
        if let Some(min) = bound("minimum") {
            let m = min.as_f64()?;
            if exclusive("exclusiveMinimum") && x <= m {
                return Some(format!("Must be greater than {min}"));
            }
            if x < m {
                return Some(format!("Must be greater than or equal to {min}"));
            }
        }
        if let Some(max) = bound("maximum") {
            let m = max.as_f64()?;
            if exclusive("exclusiveMaximum") && x >= m {
                return Some(format!("Must be less than {max}"));
            }
            if x > m {
                return Some(format!("Must be less than or equal to {max}"));
            }
        }
        if let Some(min) = bound("exclusiveMinimum")
            && x <= min.as_f64()?
        {
            return Some(format!("Must be greater than {min}"));
        }
        if let Some(max) = bound("exclusiveMaximum")
            && x >= max.as_f64()?
        {
            return Some(format!("Must be less than {max}"));
        }
    }
    // (length, its lower and upper bound keys, the messages before and after the bound)
    let size = |len: usize, keys: [&str; 2], texts: [(&str, &str); 2]| {
        let len = len as f64;
        for (i, key) in keys.iter().enumerate() {
            let Some(b) = bound(key) else { continue };
            let limit = b.as_f64().unwrap_or(0.0);
            if (i == 0 && len < limit) || (i == 1 && len > limit) {
                return Some(format!("{} {b}{}", texts[i].0, texts[i].1));
            }
        }
        None
    };
    match value {
        Value::String(s) => size(
            s.chars().count(),
            ["minLength", "maxLength"],
            [
                ("String length must be greater than or equal to", ""),
                ("String length must be less than or equal to", ""),
            ],
        ),
        Value::Array(items) => size(
            items.len(),
            ["minItems", "maxItems"],
            [
                ("Array must have at least", " items"),
                ("Array must have at most", " items"),
            ],
        ),
        _ => None,
    }
}

fn allows_null(part: &Value) -> bool {
    part.get("nullable").and_then(Value::as_bool) == Some(true)
        || part.get("x-nullable").and_then(Value::as_bool) == Some(true)
        || part.get("type").and_then(Value::as_str) == Some("null")
        || part
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|c| c.contains(&Value::Null))
}

fn has_type(value: &Value, ty: &str) -> bool {
    match ty {
        "string" => value.is_string(),
        // JSON Schema counts 3.0 as an integer.
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

/// Equal as JSON Schema compares: numbers by value (1 equals 1.0).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn openapi() -> Value {
        json!({"components": {"schemas": {
            "Input": {
                "type": "object",
                "required": ["prompt"],
                "properties": {
                    "prompt": {"type": "string", "maxLength": 5},
                    "seed": {"type": "integer"},
                    "maybe": {"type": "integer", "nullable": true},
                    "steps": {"type": "integer", "minimum": 1, "maximum": 4},
                    "scale": {"type": "number", "exclusiveMinimum": 0},
                    "ge_only": {"type": "integer", "ge": 1},
                    "scheduler": {"allOf": [{"$ref": "#/components/schemas/scheduler"}]},
                    "either": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    "image": {"type": "string", "format": "uri"}
                }
            },
            "scheduler": {"type": "string", "enum": ["DDIM", "K_EULER"]}
        }}})
    }

    #[test]
    fn valid_calls_pass_including_what_the_api_accepts() {
        let ok = [
            json!({"prompt": "a cat"}),
            json!({"prompt": "a", "seed": 3, "maybe": null, "scale": 2, "scheduler": "DDIM"}),
            json!({"prompt": "a", "seed": 3.0, "steps": 4, "either": null, "extra": [1]}),
            json!({"prompt": "a", "image": "data:image/png;base64,AAAA", "ge_only": 0, "scale": 0.1}),
        ];
        for input in ok {
            assert_eq!(check_input(&input, &openapi()), vec![], "{input}");
        }
        assert!(check_input(&json!({}), &json!({"paths": {}})).is_empty());
    }

    #[test]
    fn what_the_api_refuses_is_refused() {
        let cases = [
            (json!({}), "input", "prompt is required"),
            (
                json!({"prompt": "a", "seed": null}),
                "input.seed",
                "Expected: integer, given: null",
            ),
            (
                json!({"prompt": 5}),
                "input.prompt",
                "Expected: string, given: integer",
            ),
            (
                json!({"prompt": "a", "seed": 1.5}),
                "input.seed",
                "given: number",
            ),
            (
                json!({"prompt": "a", "scheduler": "PNDM"}),
                "input.scheduler",
                "must be one of the following: \"DDIM\", \"K_EULER\"",
            ),
            (
                json!({"prompt": "a", "scheduler": null}),
                "input.scheduler",
                "given: null",
            ),
            (
                json!({"prompt": "a", "steps": 8}),
                "input.steps",
                "Must be less than or equal to 4",
            ),
            (
                json!({"prompt": "a", "steps": 0}),
                "input.steps",
                "Must be greater than or equal to 1",
            ),
            (
                json!({"prompt": "a", "scale": 0}),
                "input.scale",
                "Must be greater than 0",
            ),
            (
                json!({"prompt": "abcdef"}),
                "input.prompt",
                "String length must be less than or equal to 5",
            ),
        ];
        for (input, field, text) in cases {
            let problems = check_input(&input, &openapi());
            assert_eq!(problems.len(), 1, "{input}: {problems:?}");
            assert_eq!(problems[0].0, field, "{input}");
            assert!(problems[0].1.contains(text), "{input}: {problems:?}");
        }
        assert_eq!(
            detail(&check_input(&json!({}), &openapi())),
            "- input: prompt is required\n"
        );
    }
}
