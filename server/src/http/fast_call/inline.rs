//! Requests of the 2026-07-28 protocol (the inline lifecycle: no `initialize`, the client's
//! version, info and capabilities in every request's `_meta`, and the SEP-2243 headers
//! `Mcp-Method`/`Mcp-Name` repeating the body) on the fast path: only calls that never ask
//! the client anything, so a handler run outside rmcp's service loop cannot behave
//! differently — `get_docs`, and `validate_pipeline` with inline `files` (a `path` may ask
//! the client for its roots) — and only in the plainest form. Anything else (another tool,
//! other `Mcp-*` headers such as `Mcp-Param-*`, headers that disagree with the body, other
//! `_meta` keys) goes to rmcp, which checks and answers it as before.

use axum::http::HeaderMap;
use rmcp::model::ClientCapabilities;
use serde::Deserialize as _;
use serde_json::{Map, Value};

/// The protocol version of the inline lifecycle.
pub const VERSION: &str = "2026-07-28";
/// Served on the fast path under this version with any arguments.
const GET_DOCS: &str = "get_docs";
/// Served on the fast path under this version with inline files only.
const VALIDATE_PIPELINE: &str = "validate_pipeline";
const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";

/// The SEP-2243 headers of a request: `Mcp-Method` and `Mcp-Name`, each given once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StandardHeaders {
    method: Option<String>,
    name: Option<String>,
}

impl StandardHeaders {
    /// Reads one allowed `Mcp-*` header; `None` when it is not one of them, repeated, or
    /// not text.
    pub fn read(&mut self, name: &str, headers: &HeaderMap) -> Option<()> {
        let slot = match name {
            "mcp-method" => &mut self.method,
            "mcp-name" => &mut self.name,
            _ => return None,
        };
        let mut values = headers.get_all(name).iter();
        let first = values.next()?.to_str().ok()?;
        if values.next().is_some() {
            return None;
        }
        *slot = Some(first.to_owned());
        Some(())
    }

    /// Whether any was given (only the inline lifecycle has them on the fast path).
    pub fn any(&self) -> bool {
        self.method.is_some() || self.name.is_some()
    }
}

/// Whether `message` is a plain call of the inline lifecycle that `headers` describe
/// exactly, to a tool that never asks the client anything: `Mcp-Method: tools/call`,
/// `Mcp-Name` the tool (`get_docs`, or `validate_pipeline` whose arguments are an object
/// without `path`); params with only `name`, `arguments` and `_meta`; `_meta` with only the
/// protocol version (this one), the client's capabilities (as rmcp reads them: it refuses
/// a request whose capabilities it cannot read) and optionally its info (an object).
pub fn plain(headers: &StandardHeaders, message: &Value) -> bool {
    let Some(params) = message.get("params").and_then(Value::as_object) else {
        return false;
    };
    let name = params.get("name").and_then(Value::as_str);
    let served = match name {
        Some(GET_DOCS) => true,
        Some(VALIDATE_PIPELINE) => params
            .get("arguments")
            .and_then(Value::as_object)
            .is_some_and(|a| !a.contains_key("path")),
        _ => false,
    };
    served
        && headers.method.as_deref() == Some("tools/call")
        && message.get("method").and_then(Value::as_str) == Some("tools/call")
        && headers.name.as_deref() == name
        && params
            .keys()
            .all(|k| matches!(k.as_str(), "name" | "arguments" | "_meta"))
        && params
            .get("_meta")
            .and_then(Value::as_object)
            .is_some_and(plain_meta)
}

fn plain_meta(meta: &Map<String, Value>) -> bool {
    meta.keys().all(|k| {
        matches!(
            k.as_str(),
            PROTOCOL_VERSION_KEY | CLIENT_INFO_KEY | CLIENT_CAPABILITIES_KEY
        )
    }) && meta.get(PROTOCOL_VERSION_KEY).and_then(Value::as_str) == Some(VERSION)
        // Capabilities rmcp cannot read are a refused request there: not plain.
        && meta
            .get(CLIENT_CAPABILITIES_KEY)
            .is_some_and(|c| ClientCapabilities::deserialize(c).is_ok())
        && meta.get(CLIENT_INFO_KEY).is_none_or(Value::is_object)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn headers(method: &str, name: &str) -> StandardHeaders {
        StandardHeaders {
            method: Some(method.into()),
            name: Some(name.into()),
        }
    }

    fn call(params: Value) -> Value {
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
    }

    fn meta() -> Value {
        json!({
            PROTOCOL_VERSION_KEY: VERSION,
            CLIENT_INFO_KEY: {"name": "c", "version": "1"},
            CLIENT_CAPABILITIES_KEY: {},
        })
    }

    #[test]
    fn only_the_plainest_calls_of_tools_that_ask_nothing_are_taken() {
        let ok = call(json!({"name": "get_docs", "arguments": {"section": "x"}, "_meta": meta()}));
        assert!(plain(&headers("tools/call", "get_docs"), &ok));
        // Headers that disagree with the body.
        assert!(!plain(&headers("tools/list", "get_docs"), &ok));
        assert!(!plain(&headers("tools/call", "validate_pipeline"), &ok));
        // validate_pipeline with inline files; not with a path (it may ask for the roots).
        let files = call(json!({"name": "validate_pipeline",
            "arguments": {"files": {"main.py": ""}}, "_meta": meta()}));
        assert!(plain(&headers("tools/call", "validate_pipeline"), &files));
        assert!(!plain(&headers("tools/call", "get_docs"), &files));
        for arguments in [
            json!({"path": "."}),
            json!({"path": ".", "files": {}}),
            json!(null),
        ] {
            let c =
                call(json!({"name": "validate_pipeline", "arguments": arguments, "_meta": meta()}));
            assert!(
                !plain(&headers("tools/call", "validate_pipeline"), &c),
                "{arguments}"
            );
        }
        // Any other tool.
        for tool in ["scaffold_pipeline", "run_locally", "get_model_schema"] {
            let c = call(json!({"name": tool, "arguments": {}, "_meta": meta()}));
            assert!(!plain(&headers("tools/call", tool), &c), "{tool}");
        }
        // `_meta` missing, of another version, with more keys, or without capabilities.
        let mut cases = vec![json!(null), json!({})];
        let mut old = meta();
        old[PROTOCOL_VERSION_KEY] = json!("2025-11-25");
        cases.push(old);
        let mut more = meta();
        more["progressToken"] = json!(1);
        cases.push(more);
        let mut bare = meta();
        bare.as_object_mut()
            .unwrap()
            .remove(CLIENT_CAPABILITIES_KEY);
        cases.push(bare);
        for unreadable in [json!({"roots": 5}), json!([])] {
            let mut m = meta();
            m[CLIENT_CAPABILITIES_KEY] = unreadable;
            cases.push(m);
        }
        for m in cases {
            let c = call(json!({"name": "get_docs", "arguments": {}, "_meta": m}));
            assert!(!plain(&headers("tools/call", "get_docs"), &c), "{m}");
        }
        let extra = call(json!({"name": "get_docs", "task": {}, "_meta": meta()}));
        assert!(!plain(&headers("tools/call", "get_docs"), &extra));
    }
}
