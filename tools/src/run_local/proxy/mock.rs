//! Mocked models: the proxy answers the model/version look-ups and the predictions of a
//! mocked model itself (create → processing → succeeded, by polling or `Prefer: wait`),
//! and serves auto-made files (uploads without an upstream: `mock_upload`).

use std::time::{Duration, Instant};

use crate::run_local::RunStatus;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::media::Media;
use super::mock_output::Planned;
use super::trace::{FileInfo, ModelCall, log_tail, summarise_inputs, summarise_output};
use super::{Shared, json_response, problem, read_body};

/// Longest request body a mock reads (inputs with data URIs).
const MAX_BODY: usize = 64 * 1024 * 1024;
/// Longest `Prefer: wait` hold.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// A prediction the proxy answers itself.
pub(crate) struct MockPrediction {
    created: Instant,
    created_at: String,
    version: String,
    input: Value,
    output: Result<Value, String>,
    canceled: bool,
}

impl MockPrediction {
    fn done(&self, latency: Duration) -> bool {
        self.canceled || self.created.elapsed() >= latency
    }

    fn status(&self, latency: Duration) -> RunStatus {
        match (self.canceled, self.done(latency), &self.output) {
            (true, _, _) => RunStatus::Canceled,
            (false, false, _) => RunStatus::Processing,
            (false, true, Ok(_)) => RunStatus::Succeeded,
            (false, true, Err(_)) => RunStatus::Failed,
        }
    }
}

/// True when `id` is a mocked prediction.
pub(crate) fn is_mock(shared: &Shared, id: &str) -> bool {
    let tables = shared.tables();
    tables
        .by_id
        .get(id)
        .is_some_and(|&i| tables.records[i].mock.is_some())
}

/// The schema served for a mocked model: the cached one, or an open one (any output).
fn schema_of(shared: &Shared, model: &str) -> (Option<String>, Value) {
    match shared.spec.schemas.get(model) {
        Some(s) => (s.version.clone(), s.openapi.clone()),
        None => (
            None,
            json!({
                "openapi": "3.0.2",
                "info": {"title": "Cog", "version": "0.1.0"},
                "paths": {},
                "components": {"schemas": {"Input": {"type": "object", "properties": {}}, "Output": {}}}
            }),
        ),
    }
}

/// `GET /v1/models/o/n`, `…/versions`, `…/versions/{id}` for a mocked model.
pub(crate) fn model_info(shared: &Shared, model: &str, rest: &[&str]) -> Response {
    let (version, openapi) = schema_of(shared, model);
    let (owner, name) = model.split_once('/').unwrap_or((model, ""));
    let version_id = version.clone().unwrap_or_else(|| "mock".to_owned());
    shared
        .tables()
        .mock_versions
        .insert(version_id.clone(), model.to_owned());
    let version_json = json!({
        "id": version_id,
        "created_at": "2026-01-01T00:00:00.000000Z",
        "cog_version": "0.15.3",
        "openapi_schema": openapi,
    });
    match rest {
        [] => json_response(
            StatusCode::OK,
            &json!({
                "url": format!("https://replicate.com/{model}"),
                "owner": owner,
                "name": name,
                "description": "mocked by mcp-pipelines",
                "visibility": "public",
                "github_url": null,
                "paper_url": null,
                "license_url": null,
                "run_count": 0,
                "cover_image_url": null,
                "default_example": null,
                "latest_version": version_json,
            }),
        ),
        ["versions"] => {
            let results = if version.is_some() {
                vec![version_json]
            } else {
                Vec::new()
            };
            json_response(
                StatusCode::OK,
                &json!({"next": null, "previous": null, "results": results}),
            )
        }
        [_, requested] => {
            if version.is_none() || version.as_deref() != Some(*requested) {
                // A pinned version we have no schema for: serve the open schema under it.
                shared
                    .tables()
                    .mock_versions
                    .insert((*requested).to_owned(), model.to_owned());
            }
            let mut v = version_json;
            v["id"] = json!(requested);
            json_response(StatusCode::OK, &v)
        }
        _ => problem(StatusCode::NOT_FOUND, "Not found", "Not found"),
    }
}

