//! Requests of the 2026-07-28 protocol (the inline lifecycle: no `initialize`, the client's
//! version, info and capabilities in every request's `_meta`, and the SEP-2243 headers
//! `Mcp-Method`/`Mcp-Name` repeating the body) on the fast path: `get_docs` only — it never
//! asks the client anything, so a handler run outside rmcp's service loop cannot behave
//! differently — and only in the plainest form. Anything else (another tool, other `Mcp-*`
//! headers such as `Mcp-Param-*`, headers that disagree with the body, other `_meta` keys)
//! goes to rmcp, which checks and answers it as before.

use axum::http::HeaderMap;
use serde_json::{Map, Value};

/// The protocol version of the inline lifecycle.
pub const VERSION: &str = "2026-07-28";
/// The one tool served on the fast path under this version.
const GET_DOCS: &str = "get_docs";
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

/// Whether `message` is a plain `get_docs` call of the inline lifecycle that `headers`
/// describe exactly: `Mcp-Method: tools/call`, `Mcp-Name: get_docs`; params with only
/// `name`, `arguments` and `_meta`; `_meta` with only the protocol version (this one), the
/// client's capabilities (an object) and optionally its info (an object).
pub fn plain_get_docs(headers: &StandardHeaders, message: &Value) -> bool {
    let Some(params) = message.get("params").and_then(Value::as_object) else {
        return false;
    };
    headers.method.as_deref() == Some("tools/call")
        && message.get("method").and_then(Value::as_str) == Some("tools/call")
        && headers.name.as_deref() == Some(GET_DOCS)
        && params.get("name").and_then(Value::as_str) == Some(GET_DOCS)
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
        && meta
            .get(CLIENT_CAPABILITIES_KEY)
            .is_some_and(Value::is_object)
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
    fn only_the_plainest_get_docs_call_is_taken() {
        let ok = call(json!({"name": "get_docs", "arguments": {"section": "x"}, "_meta": meta()}));
        assert!(plain_get_docs(&headers("tools/call", "get_docs"), &ok));
        // Headers that disagree with the body, or another tool.
        assert!(!plain_get_docs(&headers("tools/list", "get_docs"), &ok));
        assert!(!plain_get_docs(
            &headers("tools/call", "validate_pipeline"),
            &ok
        ));
        let other = call(json!({"name": "validate_pipeline", "arguments": {}, "_meta": meta()}));
        assert!(!plain_get_docs(
            &headers("tools/call", "validate_pipeline"),
            &other
        ));
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
        for m in cases {
            let c = call(json!({"name": "get_docs", "arguments": {}, "_meta": m}));
            assert!(
                !plain_get_docs(&headers("tools/call", "get_docs"), &c),
                "{m}"
            );
        }
        let extra = call(json!({"name": "get_docs", "task": {}, "_meta": meta()}));
        assert!(!plain_get_docs(&headers("tools/call", "get_docs"), &extra));
    }
}
