//! The proxy's routes that name a model or a prediction: checked against the run's policy,
//! then answered by a mock or forwarded.

use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use serde_json::json;

use super::{REFUSED_ID, Shared, forward, mock, policy};

/// `GET /v1/models/o/n[/versions[/id]]`: mocked models answer here, the rest is forwarded.
pub(super) async fn model_info(
    shared: &Shared,
    request: Request,
    model: String,
    rest: &[&str],
) -> Response {
    if let Some(refused) = policy::refuse_model(shared, &model, None, &json!({})) {
        return refused;
    }
    if shared.mock_for(&model).is_some() {
        return mock::model_info(shared, &model, rest);
    }
    forward::model_info(shared, request, model).await
}

/// `POST /v1/models/o/n/predictions`: admitted within the run's limits, then mocked or
/// forwarded.
pub(super) async fn create_for_model(shared: &Shared, request: Request, model: String) -> Response {
    if let Some(refused) = policy::refuse_model(shared, &model, None, &json!({})) {
        return refused;
    }
    let _admitted = match policy::admit(shared, &model) {
        Ok(a) => a,
        Err(refused) => return *refused,
    };
    if shared.mock_for(&model).is_some() {
        return mock::create(shared, &model, None, request).await;
    }
    forward::create(shared, request).await
}

/// `GET /v1/predictions/id` or `POST …/cancel`: only predictions this run created.
pub(super) async fn prediction(
    shared: &Shared,
    request: Request,
    id: &str,
    path: &str,
) -> Response {
    let cancel = request.method() == Method::POST;
    if mock::is_mock(shared, id) {
        return mock::get(shared, id, cancel);
    }
    if id.starts_with(REFUSED_ID) || !shared.tables().by_id.contains_key(id) {
        return policy::refuse_endpoint(
            shared,
            request.method().as_str(),
            path,
            "this run did not create that prediction",
        );
    }
    forward::prediction(shared, request, cancel).await
}
