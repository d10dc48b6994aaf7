//! A minimal HTTP/1.1 client over `std::net::TcpStream`, so a test controls every byte
//! (a forged `Host`, no `Host` at all, a declared length larger than the limit, a chunked body).
//!
//! The request is written on a second thread while the response is read, so a server that
//! answers early (413 before reading the body) and closes is observed, not turned into a
//! broken-pipe error.

use std::{
    io::{Read, Write},
    net::{Shutdown, SocketAddr, TcpStream},
    thread,
};

use serde_json::{Value, json};

use crate::support::HANG_GUARD;

/// The `initialize` request a raw HTTP test posts first.
pub fn initialize() -> Value {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "e2e-raw-http", "version": "0"}
        }
    })
}

/// How the body goes on the wire.
#[derive(Clone)]
enum Body {
    None,
    Sized(Vec<u8>),
    Chunked(Vec<u8>),
}

/// One request. `Host` defaults to the server address unless set with [`Request::header`]
/// or removed with [`Request::without_host`].
#[derive(Clone)]
pub struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Body,
    send_host: bool,
}

impl Request {
    /// `GET path`.
    pub fn get(path: &str) -> Self {
        Self {
            method: "GET".into(),
            path: path.into(),
            headers: Vec::new(),
            body: Body::None,
            send_host: true,
        }
    }

    /// `POST /mcp`: a JSON-RPC `tools/call` of `name` with `args`, at protocol 2025-11-25.
    pub fn tool_call(id: u64, name: &str, args: Value) -> Self {
        Self::post_json(
            "/mcp",
            &serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                    "params": {"name": name, "arguments": args}}),
        )
        .header("MCP-Protocol-Version", "2025-11-25")
    }

    /// `POST path` with a JSON body and the headers streamable HTTP requires.
    pub fn post_json(path: &str, body: &Value) -> Self {
        Self::post_bytes(path, body.to_string().into_bytes())
    }

    /// `POST path` with raw bytes, sent with `Content-Length`, and MCP's content headers.
    pub fn post_bytes(path: &str, body: Vec<u8>) -> Self {
        Self {
            method: "POST".into(),
            path: path.into(),
            headers: Vec::new(),
            body: Body::Sized(body),
            send_host: true,
        }
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
    }

    /// Sends the body with `Transfer-Encoding: chunked` (no declared length).
    pub fn chunked(mut self) -> Self {
        if let Body::Sized(b) = self.body {
            self.body = Body::Chunked(b);
        }
        self
    }

    /// Adds (or replaces) a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if name.eq_ignore_ascii_case("host") {
            self.send_host = false;
        }
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }

    /// `Authorization: Bearer TOKEN`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("Authorization", &format!("Bearer {token}"))
    }

    /// Sends no `Host` header at all.
    pub fn without_host(mut self) -> Self {
        self.send_host = false;
        self.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("host"));
        self
    }

    fn head(&self, addr: SocketAddr) -> Vec<u8> {
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.path);
        if self.send_host {
            head.push_str(&format!("Host: {addr}\r\n"));
        }
        for (n, v) in &self.headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        match &self.body {
            Body::None => {}
            Body::Sized(b) => head.push_str(&format!("Content-Length: {}\r\n", b.len())),
            Body::Chunked(_) => head.push_str("Transfer-Encoding: chunked\r\n"),
        }
        head.push_str("Connection: close\r\n\r\n");
        head.into_bytes()
    }

    fn wire_body(&self) -> Vec<u8> {
        match &self.body {
            Body::None => Vec::new(),
            Body::Sized(b) => b.clone(),
            Body::Chunked(b) => {
                let mut out = Vec::with_capacity(b.len() + 64);
                for chunk in b.chunks(64 * 1024) {
                    out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                    out.extend_from_slice(chunk);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"0\r\n\r\n");
                out
            }
        }
    }

    /// Sends the request on a new connection and reads the whole response.
    pub fn send(&self, addr: SocketAddr) -> Response {
        let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        stream.set_read_timeout(Some(HANG_GUARD)).unwrap();
        let mut writer = stream.try_clone().unwrap();
        let head = self.head(addr);
        let body = self.wire_body();
        let write = thread::spawn(move || {
            // The server may answer and close before taking the body: not an error here.
            let _ = writer
                .write_all(&head)
                .and_then(|()| writer.write_all(&body));
        });
        let response = read_response(stream.try_clone().unwrap());
        // Unblocks the writer if the server stopped reading.
        let _ = stream.shutdown(Shutdown::Both);
        let _ = write.join();
        response
    }
}

/// A parsed response.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers in arrival order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// First header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; an SSE body yields the data of its first `data:` line.
    pub fn json(&self) -> Value {
        let text = self.text();
        let payload = if self
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/event-stream"))
        {
            text.lines()
                .find_map(|l| l.strip_prefix("data:"))
                .unwrap_or_default()
                .trim()
                .to_string()
        } else {
            text
        };
        serde_json::from_str(&payload)
            .unwrap_or_else(|e| panic!("response body is not JSON ({e}): {payload:?}"))
    }
}

fn read_response(mut stream: TcpStream) -> Response {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    // Read until the end of the head.
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) => panic!(
                "connection closed before a full response head: {:?}",
                String::from_utf8_lossy(&buf)
            ),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => panic!(
                "reading response head: {e}; got {:?}",
                String::from_utf8_lossy(&buf)
            ),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut rest = buf[head_end..].to_vec();
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let body = if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        while rest.len() < len {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => rest.extend_from_slice(&chunk[..n]),
            }
        }
        rest.truncate(len);
        rest
    } else {
        // Chunked or close-delimited: the server closes after the response (Connection: close).
        loop {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => rest.extend_from_slice(&chunk[..n]),
            }
        }
        if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            dechunk(&rest)
        } else {
            rest
        }
    };
    Response {
        status,
        headers,
        body,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = find(data, b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        data = &data[eol + 2..];
        if size == 0 || data.len() < size {
            out.extend_from_slice(&data[..size.min(data.len())]);
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or_default();
    }
    out
}

#[test]
fn dechunks() {
    assert_eq!(dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"), b"abcde");
}
