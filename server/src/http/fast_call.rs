//! The stateless `tools/call` fast path of `/mcp`: rmcp's own dispatch
//! (`Service::handle_request`, the same code the streamable-HTTP service runs), called on a
//! handler and peer built once, instead of a fresh rmcp service per request.
//!
//! Per stateless request, rmcp's HTTP service builds a peer (its channel and the server
//! info, instructions included), spawns a service loop on a one-shot transport, spawns the
//! handler in it and a task to await it, and hands the answer back through channels. For a
//! cached `get_docs` that machinery costs several times the tool itself. Here the request
//! is decoded once, dispatched in the request's own task with a peer made once per protocol
//! version (what rmcp makes per request: the version from the `MCP-Protocol-Version` header,
//! default client capabilities), and the JSON-RPC answer is written as the JSON response
//! rmcp would send.
//!
//! Only the plain case takes this path; anything else goes to rmcp unchanged: another
//! method, `run_locally` (it reports progress and cleans up after itself), a request with
//! `_meta` (progress tokens, per-request protocol versions), a session header, any other
//! `Mcp-*` header, a protocol version rmcp would reject or that needs the SEP-2243 headers,
//! or `Accept`/`Content-Type` values that are not plainly JSON + SSE / JSON.

use std::sync::{Arc, OnceLock};

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{HeaderMap, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use pipelines_docs_cache::ReadKey;
use rmcp::{
    RoleServer, Service as _,
    model::{
        CallToolRequest, CallToolRequestParams, ClientCapabilities, ClientJsonRpcMessage,
        ClientRequest, GetExtensions as _, GetMeta as _, Implementation, InitializeRequestParams,
        JsonRpcMessage, ProtocolVersion, RequestId, ServerJsonRpcMessage,
    },
    service::{Peer, RequestContext, RunningService, serve_directly_with_ct},
};
use serde::Deserialize as _;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::{
    message::ParsedMessage,
    result_cache::{self, Cacheable, ResultCache},
};
use crate::{handler::PipelinesServer, state::AppState};

mod inline;
mod validate;

/// The one tool left to rmcp's path (progress notifications, its own clean-up).
const RUN_LOCALLY: &str = "run_locally";
/// Protocol versions a stateless request may name, oldest first; rmcp's default when the
/// header is absent is 2025-03-26.
const VERSIONS: [ProtocolVersion; 5] = [
    ProtocolVersion::V_2024_11_05,
    ProtocolVersion::V_2025_03_26,
    ProtocolVersion::V_2025_06_18,
    ProtocolVersion::V_2025_11_25,
    ProtocolVersion::V_2026_07_28,
];
const DEFAULT_VERSION: usize = 1;
/// The inline lifecycle's version (see [`inline`]): tools that never ask the client.
const INLINE_VERSION: usize = 4;

/// What the fast path serves with: the handler, and one idle rmcp service per protocol
/// version whose peer the requests share.
pub struct FastCall {
    /// Serves the shared peers (requests get a fresh handler each).
    server: PipelinesServer,
    state: Arc<AppState>,
    /// Encoded `get_docs` answers.
    results: ResultCache,
    /// Cancelled at shutdown (the same token rmcp's HTTP service gets).
    ct: CancellationToken,
    peers: [OnceLock<Option<Idle>>; VERSIONS.len()],
}

/// A service loop that never receives anything: it only gives the peer a life.
struct Idle {
    peer: Peer<RoleServer>,
    _running: RunningService<RoleServer, PipelinesServer>,
}

impl FastCall {
    /// The fast path for `server`, cancelled by `ct`.
    pub fn new(server: PipelinesServer, ct: CancellationToken) -> Arc<Self> {
        Arc::new(Self {
            state: server.state.clone(),
            results: ResultCache::default(),
            server,
            ct,
            peers: Default::default(),
        })
    }

    /// The shared peer for `VERSIONS[version]`, made on first use (inside the runtime).
    fn peer(&self, version: usize) -> Option<Peer<RoleServer>> {
        let idle = self.peers.get(version)?.get_or_init(|| {
            // The inline lifecycle has no session: its peer knows no client (each request's
            // `_meta` says who it is), as rmcp's own peer for such a request.
            let peer_info = (version != INLINE_VERSION).then(|| {
                InitializeRequestParams::new(
                    ClientCapabilities::default(),
                    Implementation::default(),
                )
                .with_protocol_version(VERSIONS[version].clone())
            });
            let transport = (
                futures::sink::drain::<rmcp::service::TxJsonRpcMessage<RoleServer>>(),
                futures::stream::pending::<rmcp::service::RxJsonRpcMessage<RoleServer>>(),
            );
            let running = serve_directly_with_ct(
                self.server.clone(),
                transport,
                peer_info,
                self.ct.child_token(),
            );
            Some(Idle {
                peer: running.peer().clone(),
                _running: running,
            })
        });
        idle.as_ref().map(|i| i.peer.clone())
    }
}

/// The innermost check (after Host/Origin, auth and the message checks, holding the
/// in-flight slot those took): answers a plain call, else passes it to rmcp (`next`).
pub async fn answer(fast: Arc<FastCall>, mut req: Request, next: Next) -> Response {
    // The message checks parsed the body already; rmcp's path reads the body itself.
    let parsed = req.extensions_mut().remove::<ParsedMessage>();
    let (Some((version, standard)), Some(ParsedMessage(mut value))) =
        (plain_headers(req.headers()), parsed)
    else {
        return next.run(req).await;
    };
    if version == INLINE_VERSION && !inline::plain(&standard, &value) {
        return next.run(req).await;
    }
    // The id of a call in the simplest envelope, decoded once for every reader below.
    let simple = simple_id(&value);
    if let Some(id) = &simple {
        // A kept answer needs no decoding into rmcp's types and no handler.
        if let Some(response) = kept_answer(&fast, version, id, &value).await {
            return response;
        }
        // Inline files to validate: the tool's own code answers, without rmcp's types.
        if let Some(files) = validate::take_files(version, &mut value) {
            return Box::pin(validate::answer(&fast, version, id.clone(), files)).await;
        }
    }
    // Boxed: the handler's future is large, and this one is moved on every request.
    Box::pin(handle(fast, version, value, simple, req, next)).await
}

/// The call decoded by rmcp and handled (or left to rmcp's service when it is not plain);
/// `simple`: its id when it is in the simplest envelope ([`simple_id`]).
async fn handle(
    fast: Arc<FastCall>,
    version: usize,
    value: Value,
    simple: Option<RequestId>,
    req: Request,
    next: Next,
) -> Response {
    let inline = version == INLINE_VERSION;
    let (Some((id, mut request)), Some(peer)) =
        (plain_call(value, inline, simple), fast.peer(version))
    else {
        return next.run(req).await;
    };
    let (parts, _body) = req.into_parts();
    let cached = Cached::look_up(&fast, version, &request).await;
    if let Some(Cached::Hit(result)) = &cached {
        return json_response(result_cache::response(&id, result));
    }
    // As rmcp's service loop does: the HTTP request parts go into the request's extensions,
    // then meta and extensions move into the context.
    request.extensions_mut().insert(parts);
    let meta = std::mem::take(request.get_meta_mut());
    let extensions = std::mem::take(request.extensions_mut());
    let mut context = RequestContext::new(id.clone(), peer);
    context.ct = fast.ct.child_token();
    context.meta = meta;
    context.extensions = extensions;
    // A fresh handler per request, as rmcp's stateless service makes: a session's memory
    // (the digest already shown) is not shared between callers.
    let server = PipelinesServer::new(fast.state.clone());
    let handled = tokio::select! {
        result = server.handle_request(request, context) => result,
        () = fast.ct.cancelled() => {
            return internal_error("empty response: the server is shutting down");
        }
    };
    match handled {
        Ok(result) => {
            // Sized for a typical tool result, so encoding it does not regrow the buffer.
            let mut encoded = Vec::with_capacity(16 * 1024);
            if let Err(e) = serde_json::to_writer(&mut encoded, &result) {
                return internal_error(&format!("could not encode the response: {e}"));
            }
            let encoded = Bytes::from(encoded);
            if let Some(Cached::Miss(miss)) = cached {
                miss.keep(&fast.results, encoded.clone());
            }
            json_response(result_cache::response(&id, &encoded))
        }
        Err(error) => {
            tracing::warn!(%id, ?error, "response error");
            let message: ServerJsonRpcMessage = JsonRpcMessage::error(error, Some(id));
            json_response(serde_json::to_vec(&message).ok())
        }
    }
}

/// The kept answer to a plain `get_docs` call with id `id` in its simplest envelope (only
/// `jsonrpc`, `id`, `method`, `params`, [`simple_id`] said so; params only `name` and
/// `arguments`), read from the JSON as it is. Anything else is decoded by rmcp and may be
/// answered from the cache after that.
async fn kept_answer(
    fast: &FastCall,
    version: usize,
    id: &RequestId,
    value: &Value,
) -> Option<Response> {
    let params = value.get("params")?.as_object()?;
    let plain = params.keys().all(|k| match k.as_str() {
        "name" | "arguments" => true,
        // Checked by `inline::plain` already; the answer does not depend on it.
        "_meta" => version == INLINE_VERSION,
        _ => false,
    });
    if !plain {
        return None;
    }
    let call = Cacheable::of_json(params.get("name")?.as_str()?, params.get("arguments"))?;
    let services = fast.state.services().await.ok()?;
    let key = services.docs.read_key(call.source).await.ok()??;
    let hit = fast.results.get(version, &call, &key)?;
    key.count_served();
    Some(json_response(result_cache::response(id, &hit)))
}

fn json_response(body: Option<impl Into<Body>>) -> Response {
    match body {
        Some(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body.into(),
        )
            .into_response(),
        None => internal_error("could not encode the response"),
    }
}

/// What the result cache says about a call before it runs.
enum Cached {
    /// The encoded result to answer with.
    Hit(Bytes),
    /// Cacheable: keep the result under this key if it is still current after the call.
    Miss(Miss),
}

struct Miss {
    version: usize,
    call: Cacheable,
    key: ReadKey,
}

impl Cached {
    async fn look_up(fast: &FastCall, version: usize, request: &ClientRequest) -> Option<Cached> {
        let ClientRequest::CallToolRequest(call) = request else {
            return None;
        };
        let call = Cacheable::of(&call.params)?;
        let services = fast.state.services().await.ok()?;
        let key = services.docs.read_key(call.source).await.ok()??;
        match fast.results.get(version, &call, &key) {
            Some(hit) => {
                key.count_served();
                Some(Cached::Hit(hit))
            }
            None => Some(Cached::Miss(Miss { version, call, key })),
        }
    }
}

impl Miss {
    fn keep(self, results: &ResultCache, encoded: Bytes) {
        // An answer computed across a second boundary may show a later age than the key.
        if self.key.still_this_second() {
            results.put(self.version, self.call, self.key, encoded);
        }
    }
}

fn internal_error(message: &str) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, message.to_string()).into_response()
}

