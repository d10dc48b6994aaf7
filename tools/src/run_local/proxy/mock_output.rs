//! What a mocked call answers: the entry given in `mocks` for its model — `"auto"`, a fixed
//! output, `{"error": "…"}` (the prediction fails), or `{"sequence": [..]}` (one entry per
//! call, in call order; the last one repeats) — with every `data:` URI in a fixed output
//! served as a file, as Replicate serves output files by URL. Local paths in mocks were made
//! `data:` URIs before the run (`Mocks::embed_files`).

use serde_json::{Map, Value};

use crate::run_local::data_uri;

/// What one call of a mocked model gets.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Planned {
    /// An output made from the schema (and the model's example).
    Auto,
    /// This output.
    Fixed(Value),
    /// The prediction fails with this error.
    Fail(String),
}

/// The entry for the `nth` call (0-based) of a model mocked with `entry`.
pub(crate) fn pick(entry: &Value, nth: usize) -> Planned {
    let entry = match sequence(entry) {
        Some([]) => return Planned::Fixed(Value::Null),
        Some(items) => &items[nth.min(items.len() - 1)],
        None => entry,
    };
    match entry {
        Value::String(s) if s == "auto" => Planned::Auto,
        Value::Object(map) if map.len() == 1 && map.get("error").is_some_and(Value::is_string) => {
            Planned::Fail(map["error"].as_str().unwrap_or_default().to_owned())
        }
        other => Planned::Fixed(other.clone()),
    }
}

/// The items of `{"sequence": [..]}`.
pub(crate) fn sequence(entry: &Value) -> Option<&[Value]> {
    match entry {
        Value::Object(map) if map.len() == 1 => map.get("sequence")?.as_array().map(Vec::as_slice),
        _ => None,
    }
}

/// `value` with each `data:` URI replaced by the URL `serve` gives for its bytes (content
/// type, bytes, file name).
pub(crate) fn serve_data_uris(
    value: Value,
    serve: &mut dyn FnMut(&str, Vec<u8>, &str) -> String,
) -> Value {
    match value {
        Value::String(text) => match data_uri::decode(&text) {
            Some(decoded) if text.starts_with("data:") => {
                let sniffed = crate::run_local::magic::media_type(&decoded.bytes);
                let media_type = sniffed.unwrap_or(decoded.media_type.as_str()).to_owned();
                let name = format!("output.{}", data_uri::extension_for(&media_type));
                Value::String(serve(&media_type, decoded.bytes, &name))
            }
            _ => Value::String(text),
        },
        Value::Array(items) => items
            .into_iter()
            .map(|v| serve_data_uris(v, serve))
            .collect(),
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| (k, serve_data_uris(v, serve)))
            .collect::<Map<String, Value>>()
            .into(),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sequences_go_in_call_order_and_errors_fail() {
        let entry = json!({"sequence": [{"error": "busy"}, "auto", ["a"]]});
        assert_eq!(pick(&entry, 0), Planned::Fail("busy".into()));
        assert_eq!(pick(&entry, 1), Planned::Auto);
        assert_eq!(pick(&entry, 2), Planned::Fixed(json!(["a"])));
        assert_eq!(pick(&entry, 9), Planned::Fixed(json!(["a"])));
        assert_eq!(pick(&json!("auto"), 3), Planned::Auto);
        // An object with more than `error` is an output.
        let object = json!({"error": "x", "label": "y"});
        assert_eq!(pick(&object, 0), Planned::Fixed(object.clone()));
    }

    #[test]
    fn data_uris_become_served_files() {
        let mut served = Vec::new();
        let mut serve = |ct: &str, bytes: Vec<u8>, name: &str| {
            served.push((ct.to_owned(), bytes.len(), name.to_owned()));
            format!("http://proxy/mock-files/f{}/{name}", served.len())
        };
        let out = serve_data_uris(
            json!({"image": "data:image/png;base64,iVBORw0KGgo=", "text": "data is fine", "n": 1}),
            &mut serve,
        );
        assert_eq!(out["image"], "http://proxy/mock-files/f1/output.png");
        assert_eq!(out["text"], "data is fine");
        assert_eq!(
            served,
            [("image/png".to_owned(), 8, "output.png".to_owned())]
        );
    }
}
