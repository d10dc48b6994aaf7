//! Files: upload (multipart), list, get, delete, download.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{AppState, not_found_problem, page, problem};
use crate::replicate::multipart;
use crate::replicate::state::{StoredFile, now_rfc3339};

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
pub(super) async fn upload_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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

pub(super) async fn list_files(State(state): State<AppState>) -> Response {
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

pub(super) async fn get_file(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let inner = state.lock();
    match inner.files.get(&id) {
        Some(f) => axum::Json(file_json(&state.base_url, f)).into_response(),
        None => not_found_problem(),
    }
}

pub(super) async fn delete_file(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let mut inner = state.lock();
    match inner.files.remove(&id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => not_found_problem(),
    }
}

pub(super) async fn download_file(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
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