/// The index in `VERSIONS` of the request's protocol version, and its SEP-2243 headers,
/// when its headers are plain: no session header, no `Mcp-*` header but the version (and,
/// for the inline lifecycle, `Mcp-Method` and `Mcp-Name`), `Accept` listing JSON and SSE
/// without parameters, `Content-Type` JSON.
fn plain_headers(headers: &HeaderMap) -> Option<(usize, inline::StandardHeaders)> {
    let mut version = DEFAULT_VERSION;
    let mut standard = inline::StandardHeaders::default();
    for (name, value) in headers {
        let name = name.as_str();
        if !name.starts_with("mcp-") {
            continue;
        }
        if name == "mcp-protocol-version" {
            let v = value.to_str().ok()?;
            version = VERSIONS.iter().position(|k| k.as_str() == v)?;
        } else {
            standard.read(name, headers)?;
        }
    }
    if headers.get_all("mcp-protocol-version").iter().count() > 1
        || (version == INLINE_VERSION) != standard.any()
    {
        return None;
    }
    let (mut json, mut sse) = (false, false);
    for value in &headers.get_all(header::ACCEPT) {
        let value = value.to_str().ok()?;
        if value.contains([';', '"']) {
            return None;
        }
        for essence in value.split(',').map(str::trim) {
            json |= essence.eq_ignore_ascii_case("application/json");
            sse |= essence.eq_ignore_ascii_case("text/event-stream");
        }
    }
    let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = content_type
        .split_once(';')
        .map_or(content_type, |(e, _)| e)
        .trim();
    (json && sse && essence.eq_ignore_ascii_case("application/json")).then_some((version, standard))
}