/// `POST /v1/predictions` (a mocked version) or `POST /v1/models/o/n/predictions`.
pub(crate) async fn create(
    shared: &Shared,
    model: &str,
    body: Option<Value>,
    request: Request,
) -> Response {
    let wait = request
        .headers()
        .get("prefer")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("wait"));
    let body = match body {
        Some(b) => b,
        None => match read_body(request.into_body(), MAX_BODY).await {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            Err(r) => return r,
        },
    };
    let input = body.get("input").cloned().unwrap_or_else(|| json!({}));
    let (version, openapi) = schema_of(shared, model);
    let version_label = body
        .get("version")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or(version.clone())
        .unwrap_or_else(|| "hidden".to_owned());
    if shared.spec.schemas.contains_key(model) {
        let problems = super::input_check::check_input(&input, &openapi);
        if !problems.is_empty() {
            return refuse(shared, model, &version_label, &input, &problems);
        }
    }
    let output = planned_output(shared, model, &openapi, &input);
    let id = format!("mock-{}", shared.now_ms()) + &format!("-{}", shared.tables().records.len());
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let prediction = MockPrediction {
        created: Instant::now(),
        created_at: now,
        version: version_label.clone(),
        input: input.clone(),
        output,
        canceled: false,
    };
    {
        let mut tables = shared.tables();
        let inputs = summarise_inputs(&input, &tables.files);
        let version = Some(version_label).filter(|v| v != "hidden");
        let call = ModelCall::starting(model.to_owned(), version, true, inputs, shared.now_ms());
        tables.insert(id.clone(), call, Some(prediction));
    }
    if wait {
        tokio::time::sleep(shared.spec.mock_latency.min(MAX_WAIT)).await;
    }
    let body = prediction_json(shared, &id).unwrap_or(Value::Null);
    json_response(StatusCode::CREATED, &body)
}

/// The output of this call of a mocked model (its entry in `mocks`, in call order).
fn planned_output(
    shared: &Shared,
    model: &str,
    openapi: &Value,
    input: &Value,
) -> Result<Value, String> {
    let Some(entry) = shared.mock_for(model) else {
        return Err(format!("{model} is not mocked"));
    };
    let nth = {
        let mut tables = shared.tables();
        let count = tables.mock_calls.entry(model.to_owned()).or_insert(0);
        *count += 1;
        *count - 1
    };
    match super::mock_output::pick(entry, nth) {
        Planned::Auto => {
            let Some(schema) = shared.spec.schemas.get(model) else {
                return Err(format!(
                    "cannot synthesise an \"auto\" mock for {model}: its schema is not cached; call fetch_model_schema for it first, or give a fixed output in `mocks`"
                ));
            };
            let read;
            let output = match &schema.output {
                Some(output) => output,
                None => {
                    read = crate::schema::openapi::output(openapi);
                    &read
                }
            };
            let call = super::auto::AutoCall {
                model,
                output,
                inputs: &schema.inputs,
                input,
                example: schema.example.as_ref(),
            };
            let mut make = |media: Media| make_file(shared, media);
            Ok(super::auto::synthesise(&call, &mut make))
        }
        Planned::Fixed(output) => {
            let mut serve = |content_type: &str, bytes: Vec<u8>, name: &str| {
                store_file(shared, name, content_type, bytes.into())
            };
            Ok(super::mock_output::serve_data_uris(output, &mut serve))
        }
        Planned::Fail(error) => Err(error),
    }
}

/// A 422 as the API gives it for inputs its schema refuses; the call is in the trace.
fn refuse(
    shared: &Shared,
    model: &str,
    version: &str,
    input: &Value,
    problems: &[super::input_check::Problem],
) -> Response {
    let detail = super::input_check::detail(problems);
    let started = shared.now_ms();
    shared.record_refused(
        model.to_owned(),
        Some(version.to_owned()).filter(|v| v != "hidden"),
        true,
        input,
        started,
        format!(
            "Input validation failed (HTTP 422, as Replicate would answer; the mock checks inputs against the schema): {}",
            super::input_check::one_line(problems)
        ),
    );
    let fields: Vec<Value> = problems
        .iter()
        .map(|(field, text)| json!({"type": "invalid", "field": field, "description": text}))
        .collect();
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({"title": "Input validation failed", "detail": detail, "status": 422, "invalid_fields": fields}),
    )
}

/// `GET /v1/predictions/{id}` or its cancel, for a mocked prediction.
pub(crate) fn get(shared: &Shared, id: &str, cancel: bool) -> Response {
    if cancel {
        let mut tables = shared.tables();
        let latency = shared.spec.mock_latency;
        if let Some(&i) = tables.by_id.get(id)
            && let Some(mock) = tables.records[i].mock.as_mut()
            && !mock.done(latency)
        {
            mock.canceled = true;
        }
    }
    match prediction_json(shared, id) {
        Some(body) => json_response(StatusCode::OK, &body),
        None => problem(StatusCode::NOT_FOUND, "Not found", "Not found"),
    }
}

