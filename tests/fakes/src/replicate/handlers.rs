//! HTTP routes of the fake Replicate API: the router, the request gate (log, delay,
//! faults, token) and RFC 7807 problems; the handlers are in `models`, `predictions`
//! and `files`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::state::{LoggedRequest, Shared};

mod files;
mod models;
mod predictions;

use files::{delete_file, download_file, get_file, list_files, upload_file};
use models::{get_model, get_version, list_models, list_versions, query_models, search};
use predictions::{
    cancel_prediction, create_model_prediction, create_prediction, get_prediction,
    list_predictions, output_file,
};

type AppState = Arc<Shared>;

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
