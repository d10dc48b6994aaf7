//! Forwarding to the real API with the real token: request and response bodies stream
//! through, except the small JSON of predictions and file uploads, which the trace reads.

use crate::run_local::RunStatus;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::trace::{FileInfo, ModelCall, log_tail, summarise_inputs, summarise_output};
use super::{Shared, problem, read_body};

/// Longest prediction request or JSON answer read whole (inputs may hold data URIs).
const MAX_JSON: usize = 64 * 1024 * 1024;

const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
    "authorization",
    "accept-encoding",
];

fn upstream_request(shared: &Shared, request: &Request) -> reqwest::RequestBuilder {
    let uri = request.uri();
    let path_and_query = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let url = format!("{}{path_and_query}", shared.spec.upstream);
    let method = reqwest::Method::from_bytes(request.method().as_str().as_bytes())
        .unwrap_or(reqwest::Method::GET);
    let mut builder = shared.client.request(method, url);
    for (name, value) in request.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) && !overrides_method(name.as_str()) {
            builder = builder.header(name.as_str(), value.as_bytes());
        }
    }
    if let Some(token) = &shared.spec.token {
        builder = builder.bearer_auth(token);
    }
    builder
}

/// `X-HTTP-Method-Override` and the like: never passed on, so an allowed `GET` cannot become
/// a `DELETE` upstream.
fn overrides_method(name: &str) -> bool {
    matches!(
        name,
        "x-http-method-override" | "x-http-method" | "x-method-override"
    )
}

fn unreachable(shared: &Shared, error: &reqwest::Error) -> Response {
    problem(
        StatusCode::BAD_GATEWAY,
        "Replicate unreachable",
        &format!(
            "the local proxy could not reach {}: {}",
            shared.spec.upstream,
            if error.is_timeout() {
                "timed out"
            } else {
                "connection failed"
            }
        ),
    )
}

fn copy_headers(from: &reqwest::header::HeaderMap, to: &mut HeaderMap, keep_length: bool) {
    for (name, value) in from {
        let lower = name.as_str();
        if HOP_BY_HOP.contains(&lower) || (!keep_length && lower == "content-length") {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            axum::http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            to.append(name, value);
        }
    }
}

