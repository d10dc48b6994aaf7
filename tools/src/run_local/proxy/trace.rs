//! The trace: one [`ModelCall`] per prediction the pipeline made, with inputs as sent and
//! outputs summarised by kind (the table for people is in `table`).

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::run_local::RunStatus;

/// Strings longer than this are cut in the trace (a guard on memory: the text result shows
/// inputs whole up to 2,000 characters per call, or everything with `trace: "full"`).
const MAX_STRING: usize = 100_000;
/// Characters of text output shown.
const PREVIEW: usize = 80;
/// Bytes of a prediction's logs kept (the tail).
const LOG_TAIL: usize = 2000;

/// One prediction the pipeline made, as the proxy saw it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ModelCall {
    /// `owner/name`.
    pub model: String,
    /// The version id, or `None` for versionless models (`"hidden"` upstream).
    pub version: Option<String>,
    /// True when the proxy answered with a mock instead of calling Replicate.
    pub mocked: bool,
    /// The inputs as sent: files and data URIs shown as name, content type and size, long
    /// strings cut.
    #[schemars(
        with = "std::collections::BTreeMap<String, crate::run_local::proxy::trace::AnyJson>"
    )]
    pub inputs: Value,
    /// When the prediction was created, in ms since the run started.
    pub started_ms: u64,
    /// When it was last seen finished (succeeded, failed, canceled), in ms since the run
    /// started; `None` if the pipeline never saw it finish.
    pub ended_ms: Option<u64>,
    /// `starting`, `processing`, `succeeded`, `failed` or `canceled`.
    #[schemars(with = "String")]
    pub status: RunStatus,
    /// The output summarised by kind: `{"kind":"text","length","preview"}`,
    /// `{"kind":"files","count","files":[{"url","content_type","size"}]}`,
    /// `{"kind":"object","keys"}`, `{"kind":"list","length"}` or `{"kind":"value","value"}`.
    #[schemars(
        with = "Option<std::collections::BTreeMap<String, crate::run_local::proxy::trace::AnyJson>>"
    )]
    pub output: Option<Value>,
    /// The prediction's error, if it failed.
    pub error: Option<String>,
    /// The tail of the prediction's logs.
    pub logs: Option<String>,
}

impl ModelCall {
    /// A prediction just created (`starting`, nothing seen of its end yet).
    pub(crate) fn starting(
        model: String,
        version: Option<String>,
        mocked: bool,
        inputs: Value,
        started_ms: u64,
    ) -> ModelCall {
        ModelCall {
            model,
            version,
            mocked,
            inputs,
            started_ms,
            ended_ms: None,
            status: RunStatus::Starting,
            output: None,
            error: None,
            logs: None,
        }
    }
}

/// Any JSON value (documented as such in the output schema).
#[allow(dead_code)]
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum AnyJson {
    /// Null.
    Null,
    /// A string.
    Str(String),
    /// A number.
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// A list.
    List(Vec<AnyJson>),
    /// An object.
    Obj(std::collections::BTreeMap<String, AnyJson>),
}

/// What the proxy knows about a file: uploaded through it or served by it.
#[derive(Debug, Clone)]
pub(crate) struct FileInfo {
    pub(crate) name: String,
    pub(crate) content_type: String,
    /// `None` until known (an upstream output file is sized at the end of the run).
    pub(crate) size: Option<u64>,
}

/// Summarises inputs: known file URLs and data URIs become `{file, content_type, size}`,
/// long strings are cut.
pub(crate) fn summarise_inputs(input: &Value, files: &HashMap<String, FileInfo>) -> Value {
    match input {
        Value::String(text) => summarise_string(text, files),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| summarise_inputs(v, files)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), summarise_inputs(v, files)))
                .collect::<Map<String, Value>>(),
        ),
        other => other.clone(),
    }
}

fn summarise_string(text: &str, files: &HashMap<String, FileInfo>) -> Value {
    if let Some(info) = files.get(text) {
        return json!({"file": info.name, "content_type": info.content_type, "size": info.size, "url": text});
    }
    if let Some(rest) = text.strip_prefix("data:") {
        let (meta, data) = rest.split_once(',').unwrap_or((rest, ""));
        let content_type = meta.split(';').next().unwrap_or("").to_owned();
        let size = if meta.ends_with(";base64") {
            data.trim_end_matches('=').len() * 3 / 4
        } else {
            data.len()
        };
        return json!({"file": "data URI", "content_type": content_type, "size": size});
    }
    Value::String(cut(text, MAX_STRING))
}