/// Brings every mocked call's trace entry up to date.
/// Marks the mocked predictions not finished yet as canceled (the run ended without them).
pub(crate) fn cancel_unfinished(shared: &Shared) {
    let latency = shared.spec.mock_latency;
    for record in &mut shared.tables().records {
        if let Some(mock) = &mut record.mock
            && !mock.done(latency)
        {
            mock.canceled = true;
        }
    }
    refresh(shared);
}

pub(crate) fn refresh(shared: &Shared) {
    let latency = shared.spec.mock_latency;
    let mut tables = shared.tables();
    let tables = &mut *tables;
    for record in &mut tables.records {
        let Some(mock) = &record.mock else { continue };
        let status = mock.status(latency);
        if record.call.status == status {
            continue;
        }
        record.call.status = status;
        if status.is_finished() {
            let end = if mock.canceled {
                shared.now_ms()
            } else {
                record.call.started_ms + u64::try_from(latency.as_millis()).unwrap_or(0)
            };
            record.call.ended_ms = Some(end);
            match &mock.output {
                Ok(output) if status == RunStatus::Succeeded => {
                    let files = &tables.files;
                    record.call.output = Some(summarise_output(output, &|url: &str| {
                        files.get(url).cloned()
                    }));
                }
                Err(error) => record.call.error = Some(error.clone()),
                Ok(_) => {}
            }
            record.call.logs = log_tail(&format!(
                "mocked by mcp-pipelines ({} ms)",
                latency.as_millis()
            ));
        }
    }
}

fn prediction_json(shared: &Shared, id: &str) -> Option<Value> {
    refresh(shared);
    let latency = shared.spec.mock_latency;
    let tables = shared.tables();
    let record = &tables.records[*tables.by_id.get(id)?];
    let mock = record.mock.as_ref()?;
    let status = mock.status(latency);
    let done = status.is_finished();
    let (output, error) = match (status, &mock.output) {
        (RunStatus::Succeeded, Ok(output)) => (output.clone(), Value::Null),
        (RunStatus::Failed, Err(error)) => (Value::Null, Value::String(error.clone())),
        _ => (Value::Null, Value::Null),
    };
    let base = &shared.base_url;
    Some(json!({
        "id": id,
        "model": record.call.model,
        "version": mock.version,
        "input": mock.input,
        "logs": if done { "mocked by mcp-pipelines\n" } else { "" },
        "output": output,
        "data_removed": false,
        "error": error,
        "status": status.as_str(),
        "source": "api",
        "created_at": mock.created_at,
        "started_at": mock.created_at,
        "completed_at": if done { Value::String(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)) } else { Value::Null },
        "metrics": if status == RunStatus::Succeeded { json!({"predict_time": latency.as_secs_f64()}) } else { json!({}) },
        "urls": {
            "get": format!("{base}/v1/predictions/{id}"),
            "cancel": format!("{base}/v1/predictions/{id}/cancel"),
            "web": format!("https://replicate.com/p/{id}"),
        },
    }))
}

/// Stores a made file and returns its URL on the proxy.
fn make_file(shared: &Shared, media: Media) -> String {
    let bytes = media.bytes();
    let name = format!("output.{}", media.extension());
    store_file(shared, &name, media.content_type(), bytes.into())
}

pub(super) fn store_file(
    shared: &Shared,
    name: &str,
    content_type: &str,
    bytes: axum::body::Bytes,
) -> String {
    let mut tables = shared.tables();
    let id = format!("f{}", tables.served.len() + 1);
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let url = format!("{}/mock-files/{id}/{safe}", shared.base_url);
    tables.files.insert(
        url.clone(),
        FileInfo {
            name: safe,
            content_type: content_type.to_owned(),
            size: Some(bytes.len() as u64),
        },
    );
    tables.served.insert(id, (content_type.to_owned(), bytes));
    url
}

/// `GET /mock-files/{id}/{name}`.
pub(crate) fn serve_file(shared: &Shared, id: &str) -> Response {
    let found = shared.tables().served.get(id).cloned();
    match found {
        Some((content_type, bytes)) => {
            ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
        }
        None => problem(StatusCode::NOT_FOUND, "Not found", "Not found"),
    }
}
