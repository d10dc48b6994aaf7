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