/// `text` cut to `max` characters, saying how long it was.
pub(crate) fn cut(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    let head: String = text.chars().take(max).collect();
    format!("{head}… ({count} chars)")
}

/// Summarises an output by kind. `file` says what is known about a URL.
pub(crate) fn summarise_output(output: &Value, file: &dyn Fn(&str) -> Option<FileInfo>) -> Value {
    let is_url = |s: &str| s.starts_with("http://") || s.starts_with("https://");
    match output {
        Value::String(text) if is_url(text) => files_summary(&[text.as_str()], file),
        Value::String(text) => text_summary(text),
        Value::Array(items) => {
            let urls: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            if !items.is_empty() && urls.len() == items.len() && urls.iter().all(|u| is_url(u)) {
                files_summary(&urls, file)
            } else if !items.is_empty() && urls.len() == items.len() {
                // Streamed text chunks: what the caller sees is their concatenation.
                let mut summary = text_summary(&urls.concat());
                summary["chunks"] = json!(items.len());
                summary
            } else {
                json!({"kind": "list", "length": items.len()})
            }
        }
        Value::Object(map) => json!({"kind": "object", "keys": map.keys().collect::<Vec<_>>()}),
        other => json!({"kind": "value", "value": other}),
    }
}

fn text_summary(text: &str) -> Value {
    let preview: String = text.chars().take(PREVIEW).collect();
    json!({"kind": "text", "length": text.chars().count(), "preview": preview})
}

fn files_summary(urls: &[&str], file: &dyn Fn(&str) -> Option<FileInfo>) -> Value {
    let files: Vec<Value> = urls
        .iter()
        .map(|url| {
            let info = file(url);
            json!({
                "url": url,
                "content_type": info.as_ref().map_or_else(|| guess_type(url).to_owned(), |i| i.content_type.clone()),
                "size": info.and_then(|i| i.size),
            })
        })
        .collect();
    json!({"kind": "files", "count": urls.len(), "files": files})
}

/// A content type from a URL's extension (when nothing better is known).
pub(crate) fn guess_type(url: &str) -> &'static str {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "txt" => "text/plain",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// The tail of a prediction's logs, or `None` when empty.
pub(crate) fn log_tail(logs: &str) -> Option<String> {
    let logs = logs.trim_end();
    if logs.is_empty() {
        return None;
    }
    if logs.len() <= LOG_TAIL {
        return Some(logs.to_owned());
    }
    let mut start = logs.len() - LOG_TAIL;
    while !logs.is_char_boundary(start) {
        start += 1;
    }
    Some(format!("…{}", &logs[start..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_show_files_and_cut_long_strings() {
        let mut files = HashMap::new();
        files.insert(
            "http://x/v1/files/f1".to_owned(),
            FileInfo {
                name: "photo.png".into(),
                content_type: "image/png".into(),
                size: Some(12),
            },
        );
        let long = "a".repeat(MAX_STRING + 5);
        let summary = summarise_inputs(
            &json!({"image": "http://x/v1/files/f1", "uri": "data:text/plain;base64,aGVsbG8=", "prompt": long, "n": 2}),
            &files,
        );
        assert_eq!(summary["image"]["file"], "photo.png");
        assert_eq!(summary["image"]["size"], 12);
        assert_eq!(summary["uri"]["content_type"], "text/plain");
        assert_eq!(summary["uri"]["size"], 5);
        assert!(
            summary["prompt"]
                .as_str()
                .unwrap()
                .ends_with(&format!("({} chars)", MAX_STRING + 5))
        );
        assert_eq!(summary["n"], 2);
    }

    #[test]
    fn outputs_are_summarised_by_kind() {
        let none = |_: &str| None;
        let text = summarise_output(&json!(["Hel", "lo"]), &none);
        assert_eq!(text["kind"], "text");
        assert_eq!(text["preview"], "Hello");
        let files = summarise_output(&json!(["https://x/out.png"]), &none);
        assert_eq!(files["count"], 1);
        assert_eq!(files["files"][0]["content_type"], "image/png");
        let object = summarise_output(&json!({"b": 1, "a": 2}), &none);
        assert_eq!(object["keys"], json!(["a", "b"]));
        assert_eq!(summarise_output(&json!(3), &none)["value"], 3);
    }
}
