//! JSON-RPC 2.0 pieces both transports share: the error codes, an error message, the checks
//! that make a JSON value a JSON-RPC message, and recovering a message's `id` from bytes that
//! are not (or not all) valid JSON, so even a broken or oversized message gets its answer.

use serde_json::{Value, json};

/// The bytes are not JSON.
pub const PARSE_ERROR: i64 = -32700;
/// The message is JSON but not a valid request.
pub const INVALID_REQUEST: i64 = -32600;
/// The method exists but its params do not fit it.
pub const INVALID_PARAMS: i64 = -32602;

/// A JSON-RPC error response.
pub fn error_message(id: Value, code: i64, message: &str) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code, "message": message },
    })
}

/// The id of a message, when it is a valid JSON-RPC id (string or number).
pub fn recover_id(v: &Value) -> Value {
    match v.get("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) => id.clone(),
        _ => Value::Null,
    }
}

/// The tool a message calls: `params.name` of a `tools/call` request (read with two lookups,
/// not a JSON pointer, which allocates each segment: this is asked of every request).
pub fn called_tool(msg: &Value) -> Option<&str> {
    if msg.get("method").and_then(Value::as_str) != Some("tools/call") {
        return None;
    }
    msg.get("params")?.get("name")?.as_str()
}

/// Why a parsed value is not a JSON-RPC 2.0 message, if it is not one.
pub fn invalid_reason(v: &Value) -> Option<&'static str> {
    let Some(obj) = v.as_object() else {
        return Some("Invalid Request: a JSON-RPC message is a JSON object");
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Some("Invalid Request: `jsonrpc` must be \"2.0\"");
    }
    match obj.get("method") {
        Some(Value::String(_)) => {}
        Some(_) => return Some("Invalid Request: `method` must be a string"),
        None if obj.contains_key("result") || obj.contains_key("error") => {}
        None => return Some("Invalid Request: no `method`"),
    }
    match obj.get("id") {
        None | Some(Value::String(_) | Value::Number(_)) => None,
        Some(_) => Some("Invalid Request: `id` must be a string or a number"),
    }
}

/// The top-level `"id"` of a message read from raw bytes that may be cut short or broken
/// after the id (a truncated line, the first bytes of an oversized one). `None` when no
/// complete string or number id appears at the top level before the bytes stop making sense.
pub fn id_from_bytes(bytes: &[u8]) -> Option<Value> {
    let mut s = Scan { b: bytes, i: 0 };
    s.ws();
    if s.next()? != b'{' {
        return None;
    }
    loop {
        s.ws();
        let key_start = s.i;
        if s.peek()? != b'"' {
            return None;
        }
        s.skip_string()?;
        let key: String = serde_json::from_slice(&bytes[key_start..s.i]).ok()?;
        s.ws();
        if s.next()? != b':' {
            return None;
        }
        s.ws();
        let value_start = s.i;
        s.skip_value()?;
        if key == "id" {
            return match serde_json::from_slice(&bytes[value_start..s.i]).ok()? {
                v @ (Value::String(_) | Value::Number(_)) => Some(v),
                _ => None,
            };
        }
        s.ws();
        if s.next()? != b',' {
            return None;
        }
    }
}

/// A cursor over bytes that skips JSON values without building them (no recursion, so any
/// nesting depth is fine).
struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    /// Past a string starting at the cursor's `"`.
    fn skip_string(&mut self) -> Option<()> {
        self.i += 1;
        loop {
            match self.next()? {
                b'"' => return Some(()),
                b'\\' => {
                    self.next()?;
                }
                _ => {}
            }
        }
    }

    /// Past one value: a string, a container (by bracket depth) or a scalar.
    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => self.skip_string()?,
                        b'{' | b'[' => {
                            depth += 1;
                            self.i += 1;
                        }
                        b'}' | b']' => {
                            depth -= 1;
                            self.i += 1;
                            if depth == 0 {
                                return Some(());
                            }
                        }
                        _ => self.i += 1,
                    }
                }
            }
            _ => {
                let start = self.i;
                while matches!(self.peek(), Some(c) if !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n'))
                {
                    self.i += 1;
                }
                // A scalar cut off by the end of the bytes is not known to be complete.
                (self.i > start && self.i < self.b.len()).then_some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_messages_are_named() {
        assert!(invalid_reason(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})).is_none());
        assert!(invalid_reason(&json!({"jsonrpc": "2.0", "method": "notifications/x"})).is_none());
        assert!(invalid_reason(&json!({"jsonrpc": "2.0", "id": 1, "result": {}})).is_none());
        assert!(invalid_reason(&json!(42)).is_some());
        assert!(invalid_reason(&json!({"id": 1, "method": "ping"})).is_some());
        assert!(invalid_reason(&json!({"jsonrpc": "2.0", "id": 1})).is_some());
        assert!(invalid_reason(&json!({"jsonrpc": "2.0", "id": [1], "method": "x"})).is_some());
        assert_eq!(recover_id(&json!({"id": "a"})), json!("a"));
        assert_eq!(recover_id(&json!({"id": {}})), Value::Null);
    }

    #[test]
    fn ids_come_back_from_broken_bytes() {
        let cases: [(&str, Option<Value>); 12] = [
            (
                r#"{"jsonrpc":"2.0","id":7,"method":"tools/li"#,
                Some(json!(7)),
            ),
            (
                r#"{"jsonrpc":"2.0","id":"a\"b","method":"x"}"#,
                Some(json!("a\"b")),
            ),
            (
                r#" { "params": {"id": 1, "x": [{"}": "]"}]}, "id" : -3.5 , "#,
                Some(json!(-3.5)),
            ),
            (r#"{"method":"x","params":{"arguments":{"text":"aaaa"#, None),
            (r#"{"jsonrpc":"2.0","id":12"#, None),
            (r#"{"id":null,"method":"x"}"#, None),
            (r#"{"id":{"a":1},"method":"x"}"#, None),
            (r#"[{"id":1}]"#, None),
            ("hello", None),
            ("", None),
            (r#"{"jsonrpc" "2.0","id":1}"#, None),
            (
                r#"{"a":[[[[[[[[[[1]]]]]]]]]],"id":"deep"}"#,
                Some(json!("deep")),
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(id_from_bytes(bytes.as_bytes()), want, "{bytes}");
        }
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        let deep = format!(
            "{{\"a\":{}1{},\"id\":2}}",
            "[".repeat(200_000),
            "]".repeat(200_000)
        );
        assert_eq!(id_from_bytes(deep.as_bytes()), Some(json!(2)));
    }
}