/// The message, when it is a `tools/call` request without `_meta` (but for the inline
/// lifecycle's, checked already) for a tool other than `run_locally`: its id and the request.
/// `simple`: its id when it is in the simplest envelope ([`simple_id`]).
fn plain_call(
    value: Value,
    inline: bool,
    simple: Option<RequestId>,
) -> Option<(RequestId, ClientRequest)> {
    let params = value.get("params")?.as_object()?;
    let plain = value.get("method").and_then(Value::as_str) == Some("tools/call")
        && (inline || !params.contains_key("_meta"))
        && params.get("name").and_then(Value::as_str) != Some(RUN_LOCALLY);
    if !plain {
        return None;
    }
    if let Some(id) = simple {
        // Anything it cannot decode goes to rmcp's service, which decodes the body itself.
        return simple_call(id, value);
    }
    match serde_json::from_value::<ClientJsonRpcMessage>(value).ok()? {
        JsonRpcMessage::Request(r) if matches!(r.request, ClientRequest::CallToolRequest(_)) => {
            Some((r.id, r.request))
        }
        _ => None,
    }
}

/// The call with id `id` in the simplest envelope (members `jsonrpc`, `id`, `method`,
/// `params` only; [`simple_id`] said so), decoded straight into its parameters: what
/// rmcp's decoding of the whole message gives for it, without buffering the message through
/// serde's untyped content first. `None` when the params do not decode, which rmcp then
/// decodes (and refuses as it does). The params are moved out of the message, not copied.
fn simple_call(id: RequestId, mut value: Value) -> Option<(RequestId, ClientRequest)> {
    let params = value.as_object_mut()?.remove("params")?;
    let mut params = CallToolRequestParams::deserialize(params).ok()?;
    // As rmcp decodes it: `_meta` goes to the request's extensions, not its params.
    let meta = params.meta.take();
    let mut request = CallToolRequest::new(params);
    if let Some(meta) = meta {
        request.extensions.insert(meta);
    }
    Some((id, ClientRequest::CallToolRequest(request)))
}

