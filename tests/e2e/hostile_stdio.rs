//! `--stdio` fed lines that are not messages the server can take: each one that can be
//! answered gets its JSON-RPC error (with the id whenever the bytes still show it), nothing
//! else is written, and the session goes on. Oversized messages are dropped in constant memory
//! and answered when their id can be read.

use serde_json::{Value, json};

use crate::{
    stdio::{StdioServer, assert_pure},
    support::Sandbox,
};

/// The error answers among `msgs`, as (id, code).
fn errors(msgs: &[Value]) -> Vec<(Value, i64)> {
    msgs.iter()
        .filter_map(|m| Some((m["id"].clone(), m["error"]["code"].as_i64()?)))
        .collect()
}

#[test]
fn lines_that_are_not_messages_get_json_rpc_errors_and_the_session_goes_on() {
    let sandbox = Sandbox::new();
    let mut server = StdioServer::start(&sandbox);
    server.handshake();
    let lines: &[&[u8]] = &[
        b"hello\n",
        br#"{"jsonrpc":"2.0","id":7,"method":"tools/li"#,
        b"\n",
        b"{\"jsonrpc\":\"2.0\",\"id\":\"s-8\",\"method\":\"ping\",\xff\xfe}\n",
        br#"{"foo":1}"#,
        b"\n",
        br#"{"jsonrpc":"2.0","id":9}"#,
        b"\n",
        br#"{"jsonrpc":"1.0","id":10,"method":"ping"}"#,
        b"\n",
        br#"[{"jsonrpc":"2.0","id":11,"method":"ping"}]"#,
        b"\n",
        br#"{"jsonrpc":"2.0","id":12,"method":"tools/call","params":5}"#,
        b"\n",
        br#"{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}"#,
        b"\n",
        // Notifications are never answered, even unknown or malformed ones.
        br#"{"jsonrpc":"2.0","method":"notifications/whatever","params":{"a":1}}"#,
        b"\n",
        br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":"no"}"#,
        b"\n",
        b"   \n\r\n",
    ];
    for l in lines {
        server.send_raw(l);
    }
    server.send(&json!({"jsonrpc": "2.0", "id": 99, "method": "ping"}));
    let msgs = server.messages_until(99);
    assert_eq!(
        errors(&msgs),
        vec![
            (Value::Null, -32700),
            (json!(7), -32700),
            (json!("s-8"), -32700),
            (Value::Null, -32600),
            (json!(9), -32600),
            (json!(10), -32600),
            (Value::Null, -32600),
            (json!(12), -32602),
            (Value::Null, -32600),
        ],
        "{msgs:#?}"
    );
    let last = msgs.last().unwrap();
    assert_eq!(last["result"], json!({}), "{last}");
    let batch = &msgs[6]["error"]["message"];
    assert!(
        batch.as_str().unwrap().contains("one message per line"),
        "{batch}"
    );
    let (status, out, stderr) = server.close();
    assert!(status.success(), "{status:?}\n{stderr}");
    assert_pure(&out, &stderr);
}

#[test]
fn an_oversized_message_is_answered_by_id_and_the_session_goes_on() {
    let sandbox = Sandbox::new();
    let mut server = StdioServer::start(&sandbox);
    server.handshake();
    let big = "x".repeat(17 * 1024 * 1024);
    // The id comes first, as clients write it: the answer carries it.
    let with_id = json!({
        "jsonrpc": "2.0", "id": 21, "method": "tools/call",
        "params": {"name": "validate_pipeline", "arguments": {"files": {"main.py": big}}}
    });
    server.send(&with_id);
    // The id only after 17 MiB: it cannot be read from the kept prefix, so no answer.
    server.send_raw(format!("{{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"params\":{{\"pad\":\"{big}\"}},\"id\":22}}\n").as_bytes());
    server.send(&json!({"jsonrpc": "2.0", "id": 23, "method": "ping"}));
    let msgs = server.messages_until(23);
    assert_eq!(errors(&msgs), vec![(json!(21), -32600)], "{msgs:#?}");
    let message = msgs[0]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("over the limit of 16777216 bytes")
            && message.contains("--max-message-bytes"),
        "{message}"
    );
    let stderr = server.stderr_text();
    assert!(
        stderr.contains("no id could be read"),
        "the unanswerable one is said on stderr:\n{stderr}"
    );
    let (status, out, stderr) = server.close();
    assert!(status.success(), "{status:?}\n{stderr}");
    assert_pure(&out, &stderr);
}

#[test]
fn the_message_limit_is_a_flag() {
    let sandbox = Sandbox::new();
    let mut server = StdioServer::start_with(&sandbox, &["--max-message-bytes", "2000"]);
    server.handshake();
    server.send(
        &json!({"jsonrpc": "2.0", "id": 31, "method": "ping", "params": {"pad": "y".repeat(3000)}}),
    );
    server.send(
        &json!({"jsonrpc": "2.0", "id": 32, "method": "ping", "params": {"pad": "y".repeat(1000)}}),
    );
    let msgs = server.messages_until(32);
    assert_eq!(errors(&msgs), vec![(json!(31), -32600)], "{msgs:#?}");
    assert!(
        msgs[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limit of 2000 bytes")
    );
    let (status, _, stderr) = server.close();
    assert!(status.success(), "{status:?}\n{stderr}");
}
