//! HTTP routes of the fake Replicate API.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::fixtures::{FixtureModel, version_json};
use super::multipart;
use super::predictions::{Prediction, validate_input};
use super::state::{LoggedRequest, Shared, StoredFile, now_rfc3339};

type AppState = Arc<Shared>;

/// A 1×1 PNG, served for every output file.
const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xdf, 0xc0, 0x00,
    0x00, 0x04, 0x01, 0x01, 0x80, 0xc5, 0x2a, 0x18, 0x5d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/models", get(list_models).fallback(query_models))
        .route("/v1/models/{owner}/{name}", get(get_model))
        .route("/v1/models/{owner}/{name}/versions", get(list_versions))
        .route("/v1/models/{owner}/{name}/versions/{id}", get(get_version))
        .route(
            "/v1/models/{owner}/{name}/predictions",
            post(create_model_prediction),
        )
        .route(
            "/v1/predictions",
            post(create_prediction).get(list_predictions),
        )
        .route("/v1/predictions/{id}", get(get_prediction))
        .route("/v1/predictions/{id}/cancel", post(cancel_prediction))
        .route("/v1/files", post(upload_file).get(list_files))
        .route("/v1/files/{id}", get(get_file).delete(delete_file))
        .route("/v1/files/{id}/download", get(download_file))
        .route("/v1/search", get(search))
        .route("/files/{prediction}/{name}", get(output_file))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), gatekeeper))
        .with_state(state)
}

/// An RFC 7807 problem response.
pub(crate) fn problem(status: StatusCode, title: Option<&str>, detail: &str) -> Response {
    let mut body = json!({"detail": detail, "status": status.as_u16()});
    if let Some(title) = title {
        body["title"] = json!(title);
    }
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    resp
}

fn not_found_problem() -> Response {
    problem(StatusCode::NOT_FOUND, None, "Not found")
}

fn unauthenticated() -> Response {
    problem(
        StatusCode::UNAUTHORIZED,
        Some("Unauthenticated"),
        "You did not pass a valid authentication token",
    )
}

fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Logs every request, then applies the delay, injected faults and the token check to
/// API (`/v1/…`) requests.
async fn gatekeeper(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let headers = req.headers();
    let authorization = header_string(headers, header::AUTHORIZATION);
    let entry = LoggedRequest {
        method: req.method().as_str().to_owned(),
        path: path.clone(),
        query: req.uri().query().map(str::to_owned),
        authorization: authorization.clone(),
        content_type: header_string(headers, header::CONTENT_TYPE),
        user_agent: header_string(headers, header::USER_AGENT),
        at: Instant::now(),
    };
    let is_api = path.starts_with("/v1/");
    let (delay, fault, required) = {
        let mut inner = state.lock();
        inner.log.push(entry);
        let fault = if is_api {
            inner
                .faults
                .iter_mut()
                .find(|f| f.times > 0 && f.matches(&path))
                .map(|f| {
                    f.times -= 1;
                    f.clone()
                })
        } else {
            None
        };
        inner.faults.retain(|f| f.times > 0);
        (inner.delay, fault, inner.required_token.clone())
    };
    if !is_api {
        return next.run(req).await;
    }
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let response = api_response(req, next, delay, fault, required, authorization).await;
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

async fn api_response(
    req: Request,
    next: Next,
    delay: std::time::Duration,
    fault: Option<super::state::Fault>,
    required: Option<String>,
    authorization: Option<String>,
) -> Response {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(bytes) = fault.as_ref().and_then(|f| f.huge_body) {
        return crate::docs_host::huge_body(bytes);
    }
    if let Some(fault) = fault {
        let status =
            StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = match fault.status {
            401 => unauthenticated(),
            404 => not_found_problem(),
            429 => problem(
                status,
                Some("Too Many Requests"),
                "Request was throttled. Expected available in 1 second.",
            ),
            _ => problem(
                status,
                status.canonical_reason(),
                "The server had a problem handling this request (simulated).",
            ),
        };
        if let Some(value) = fault
            .retry_after
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return resp;
    }
    if let Some(token) = required {
        let ok = authorization.as_deref().is_some_and(|a| {
            a.strip_prefix("Bearer ")
                .or_else(|| a.strip_prefix("Token "))
                .is_some_and(|t| t == token)
        });
        if !ok {
            return unauthenticated();
        }
    }
    next.run(req).await
}

async fn not_found() -> Response {
    not_found_problem()
}

fn page(results: Vec<Value>) -> Value {
    json!({"next": null, "previous": null, "results": results})
}

async fn list_models(State(state): State<AppState>) -> Response {
    let inner = state.lock();
    axum::Json(page(
        inner.models.iter().map(FixtureModel::to_json).collect(),
    ))
    .into_response()
}

/// `QUERY /v1/models` with the search text as a `text/plain` body (the older search).
async fn query_models(State(state): State<AppState>, method: Method, body: Bytes) -> Response {
    if method.as_str() != "QUERY" {
        return problem(StatusCode::METHOD_NOT_ALLOWED, None, "Method not allowed");
    }
    let query = String::from_utf8_lossy(&body).to_string();
    let inner = state.lock();
    let hits = ranked(&inner.models, &query);
    axum::Json(page(hits.into_iter().map(|(m, _)| m.to_json()).collect())).into_response()
}

/// Models matching `query`, best first, with a score in 0..=1.
fn ranked<'a>(models: &'a [FixtureModel], query: &str) -> Vec<(&'a FixtureModel, f64)> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<(&FixtureModel, f64)> = models
        .iter()
        .filter_map(|m| {
            let haystack = format!(
                "{} {} {}",
                m.reference(),
                m.meta["description"].as_str().unwrap_or_default(),
                m.fake.tags.join(" ")
            )
            .to_lowercase();
            let found = words
                .iter()
                .filter(|w| haystack.contains(w.as_str()))
                .count();
            (found > 0).then(|| (m, found as f64 / words.len() as f64))
        })
        .collect();
    hits.sort_by(|a, b| {
        b.1.total_cmp(&a.1).then_with(|| {
            b.0.meta["run_count"]
                .as_u64()
                .cmp(&a.0.meta["run_count"].as_u64())
        })
    });
    hits
}

