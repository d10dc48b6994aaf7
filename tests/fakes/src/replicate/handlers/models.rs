//! Models, versions and search (`GET /v1/search`, `QUERY /v1/models`).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{AppState, not_found_problem, page, problem};
use crate::replicate::fixtures::{FixtureModel, version_json};

pub(super) async fn list_models(State(state): State<AppState>) -> Response {
    let inner = state.lock();
    axum::Json(page(
        inner.models.iter().map(FixtureModel::to_json).collect(),
    ))
    .into_response()
}

/// `QUERY /v1/models` with the search text as a `text/plain` body (the older search).
pub(super) async fn query_models(
    State(state): State<AppState>,
    method: Method,
    body: Bytes,
) -> Response {
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
pub(super) struct SearchParams {
    query: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/search?query=…&limit=…`: `{query, models: [{model, metadata}], collections, pages}`.
pub(super) async fn search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Response {
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

pub(super) async fn get_model(
    State(state): State<AppState>,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    let inner = state.lock();
    match inner.model(&owner, &name) {
        Some(m) => axum::Json(m.to_json()).into_response(),
        None => not_found_problem(),
    }
}

pub(super) async fn list_versions(
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

pub(super) async fn get_version(
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
