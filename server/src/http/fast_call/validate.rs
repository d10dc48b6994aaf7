//! `validate_pipeline` with inline files, answered by the tool's own code
//! ([`validate_source`]) and encoded straight from its report, without rmcp's dispatch:
//! no decoding of the call into rmcp's types, no request context, and no JSON tree of the
//! report beside the bytes written. It is a team host's hot call (an agent's edit loop),
//! and those steps cost as much as validating a small project.
//!
//! Only the plainest form is taken, where the answer cannot differ from rmcp's: the
//! simplest envelope, and arguments that are exactly `{"files": {name: text, …}}` (what rmcp
//! decodes without error into the tool's arguments); a 2026-07-28 request's `_meta` was
//! checked by `inline::plain`. Anything else — a `path`, another argument, a value of the
//! wrong type — goes through rmcp, which answers or refuses it as before.

use std::collections::BTreeMap;

use axum::{body::Bytes, response::Response};
use pipelines_tools::run_local::ProjectSource;
use rmcp::model::RequestId;
use serde_json::Value;

use super::{FastCall, INLINE_VERSION, internal_error, json_response};
use crate::{
    convert::{encode_failure, encode_success},
    handler::validate_source,
    http::result_cache,
};

const VALIDATE_PIPELINE: &str = "validate_pipeline";

/// The inline files of a plain `validate_pipeline` call in the simplest envelope (the
/// caller checked the envelope: `super::simple_id`), moved out of `message`; `None` (and
/// `message` untouched) for any other call.
pub(super) fn take_files(version: usize, message: &mut Value) -> Option<BTreeMap<String, String>> {
    let params = message.get("params")?.as_object()?;
    let plain = params.get("name")?.as_str()? == VALIDATE_PIPELINE
        && params.keys().all(|k| match k.as_str() {
            "name" | "arguments" => true,
            // Checked by `inline::plain` already.
            "_meta" => version == INLINE_VERSION,
            _ => false,
        });
    let args = params.get("arguments")?.as_object()?;
    let files = args.get("files")?.as_object()?;
    if !plain || args.len() != 1 || !files.values().all(Value::is_string) {
        return None;
    }
    let files = message
        .get_mut("params")?
        .get_mut("arguments")?
        .get_mut("files")
        .map(Value::take)?;
    let Value::Object(files) = files else {
        return None;
    };
    Some(
        files
            .into_iter()
            .filter_map(|(name, text)| match text {
                Value::String(text) => Some((name, text)),
                _ => None,
            })
            .collect(),
    )
}

/// The JSON-RPC answer to the call with id `id`: the report, or the failure the agent can act on, as
/// rmcp's dispatch would write it for the protocol `version`.
pub(super) async fn answer(
    fast: &FastCall,
    version: usize,
    id: RequestId,
    files: BTreeMap<String, String>,
) -> Response {
    let input = ProjectSource::Inline(files);
    // As the tool does: the services open first, and their failure is the answer.
    let validated = async {
        let svc = fast.state.services().await.map_err(|e| e.to_string())?;
        validate_source(svc, &input).await
    };
    let validated = tokio::select! {
        validated = validated => validated,
        () = fast.ct.cancelled() => {
            return internal_error("empty response: the server is shutting down");
        }
    };
    // Results carry `resultType` from 2026-07-28 on.
    let complete = version >= INLINE_VERSION;
    let encoded = match &validated {
        Ok(report) => encode_success(report, complete),
        Err(message) => encode_failure(message, complete),
    };
    json_response(result_cache::response(&id, &Bytes::from(encoded)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn take(version: usize, params: Value) -> Option<BTreeMap<String, String>> {
        let mut message =
            json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": params});
        let before = message.clone();
        let taken = take_files(version, &mut message);
        if taken.is_none() {
            assert_eq!(message, before, "a message not taken is left as it was");
        }
        taken
    }

    #[test]
    fn only_inline_files_alone_are_taken() {
        let files = take(
            1,
            json!({"name": "validate_pipeline", "arguments": {"files": {"main.py": "x = 1\n", "cog.yaml": ""}}}),
        )
        .unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files["main.py"], "x = 1\n");
        for params in [
            json!({"name": "validate_pipeline", "arguments": {"path": "."}}),
            json!({"name": "validate_pipeline", "arguments": {"files": {"a": "x"}, "path": null}}),
            json!({"name": "validate_pipeline", "arguments": {"files": {"a": 1}}}),
            json!({"name": "validate_pipeline", "arguments": {"files": ["a"]}}),
            json!({"name": "validate_pipeline", "arguments": {"files": {"a": "x"}, "x": 1}}),
            json!({"name": "validate_pipeline", "arguments": {}}),
            json!({"name": "validate_pipeline"}),
            json!({"name": "get_docs", "arguments": {"files": {"a": "x"}}}),
            json!({"name": "validate_pipeline", "arguments": {"files": {}}, "_meta": {}}),
            json!({"name": "validate_pipeline", "arguments": {"files": {}}, "task": {}}),
        ] {
            assert!(take(1, params.clone()).is_none(), "{params}");
        }
        // The inline lifecycle's `_meta` (checked before, by `inline::plain`).
        let with_meta = json!({"name": "validate_pipeline", "arguments": {"files": {}},
            "_meta": {"io.modelcontextprotocol/clientCapabilities": {}}});
        assert!(take(INLINE_VERSION, with_meta).is_some());
    }
}