/// A request streamed both ways (reading back an upload).
pub(crate) async fn stream(shared: &Shared, request: Request) -> Response {
    let builder = upstream_request(shared, &request);
    let body = reqwest::Body::wrap_stream(request.into_body().into_data_stream());
    let answer = match builder.body(body).send().await {
        Ok(a) => a,
        Err(e) => return unreachable(shared, &e),
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    copy_headers(answer.headers(), response.headers_mut(), true);
    *response.body_mut() = Body::from_stream(answer.bytes_stream());
    response
}

/// Sends `builder` with `body`, reads the JSON answer whole.
async fn send_json(
    shared: &Shared,
    builder: reqwest::RequestBuilder,
    body: reqwest::Body,
) -> Result<(StatusCode, HeaderMap, Value, axum::body::Bytes), Response> {
    let answer = builder
        .body(body)
        .send()
        .await
        .map_err(|e| unreachable(shared, &e))?;
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut headers = HeaderMap::new();
    copy_headers(answer.headers(), &mut headers, false);
    let bytes = read_answer(answer)
        .await
        .map_err(|e| unreachable(shared, &e))?;
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok((status, headers, json, bytes))
}

pub(super) async fn read_answer(
    mut answer: reqwest::Response,
) -> Result<axum::body::Bytes, reqwest::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = answer.chunk().await? {
        if out.len() + chunk.len() > MAX_JSON {
            break;
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.into())
}

fn respond(status: StatusCode, headers: HeaderMap, bytes: axum::body::Bytes) -> Response {
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// `POST /v1/predictions` (versioned) or `POST /v1/models/o/n/predictions`: mocked
/// versions are answered here, the rest forwarded and recorded.
pub(crate) async fn create(shared: &Shared, request: Request) -> Response {
    let started_ms = shared.now_ms();
    let builder = upstream_request(shared, &request);
    let (parts, body) = request.into_parts();
    let bytes = match read_body(body, MAX_JSON).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let sent: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if let Some(refused) = refused_by_host(shared, parts.uri.path(), &sent) {
        return refused;
    }
    let mocked_model = sent
        .get("version")
        .and_then(Value::as_str)
        .and_then(|v| shared.tables().mock_versions.get(v).cloned());
    if let Some(model) = mocked_model {
        let request = Request::from_parts(parts, Body::empty());
        return super::mock::create(shared, &model, Some(sent), request).await;
    }
    let model_of = |answer: &Value| {
        answer
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| model_from_path(parts.uri.path()))
            .or_else(|| {
                let version = sent.get("version").and_then(Value::as_str)?;
                shared.model_of_version(version.rsplit(':').next().unwrap_or(version))
            })
            .unwrap_or_else(|| "(unknown model)".to_owned())
    };
    let sent_version = sent
        .get("version")
        .and_then(Value::as_str)
        .map(|v| v.rsplit(':').next().unwrap_or(v).to_owned());
    let input = sent.get("input").unwrap_or(&Value::Null);
    let (status, headers, answer, raw) = match send_json(shared, builder, bytes.into()).await {
        Ok(r) => r,
        Err(r) => {
            shared.record_refused(
                model_of(&Value::Null),
                sent_version,
                false,
                input,
                started_ms,
                format!(
                    "the proxy could not reach Replicate at {}",
                    shared.spec.upstream
                ),
            );
            return r;
        }
    };
    if !status.is_success() {
        shared.record_refused(
            model_of(&answer),
            sent_version,
            false,
            input,
            started_ms,
            refusal(status, &answer, &raw),
        );
        return respond(status, headers, raw);
    }
    if let Some(id) = answer.get("id").and_then(Value::as_str) {
        record_created(shared, id, &answer, model_of(&answer), input, started_ms);
    }
    respond(status, headers, raw)
}

/// `POST /v1/predictions {version}`: the host's model list applies to the version's model
/// (a model's own path was checked with its route).
fn refused_by_host(shared: &Shared, path: &str, sent: &Value) -> Option<Response> {
    if shared.limits.allow_models.is_empty() || model_from_path(path).is_some() {
        return None;
    }
    let Some(model) = super::policy::model_of_body(shared, sent) else {
        return Some(super::policy::refuse_unknown_version(shared, sent));
    };
    let version = sent
        .get("version")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let input = sent.get("input").unwrap_or(&Value::Null);
    super::policy::refuse_model(shared, &model, version, input)
}

/// Records the prediction the API created (`id`) as a starting call, then its state.
fn record_created(
    shared: &Shared,
    id: &str,
    answer: &Value,
    model: String,
    input: &Value,
    started_ms: u64,
) {
    let mut tables = shared.tables();
    let inputs = summarise_inputs(input, &tables.files);
    let version = answer
        .get("version")
        .and_then(Value::as_str)
        .filter(|v| *v != "hidden")
        .map(str::to_owned);
    let call = ModelCall::starting(model, version, false, inputs, started_ms);
    tables.insert(id.to_owned(), call, None);
    drop(tables);
    update(shared, answer);
}

/// What the API said when it refused to create a prediction.
fn refusal(status: StatusCode, answer: &Value, raw: &[u8]) -> String {
    let field = |k: &str| answer.get(k).and_then(Value::as_str).map(str::trim);
    // The API's `detail` is `- input.x: …` lines: one line here, for the trace.
    let detail = field("detail").map(|d| {
        d.lines()
            .map(|l| l.trim().trim_start_matches("- "))
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; ")
    });
    let said = match (field("title"), detail.as_deref()) {
        (Some(t), Some(d)) => format!("{t}: {d}"),
        (None, Some(d)) | (Some(d), None) => d.to_owned(),
        (None, None) => super::trace::cut(&String::from_utf8_lossy(raw), 500),
    };
    format!(
        "Replicate refused the prediction (HTTP {}): {said}",
        status.as_u16()
    )
}

fn model_from_path(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["v1", "models", owner, name, "predictions"] => Some(format!("{owner}/{name}")),
        _ => None,
    }
}

