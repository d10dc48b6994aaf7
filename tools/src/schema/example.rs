//! The model's own example (`default_example` in the API's model object): a real input
//! and the output it produced, cut to a size an agent can read.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Strings longer than this are cut (a data URI or a long answer).
const MAX_STRING: usize = 240;
/// Lists longer than this keep only their first items.
const MAX_ITEMS: usize = 3;
/// Objects with more keys than this keep only the first ones.
const MAX_KEYS: usize = 24;
/// Nesting deeper than this is elided.
const MAX_DEPTH: usize = 8;

/// A real run of the model, as its page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ModelExample {
    /// The example's input.
    pub input: Value,
    /// The output it produced (long strings and lists cut, see `cut`).
    pub output: Value,
    /// Whether anything was cut.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
}

impl ModelExample {
    /// The example of an API model object, when it has one with an output.
    pub fn from_model(model: &Value) -> Option<ModelExample> {
        let example = model.get("default_example")?.as_object()?;
        let output = example.get("output").filter(|o| !o.is_null())?;
        let input = example.get("input").cloned().unwrap_or(Value::Null);
        let mut cut = false;
        let input = shorten(&input, 0, &mut cut);
        let output = shorten(output, 0, &mut cut);
        Some(ModelExample { input, output, cut })
    }
}

fn shorten(value: &Value, depth: usize, cut: &mut bool) -> Value {
    if depth >= MAX_DEPTH && (value.is_array() || value.is_object()) {
        *cut = true;
        return Value::String("…".to_owned());
    }
    match value {
        Value::String(s) if s.chars().count() > MAX_STRING => {
            *cut = true;
            let kept: String = s.chars().take(MAX_STRING).collect();
            let rest = s.chars().count() - MAX_STRING;
            Value::String(format!("{kept}…[{rest} more characters]"))
        }
        Value::Array(items) => {
            let mut out: Vec<Value> = items
                .iter()
                .take(MAX_ITEMS)
                .map(|i| shorten(i, depth + 1, cut))
                .collect();
            if items.len() > MAX_ITEMS {
                *cut = true;
                out.push(Value::String(format!(
                    "…[{} more items]",
                    items.len() - MAX_ITEMS
                )));
            }
            Value::Array(out)
        }
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map.iter().take(MAX_KEYS) {
                out.insert(k.clone(), shorten(v, depth + 1, cut));
            }
            if map.len() > MAX_KEYS {
                *cut = true;
                out.insert(
                    "…".to_owned(),
                    Value::String(format!("{} more keys", map.len() - MAX_KEYS)),
                );
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_values_are_cut() {
        let model = json!({"default_example": {
            "input": {"prompt": "a fox", "image": format!("data:image/png;base64,{}", "A".repeat(5000))},
            "output": ["https://x/1.png", "https://x/2.png", "https://x/3.png", "https://x/4.png"]
        }});
        let ex = ModelExample::from_model(&model).unwrap();
        assert!(ex.cut);
        assert_eq!(ex.output.as_array().unwrap().len(), 4);
        assert_eq!(ex.output[3], json!("…[1 more items]"));
        assert!(ex.input["image"].as_str().unwrap().len() < 400);
        assert_eq!(ex.input["prompt"], json!("a fox"));
    }

    #[test]
    fn no_example_without_output() {
        assert!(ModelExample::from_model(&json!({"default_example": null})).is_none());
        assert!(
            ModelExample::from_model(&json!({"default_example": {"input": {}, "output": null}}))
                .is_none()
        );
    }
}
