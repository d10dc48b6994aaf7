//! Serialized answers of `get_docs`, the pure cached call: a repeated call with the same
//! arguments, on the same protocol version, while the docs cache is unchanged (same
//! [`ReadKey`]: no store write, no new check, same stale state, same second) is answered
//! with the bytes the first call produced, without running the tool or encoding its
//! result again. A call whose read would refresh the source is never answered from here.
//! Bounded by entries and bytes.

use std::{collections::HashMap, sync::Mutex};

use axum::body::Bytes;
use pipelines_docs_cache::{ReadKey, Source};
use rmcp::model::{CallToolRequestParams, RequestId};
use serde_json::Value;

use super::chunks::Chunks;

/// The one tool whose answers are kept.
const GET_DOCS: &str = "get_docs";
/// At most this many answers…
const MAX_ENTRIES: usize = 256;
/// …of at most this many bytes in all (then the cache starts over).
const MAX_BYTES: usize = 8 * 1024 * 1024;

/// Kept answers by protocol version, then arguments as JSON.
#[derive(Default)]
pub struct ResultCache {
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<usize, HashMap<String, (ReadKey, Bytes)>>,
    bytes: usize,
    count: usize,
}

/// A `get_docs` call the cache may answer: its arguments (the map in key order, as JSON)
/// and the source it reads.
pub struct Cacheable {
    pub args: String,
    pub source: Source,
}

impl Cacheable {
    /// For a `get_docs` call whose `source` argument is absent or valid.
    pub fn of(params: &CallToolRequestParams) -> Option<Cacheable> {
        if params.input_responses.is_some() || params.request_state.is_some() {
            return None;
        }
        Self::of_args(&params.name, params.arguments.as_ref())
    }

    /// The same from a request's JSON: the tool's name and its `arguments` member (which
    /// must be an object when present, as rmcp requires).
    pub fn of_json(name: &str, arguments: Option<&Value>) -> Option<Cacheable> {
        match arguments {
            None | Some(Value::Null) => Self::of_args(name, None),
            Some(Value::Object(map)) => Self::of_args(name, Some(map)),
            Some(_) => None,
        }
    }

    fn of_args(name: &str, args: Option<&serde_json::Map<String, Value>>) -> Option<Cacheable> {
        if name != GET_DOCS {
            return None;
        }
        let source = match args.and_then(|a| a.get("source")) {
            None | Some(Value::Null) => Source::Pipelines,
            Some(v) => serde_json::from_value(v.clone()).ok()?,
        };
        let args = match args {
            Some(map) => sorted_json(map),
            None => String::new(),
        };
        Some(Cacheable { args, source })
    }
}

/// The object's JSON with its keys sorted (objects keep insertion order here).
fn sorted_json(map: &serde_json::Map<String, Value>) -> String {
    let sorted: std::collections::BTreeMap<&String, &Value> = map.iter().collect();
    serde_json::to_string(&sorted).unwrap_or_default()
}

impl ResultCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A poisoned cache only costs recomputing.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The answer kept for the call under `key`, if any.
    pub fn get(&self, version: usize, call: &Cacheable, key: &ReadKey) -> Option<Bytes> {
        let entries = self.lock();
        let (kept, bytes) = entries.map.get(&version)?.get(&call.args)?;
        (kept == key).then(|| bytes.clone())
    }

    /// Keeps `result` (the encoded result object) for the call under `key`.
    pub fn put(&self, version: usize, call: Cacheable, key: ReadKey, result: Bytes) {
        let size = result.len() + call.args.len();
        if size > MAX_BYTES / 4 {
            return;
        }
        let mut entries = self.lock();
        if entries.count >= MAX_ENTRIES || entries.bytes + size > MAX_BYTES {
            entries.map.clear();
            entries.bytes = 0;
            entries.count = 0;
        }
        let args_len = call.args.len();
        let kept = entries.map.entry(version).or_default();
        match kept.insert(call.args, (key, result)) {
            Some((_, old)) => {
                entries.bytes = entries.bytes.saturating_sub(old.len() + args_len);
            }
            None => entries.count += 1,
        }
        entries.bytes += size;
    }
}

/// The JSON-RPC response carrying an encoded result: the bytes serde writes for rmcp's
/// `JsonRpcMessage::Response`, as the envelope's head, the result (shared) and the close.
pub fn response(id: &RequestId, result: &Bytes) -> Option<Chunks> {
    let id = serde_json::to_vec(id).ok()?;
    let mut head = Vec::with_capacity(id.len() + 32);
    head.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    head.extend_from_slice(&id);
    head.extend_from_slice(b",\"result\":");
    Some(Chunks::new([
        Bytes::from(head),
        result.clone(),
        Bytes::from_static(b"}"),
    ]))
}

#[cfg(test)]
mod tests {
    use rmcp::model::{
        CallToolResult, ContentBlock, JsonRpcMessage, NumberOrString, ServerJsonRpcMessage,
        ServerResult,
    };

    use super::*;

    #[test]
    fn the_composed_response_is_what_serde_writes() {
        let mut result = CallToolResult::success(vec![ContentBlock::text("a \"quoted\" line\n")]);
        result.structured_content = Some(serde_json::json!({"b": 1, "a": [true, null]}));
        let result = ServerResult::CallToolResult(result);
        let encoded = serde_json::to_vec(&result).unwrap();
        for id in [
            NumberOrString::Number(7),
            NumberOrString::String("req-\"1\"".into()),
        ] {
            let message: ServerJsonRpcMessage =
                JsonRpcMessage::response(result.clone(), id.clone());
            let parts: Vec<u8> = response(&id, &Bytes::from(encoded.clone()))
                .unwrap()
                .parts()
                .flat_map(|b| b.iter().copied())
                .collect();
            assert_eq!(parts, serde_json::to_vec(&message).unwrap());
        }
    }

    fn params(json: Value) -> CallToolRequestParams {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn only_get_docs_with_a_known_source_is_cacheable() {
        let a = Cacheable::of(&params(
            serde_json::json!({"name": "get_docs", "arguments": {"section": "x", "max_chars": 10}}),
        ))
        .unwrap();
        let b = Cacheable::of(&params(
            serde_json::json!({"name": "get_docs", "arguments": {"max_chars": 10, "section": "x"}}),
        ))
        .unwrap();
        assert_eq!(a.args, b.args, "argument order does not matter");
        assert_eq!(a.source, Source::Pipelines);
        let cog = Cacheable::of(&params(
            serde_json::json!({"name": "get_docs", "arguments": {"source": "cog"}}),
        ))
        .unwrap();
        assert_eq!(cog.source, Source::Cog);
        for other in [
            serde_json::json!({"name": "validate_pipeline", "arguments": {}}),
            serde_json::json!({"name": "get_docs", "arguments": {"source": "nope"}}),
            serde_json::json!({"name": "get_docs", "arguments": {}, "requestState": "s"}),
        ] {
            assert!(Cacheable::of(&params(other.clone())).is_none(), "{other}");
        }
    }
}