#[derive(serde::Deserialize)]
struct SearchParams {
    query: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/search?query=…&limit=…`: `{query, models: [{model, metadata}], collections, pages}`.
async fn search(State(state): State<AppState>, Query(params): Query<SearchParams>) -> Response {
    let inner = state.lock();
    if !inner.search_enabled {
        return not_found_problem();
    }
    let Some(query) = params.query.filter(|q| !q.trim().is_empty()) else {
        return problem(
            StatusCode::BAD_REQUEST,
            Some("Bad request"),
            "query parameter is required",
        );
    };
    let limit = params.limit.unwrap_or(20).clamp(1, 50);
    let models: Vec<Value> = ranked(&inner.models, &query)
        .into_iter()
        .take(limit)
        .map(|(m, score)| {
            json!({
                "model": m.to_json(),
                "metadata": {
                    "generated_description": m.meta["description"],
                    "score": score,
                    "tags": m.fake.tags,
                },
            })
        })
        .collect();
    axum::Json(json!({"query": query, "models": models, "collections": [], "pages": []}))
        .into_response()
}

async fn get_model(
    State(state): State<AppState>,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    let inner = state.lock();
    match inner.model(&owner, &name) {
        Some(m) => axum::Json(m.to_json()).into_response(),
        None => not_found_problem(),
    }
}

async fn list_versions(
    State(state): State<AppState>,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    let inner = state.lock();
    match inner.model(&owner, &name) {
        Some(m) if !m.versionless => {
            axum::Json(page(m.versions.iter().map(version_json).collect())).into_response()
        }
        _ => not_found_problem(),
    }
}

async fn get_version(
    State(state): State<AppState>,
    Path((owner, name, id)): Path<(String, String, String)>,
) -> Response {
    let inner = state.lock();
    let found = inner
        .model(&owner, &name)
        .filter(|m| !m.versionless)
        .and_then(|m| m.versions.iter().find(|v| v.id == id));
    match found {
        Some(v) => axum::Json(version_json(v)).into_response(),
        None => not_found_problem(),
    }
}

#[derive(serde::Deserialize)]
struct CreateBody {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    input: Value,
}

fn parse_body(body: &Bytes) -> Result<CreateBody, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(problem(
            StatusCode::BAD_REQUEST,
            Some("Invalid request body"),
            &format!("The request body is not valid JSON: {e}"),
        ))
    })
}

fn invalid_input(problems: Vec<(String, String)>) -> Response {
    let detail: String = problems
        .iter()
        .map(|(field, text)| format!("- {field}: {text}\n"))
        .collect();
    let fields: Vec<Value> = problems
        .iter()
        .map(|(field, text)| json!({"type": "invalid", "field": field, "description": text}))
        .collect();
    let body = json!({
        "title": "Input validation failed",
        "detail": detail,
        "status": 422,
        "invalid_fields": fields,
    });
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
}

/// Creates and stores a prediction; 201 with the prediction object.
fn start_prediction(
    state: &AppState,
    owner: &str,
    name: &str,
    version_id: Option<&str>,
    input: Value,
) -> Response {
    let mut inner = state.lock();
    let Some(model) = inner.model(owner, name).cloned() else {
        return not_found_problem();
    };
    let version = match version_id {
        Some(id) => model.versions.iter().find(|v| v.id == id),
        None => model.versions.first(),
    };
    let Some(version) = version.cloned() else {
        return not_found_problem();
    };
    if let Err(problems) = validate_input(&input, &model, &version) {
        return invalid_input(problems);
    }
    let label = if model.versionless {
        "hidden".to_owned()
    } else {
        version.id.clone()
    };
    let id = inner.new_id("prediction");
    let prediction = Prediction::new(id, &model, &version, label, input, &state.base_url);
    let body = prediction.to_json(&state.base_url);
    inner.predictions.insert(prediction.id.clone(), prediction);
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

/// `POST /v1/predictions {version, input}`; `version` is an id or `owner/name:id`.
async fn create_prediction(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(resp) => return *resp,
    };
    let requested = body.version.unwrap_or_default();
    let id = requested
        .rsplit_once(':')
        .map_or(requested.as_str(), |(_, id)| id);
    let owner_name = {
        let inner = state.lock();
        inner
            .models
            .iter()
            .find(|m| !m.versionless && m.versions.iter().any(|v| v.id == id))
            .map(|m| (m.owner.clone(), m.name.clone()))
    };
    match owner_name {
        Some((owner, name)) => start_prediction(&state, &owner, &name, Some(id), body.input),
        None => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Invalid version or not permitted"),
            "The specified version does not exist (or perhaps you don't have permission to use it?)",
        ),
    }
}

/// `POST /v1/models/o/n/predictions {input}`: runs the latest version.
async fn create_model_prediction(
    State(state): State<AppState>,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    match parse_body(&body) {
        Ok(b) => start_prediction(&state, &owner, &name, None, b.input),
        Err(resp) => *resp,
    }
}

async fn list_predictions(State(state): State<AppState>) -> Response {
    let inner = state.lock();
    let mut all: Vec<&Prediction> = inner.predictions.values().collect();
    all.sort_by_key(|p| std::cmp::Reverse(p.seq));
    axum::Json(page(
        all.iter().map(|p| p.to_json(&state.base_url)).collect(),
    ))
    .into_response()
}

async fn get_prediction(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let mut inner = state.lock();
    match inner.predictions.get_mut(&id) {
        Some(p) => {
            p.advance();
            axum::Json(p.to_json(&state.base_url)).into_response()
        }
        None => not_found_problem(),
    }
}

async fn cancel_prediction(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let mut inner = state.lock();
    match inner.predictions.get_mut(&id) {
        Some(p) => {
            p.cancel();
            axum::Json(p.to_json(&state.base_url)).into_response()
        }
        None => not_found_problem(),
    }
}

fn file_json(base_url: &str, f: &StoredFile) -> Value {
    use sha2::Digest;
    let sha256 = hex::encode(sha2::Sha256::digest(&f.content));
    json!({
        "id": f.id,
        "name": f.name,
        "content_type": f.content_type,
        "size": f.content.len(),
        "etag": format!("\"{}\"", &sha256[..32]),
        "checksums": {"sha256": sha256},
        "metadata": f.metadata,
        "created_at": f.created_at,
        "expires_at": null,
        "urls": {"get": format!("{base_url}/v1/files/{}", f.id)},
    })
}

/// `POST /v1/files` (multipart; the file in part `content`, optional JSON `metadata`).
async fn upload_file(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(boundary) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(multipart::boundary)
    else {
        return problem(
            StatusCode::BAD_REQUEST,
            Some("Invalid request"),
            "Expected a multipart/form-data body",
        );
    };
    let parts = multipart::parse(&body, &boundary);
    let metadata = parts
        .iter()
        .find(|p| p.name == "metadata")
        .and_then(|p| serde_json::from_slice::<Value>(&p.data).ok())
        .unwrap_or_else(|| json!({}));
    let Some(content) = parts.into_iter().find(|p| p.name == "content") else {
        return problem(
            StatusCode::BAD_REQUEST,
            Some("Invalid request"),
            "Missing multipart part \"content\"",
        );
    };
    let mut inner = state.lock();
    let (id, _) = inner.new_id("file");
    let file = StoredFile {
        id: id.clone(),
        name: content.filename.unwrap_or_else(|| "file".to_owned()),
        content_type: content
            .content_type
            .unwrap_or_else(|| "application/octet-stream".to_owned()),
        content: content.data,
        metadata,
        created_at: now_rfc3339(),
    };
    let body = file_json(&state.base_url, &file);
    inner.files.insert(id, file);
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

async fn list_files(State(state): State<AppState>) -> Response {
    let inner = state.lock();
    let mut files: Vec<&StoredFile> = inner.files.values().collect();
    files.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    axum::Json(page(
        files
            .iter()
            .map(|f| file_json(&state.base_url, f))
            .collect(),
    ))
    .into_response()
}

async fn get_file(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let inner = state.lock();
    match inner.files.get(&id) {
        Some(f) => axum::Json(file_json(&state.base_url, f)).into_response(),
        None => not_found_problem(),
    }
}

async fn delete_file(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let mut inner = state.lock();
    match inner.files.remove(&id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => not_found_problem(),
    }
}

async fn download_file(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let inner = state.lock();
    match inner.files.get(&id) {
        Some(f) => (
            [(header::CONTENT_TYPE, f.content_type.clone())],
            f.content.clone(),
        )
            .into_response(),
        None => not_found_problem(),
    }
}

/// Output files (what `replicate.delivery` serves for real): no auth, always a tiny PNG.
async fn output_file(Path((_prediction, _name)): Path<(String, String)>) -> Response {
    ([(header::CONTENT_TYPE, "image/png")], TINY_PNG).into_response()
}