/// The id of a `tools/call` request in the simplest envelope: JSON-RPC 2.0 with only the
/// members `jsonrpc`, `id`, `method` and `params` (an object).
fn simple_id(value: &Value) -> Option<RequestId> {
    let message = value.as_object()?;
    let simple = message.get("jsonrpc")?.as_str()? == "2.0"
        && message.get("method")?.as_str()? == "tools/call"
        && message.get("params").is_some_and(Value::is_object)
        && message
            .keys()
            .all(|k| matches!(k.as_str(), "jsonrpc" | "id" | "method" | "params"));
    if !simple {
        return None;
    }
    RequestId::deserialize(message.get("id")?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    const PLAIN: [(&str, &str); 2] = [
        ("accept", "application/json, text/event-stream"),
        ("content-type", "application/json"),
    ];

    #[test]
    fn plain_headers_pick_the_version() {
        assert_eq!(
            plain_headers(&headers(&PLAIN)).map(|p| p.0),
            Some(DEFAULT_VERSION)
        );
        let mut h = headers(&PLAIN);
        h.insert("mcp-protocol-version", "2025-06-18".parse().unwrap());
        assert_eq!(plain_headers(&h).map(|p| p.0), Some(2));
        h.insert("mcp-protocol-version", "2025-11-25".parse().unwrap());
        assert_eq!(plain_headers(&h).map(|p| p.0), Some(3));
        // The inline lifecycle's version with its two headers.
        h.insert("mcp-protocol-version", "2026-07-28".parse().unwrap());
        h.insert("mcp-method", "tools/call".parse().unwrap());
        h.insert("mcp-name", "get_docs".parse().unwrap());
        assert_eq!(plain_headers(&h).map(|p| p.0), Some(INLINE_VERSION));
        h.append("mcp-name", "get_docs".parse().unwrap());
        assert!(plain_headers(&h).is_none(), "a repeated header");
    }

    #[test]
    fn anything_unusual_goes_to_rmcp() {
        for extra in [
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-protocol-version", "1999-01-01"),
            ("mcp-session-id", "abc"),
            ("mcp-method", "tools/call"),
            ("mcp-param-x", "1"),
        ] {
            let mut h = headers(&PLAIN);
            h.insert(extra.0, extra.1.parse().unwrap());
            assert!(plain_headers(&h).is_none(), "{extra:?}");
        }
        for (accept, ct) in [
            ("application/json", "application/json"),
            ("text/event-stream", "application/json"),
            (
                "application/json;q=0, text/event-stream",
                "application/json",
            ),
            ("application/json, text/event-stream", "text/plain"),
        ] {
            let h = headers(&[("accept", accept), ("content-type", ct)]);
            assert!(plain_headers(&h).is_none(), "{accept} / {ct}");
        }
    }

    #[test]
    fn only_plain_tool_calls() {
        let call = |s: &str| {
            let value: Value = serde_json::from_str(s).unwrap();
            let simple = simple_id(&value);
            plain_call(value, false, simple).is_some()
        };
        assert!(call(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_docs","arguments":{}}}"#
        ));
        assert!(!call(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_docs","_meta":{"progressToken":1}}}"#
        ));
        assert!(!call(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run_locally","arguments":{}}}"#
        ));
        assert!(!call(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#
        ));
        assert!(!call(
            r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"get_docs"}}"#
        ));
    }
}
