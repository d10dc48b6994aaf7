//! Library results and errors → MCP tool results. The only place that knows both sides.
//!
//! Success: `structuredContent` is the JSON of the library's result type (its schema is the
//! tool's `outputSchema`) and the text content is its readable rendering. Problems the agent
//! can fix become `isError: true` results whose text says what to do next; protocol misuse
//! stays a JSON-RPC error (raised by rmcp before we are called).

use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;

use crate::render::Render;

/// A successful tool result: structured content plus readable text.
pub fn success<T: Serialize + Render>(value: &T) -> CallToolResult {
    match serde_json::to_value(value) {
        Ok(json) => {
            // Not `CallToolResult::structured`: it also prints the JSON as the text block,
            // which the rendering below replaces (a whole extra serialisation per call).
            let mut r = CallToolResult::success(vec![ContentBlock::text(value.render())]);
            r.structured_content = Some(json);
            r
        }
        Err(e) => failure(format!("internal error: could not encode the result: {e}")),
    }
}

/// A tool-level error the agent can act on (`isError: true`).
pub fn failure(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

/// The JSON rmcp writes for [`success`]`(value)` as a call's result, written from `value`
/// itself rather than through a JSON tree of it: for answers made outside rmcp's dispatch
/// (the HTTP fast path). The same JSON, but for the order of the value's object members:
/// its fields in declared order (as the CLI writes them), where the tree sorts them.
/// `complete`: the peer speaks 2026-07-28 or later, whose results carry `resultType`
/// (rmcp strips it for older peers).
pub fn encode_success<T: Serialize + Render>(value: &T, complete: bool) -> Vec<u8> {
    let text = value.render();
    let wire = Wire {
        result_type: complete.then_some(COMPLETE),
        content: [TextBlock::new(&text)],
        structured_content: Some(value),
        is_error: false,
    };
    // The report's JSON is about as long as its text: sized so the buffer seldom regrows.
    let mut bytes = Vec::with_capacity(2 * text.len() + 512);
    match serde_json::to_writer(&mut bytes, &wire) {
        Ok(()) => bytes,
        Err(e) => encode_failure(
            &format!("internal error: could not encode the result: {e}"),
            complete,
        ),
    }
}

/// The bytes rmcp writes for [`failure`]`(message)` as a call's result (see
/// [`encode_success`]), exactly.
pub fn encode_failure(message: &str, complete: bool) -> Vec<u8> {
    let wire: Wire<'_, ()> = Wire {
        result_type: complete.then_some(COMPLETE),
        content: [TextBlock::new(message)],
        structured_content: None,
        is_error: true,
    };
    // Only strings and booleans: writing to a vector cannot fail.
    serde_json::to_vec(&wire).unwrap_or_default()
}

/// `resultType` of a finished result.
const COMPLETE: &str = "complete";

/// rmcp's `CallToolResult` on the wire, borrowing its parts (fields in rmcp's order).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a, T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    result_type: Option<&'static str>,
    content: [TextBlock<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    structured_content: Option<&'a T>,
    is_error: bool,
}

/// A text content block on the wire.
#[derive(Serialize)]
struct TextBlock<'a> {
    r#type: &'static str,
    text: &'a str,
}

impl<'a> TextBlock<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            r#type: "text",
            text,
        }
    }
}

#[cfg(test)]
mod tests {
    use pipelines_tools::{
        validate::{Diagnostic, Severity, Summary},
        workflow::PipelineValidation,
    };
    use rmcp::model::ServerResult;

    use super::*;

    /// What rmcp's dispatch writes for `result`, for a peer on 2026-07-28 or an older one.
    fn rmcp_bytes(result: CallToolResult, complete: bool) -> String {
        let mut result = ServerResult::CallToolResult(result);
        if !complete {
            result.strip_result_type_for_legacy_peer();
        }
        serde_json::to_string(&result).unwrap()
    }

    fn report(diagnostics: Vec<Diagnostic>, summary: Summary) -> PipelineValidation {
        PipelineValidation {
            ok: diagnostics.is_empty(),
            summary,
            diagnostics,
            rules_from: "cached spec fetched 2026-12-06T05:00:00Z".into(),
        }
    }

    #[test]
    fn encoded_results_are_the_bytes_rmcp_writes() {
        let finding = Diagnostic {
            code: "PY003".into(),
            name: "unknown-model-input".into(),
            severity: Severity::Error,
            file: "main.py".into(),
            line: 8,
            column: 5,
            message: "unknown input \"promt\" of acme/pixel-forge — did you mean `prompt`?\n\ttabbed \u{1}".into(),
            doc_section: "use/inputs".into(),
            doc_title: "Inputs".into(),
            fix: "rename it".into(),
            edit: Some("--- a/main.py\n+++ b/main.py\n".into()),
            end: Some((8, 10)),
        };
        let summary = Summary {
            errors: 1,
            warnings: 0,
        };
        for value in [
            report(vec![], Summary::default()),
            report(vec![finding], summary),
        ] {
            for complete in [false, true] {
                let ours = String::from_utf8(encode_success(&value, complete)).unwrap();
                let rmcp = rmcp_bytes(success(&value), complete);
                // Equal as JSON (rmcp's tree sorts the report's members)…
                let parsed = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
                assert_eq!(parsed(&ours), parsed(&rmcp), "complete: {complete}");
                // …and the same bytes once the report is written in rmcp's order.
                let declared = serde_json::to_string(&value).unwrap();
                let tree = serde_json::to_value(&value).unwrap().to_string();
                assert_eq!(ours.replace(&declared, &tree), rmcp, "complete: {complete}");
                assert!(ours.contains("\"isError\":false"), "{ours}");
            }
        }
        for message in ["", "cannot open the cache: \"x\"\n", "naïve — ✓"] {
            for complete in [false, true] {
                assert_eq!(
                    String::from_utf8(encode_failure(message, complete)).unwrap(),
                    rmcp_bytes(failure(message), complete),
                    "{message:?}, complete: {complete}"
                );
            }
        }
    }
}
