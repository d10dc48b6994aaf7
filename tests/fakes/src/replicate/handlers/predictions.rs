//! Predictions: create (on a version or a model), list, get, cancel; the output files.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{AppState, not_found_problem, page, problem};
use crate::replicate::predictions::{Prediction, validate_input};

/// A 1×1 PNG, served for every output file.
const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xdf, 0xc0, 0x00,
    0x00, 0x04, 0x01, 0x01, 0x80, 0xc5, 0x2a, 0x18, 0x5d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

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
pub(super) async fn create_prediction(State(state): State<AppState>, body: Bytes) -> Response {
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
pub(super) async fn create_model_prediction(
    State(state): State<AppState>,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    match parse_body(&body) {
        Ok(b) => start_prediction(&state, &owner, &name, None, b.input),
        Err(resp) => *resp,
    }
}

pub(super) async fn list_predictions(State(state): State<AppState>) -> Response {
    let inner = state.lock();
    let mut all: Vec<&Prediction> = inner.predictions.values().collect();
    all.sort_by_key(|p| std::cmp::Reverse(p.seq));
    axum::Json(page(
        all.iter().map(|p| p.to_json(&state.base_url)).collect(),
    ))
    .into_response()
}

pub(super) async fn get_prediction(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    with_prediction(&state, &id, |p| p.advance())
}

pub(super) async fn cancel_prediction(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    with_prediction(&state, &id, |p| p.cancel())
}

/// Applies `f` to prediction `id` and answers with its JSON, or 404.
fn with_prediction(state: &AppState, id: &str, f: impl FnOnce(&mut Prediction)) -> Response {
    let mut inner = state.lock();
    match inner.predictions.get_mut(id) {
        Some(p) => {
            f(p);
            axum::Json(p.to_json(&state.base_url)).into_response()
        }
        None => not_found_problem(),
    }
}

/// Output files (what `replicate.delivery` serves for real): no auth, always a tiny PNG.
pub(super) async fn output_file(Path((_prediction, _name)): Path<(String, String)>) -> Response {
    ([(header::CONTENT_TYPE, "image/png")], TINY_PNG).into_response()
}