/// `GET /v1/models/o/n[/versions[/id]]`, forwarded; the version ids it names are noted so a
/// refused `POST /v1/predictions {version}` can still be named by its model.
pub(crate) async fn model_info(shared: &Shared, request: Request, model: String) -> Response {
    let builder = upstream_request(shared, &request);
    let (status, headers, answer, raw) =
        match send_json(shared, builder, reqwest::Body::from(Vec::new())).await {
            Ok(r) => r,
            Err(r) => return r,
        };
    if status.is_success() {
        let ids = [
            answer.pointer("/latest_version/id"),
            answer
                .get("id")
                .filter(|_| answer.get("openapi_schema").is_some()),
        ]
        .into_iter()
        .flatten()
        .chain(
            answer
                .get("results")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.get("id")),
        )
        .filter_map(Value::as_str);
        let mut tables = shared.tables();
        for id in ids {
            tables.versions.insert(id.to_owned(), model.clone());
        }
    }
    respond(status, headers, raw)
}

/// `GET /v1/predictions/{id}` or `POST …/cancel`, forwarded; the trace is updated.
pub(crate) async fn prediction(shared: &Shared, request: Request, _cancel: bool) -> Response {
    let builder = upstream_request(shared, &request);
    let body = match read_body(request.into_body(), MAX_JSON).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (status, headers, answer, raw) = match send_json(shared, builder, body.into()).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    if status.is_success() {
        update(shared, &answer);
    }
    respond(status, headers, raw)
}

/// Records what a prediction answer says (status, output, error, logs).
pub(super) fn update(shared: &Shared, answer: &Value) {
    let Some(id) = answer.get("id").and_then(Value::as_str) else {
        return;
    };
    let now = shared.now_ms();
    let mut tables = shared.tables();
    let tables = &mut *tables;
    let Some(&index) = tables.by_id.get(id) else {
        return;
    };
    let files = &tables.files;
    let record = &mut tables.records[index];
    let mut new_files = Vec::new();
    let status = answer
        .get("status")
        .and_then(Value::as_str)
        .and_then(RunStatus::named)
        .unwrap_or(RunStatus::Unknown);
    record.call.status = status;
    if let Some(logs) = answer.get("logs").and_then(Value::as_str) {
        record.call.logs = log_tail(logs);
    }
    if status.is_finished() {
        if record.call.ended_ms.is_none() {
            record.call.ended_ms = Some(now);
        }
        let output = answer.get("output").unwrap_or(&Value::Null);
        if !output.is_null() {
            let summary = summarise_output(output, &|url: &str| files.get(url).cloned());
            // Its files, when passed on to another model, show as files there too.
            for file in summary
                .get("files")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(url) = file.get("url").and_then(Value::as_str) {
                    new_files.push((url.to_owned(), file_info(url, file)));
                }
            }
            record.call.output = Some(summary);
        }
        record.call.error = match answer.get("error") {
            Some(Value::String(e)) => Some(e.clone()),
            Some(Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        };
    }
    for (url, info) in new_files {
        tables.files.entry(url).or_insert(info);
    }
}

/// What the trace knows of an output file from its summary.
fn file_info(url: &str, summary: &Value) -> FileInfo {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    FileInfo {
        name: path.rsplit('/').next().unwrap_or("file").to_owned(),
        content_type: summary
            .get("content_type")
            .and_then(Value::as_str)
            .unwrap_or("application/octet-stream")
            .to_owned(),
        size: summary.get("size").and_then(Value::as_u64),
    }
}

/// `POST /v1/files`, forwarded (the body streams up); the answer names the file for the trace.
pub(crate) async fn upload(shared: &Shared, request: Request) -> Response {
    let builder = upstream_request(shared, &request);
    let body = reqwest::Body::wrap_stream(request.into_body().into_data_stream());
    let (status, headers, answer, raw) = match send_json(shared, builder, body).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    if status.is_success()
        && let Some(url) = answer.pointer("/urls/get").and_then(Value::as_str)
    {
        let info = FileInfo {
            name: answer
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("file")
                .to_owned(),
            content_type: answer
                .get("content_type")
                .and_then(Value::as_str)
                .unwrap_or("application/octet-stream")
                .to_owned(),
            size: answer.get("size").and_then(Value::as_u64),
        };
        let mut tables = shared.tables();
        tables.files.insert(url.to_owned(), info);
        if let Some(id) = answer.get("id").and_then(Value::as_str) {
            tables.uploaded.insert(id.to_owned());
        }
    }
    respond(status, headers, raw)
}
