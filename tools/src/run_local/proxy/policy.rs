//! What a run's proxy lets through (least privilege): only the calls `replicate.use()`
//! makes — model and version look-ups, creating predictions, polling and cancelling the
//! run's own predictions, uploading files and reading the run's own uploads. Anything else
//! (the account, trainings, deployments, deleting models, other people's predictions) is
//! answered 403 naming the endpoint and never reaches Replicate with the real token. A run
//! makes at most [`ProxyLimits::max_predictions`] predictions, at most
//! [`ProxyLimits::max_in_flight`] unfinished at once (then 429), of the models the host
//! allows ([`ProxyLimits::allow_models`], else 403 with the list).
//!
//! The validator's advice (and its `# noqa`) plays no part here: this is the boundary.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::{Shared, problem};

/// Default of [`ProxyLimits::max_predictions`] (`--max-predictions`).
pub const DEFAULT_MAX_PREDICTIONS: usize = 100;
/// Default of [`ProxyLimits::max_in_flight`].
pub const DEFAULT_MAX_IN_FLIGHT: usize = 16;

/// What one run may spend through its proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyLimits {
    /// Predictions a run may create (mocked ones included); then 429.
    pub max_predictions: usize,
    /// Predictions a run may have unfinished at once; then 429.
    pub max_in_flight: usize,
    /// `owner/*` or `owner/name` patterns of the models a run may call; empty: any model.
    pub allow_models: Vec<String>,
}

impl Default for ProxyLimits {
    fn default() -> Self {
        Self {
            max_predictions: DEFAULT_MAX_PREDICTIONS,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            allow_models: Vec::new(),
        }
    }
}

impl ProxyLimits {
    /// Checks an `--allow-model` pattern: `owner/*` or `owner/name`.
    pub fn check_pattern(pattern: &str) -> Result<(), String> {
        let ok = match pattern.split_once('/') {
            Some((owner, "*")) => valid_name(owner),
            Some((owner, name)) => valid_name(owner) && valid_name(name),
            None => false,
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "`{pattern}` is not a model pattern: use `owner/*` (every model of an owner) or `owner/name`"
            ))
        }
    }

    /// Whether `model` (`owner/name`) may be called.
    pub fn allows(&self, model: &str) -> bool {
        self.allow_models.is_empty()
            || self.allow_models.iter().any(|pattern| {
                match (pattern.split_once('/'), model.split_once('/')) {
                    (Some((owner, "*")), Some((model_owner, _))) => owner == model_owner,
                    _ => pattern == model,
                }
            })
    }
}

fn valid_name(part: &str) -> bool {
    !part.is_empty()
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Whether a path segment is a plain name or id (`[A-Za-z0-9._-]+`, not `.` or `..`).
pub(crate) fn plain(segment: &str) -> bool {
    valid_name(segment) && segment.chars().any(|c| c != '.')
}

/// The endpoints a pipeline may call, for the 403's text.
const ALLOWED: &str = "GET /v1/models/{owner}/{name}[/versions[/{id}]], \
POST /v1/models/{owner}/{name}/predictions, POST /v1/predictions, \
GET /v1/predictions/{id} and POST /v1/predictions/{id}/cancel of this run's predictions, \
POST /v1/files, GET /v1/files/{id} of this run's uploads";

/// 403 for an endpoint `replicate.use()` does not need; recorded in the trace.
pub(crate) fn refuse_endpoint(shared: &Shared, method: &str, path: &str, why: &str) -> Response {
    let endpoint = format!("{method} {path}");
    let detail = format!(
        "the local run's proxy refused {endpoint}: {why}. A pipeline reaches Replicate only through replicate.use(), which needs: {ALLOWED}"
    );
    tracing::info!(%endpoint, "the run's proxy refused a call");
    let started = shared.now_ms();
    shared.record_refused(endpoint, None, false, &no_inputs(), started, detail.clone());
    problem(StatusCode::FORBIDDEN, "Forbidden", &detail)
}

/// 403 for a model the host does not allow, else `None`; recorded in the trace.
pub(crate) fn refuse_model(
    shared: &Shared,
    model: &str,
    version: Option<String>,
    input: &Value,
) -> Option<Response> {
    let limits = &shared.limits;
    if limits.allows(model) {
        return None;
    }
    let detail = format!(
        "{model} is not allowed on this host; the models a run may call: {} (--allow-model)",
        limits.allow_models.join(", ")
    );
    let started = shared.now_ms();
    let input = if input.is_object() {
        input.clone()
    } else {
        no_inputs()
    };
    shared.record_refused(
        model.to_owned(),
        version,
        false,
        &input,
        started,
        detail.clone(),
    );
    Some(problem(StatusCode::FORBIDDEN, "Forbidden", &detail))
}

/// A prediction being created: counts as in flight until dropped (by then it is in the
/// trace, or it failed).
pub(crate) struct Admission<'a> {
    shared: &'a Shared,
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        let mut tables = self.shared.tables();
        tables.creating = tables.creating.saturating_sub(1);
    }
}

/// Lets one more prediction be created, or answers 429 (recorded in the trace).
pub(crate) fn admit<'a>(shared: &'a Shared, model: &str) -> Result<Admission<'a>, Box<Response>> {
    super::mock::refresh(shared);
    let limits = &shared.limits;
    let refused = {
        let mut tables = shared.tables();
        let unfinished = tables
            .records
            .iter()
            .filter(|r| !r.call.status.is_finished())
            .count()
            + tables.creating;
        if tables.admitted >= limits.max_predictions {
            Some(format!(
                "this run has already created {} predictions, the most a run may (--max-predictions {})",
                tables.admitted, limits.max_predictions
            ))
        } else if unfinished >= limits.max_in_flight {
            Some(format!(
                "this run already has {unfinished} predictions unfinished, the most a run may have at once ({}); wait for one to finish",
                limits.max_in_flight
            ))
        } else {
            tables.admitted += 1;
            tables.creating += 1;
            None
        }
    };
    match refused {
        None => Ok(Admission { shared }),
        Some(detail) => {
            let started = shared.now_ms();
            let detail = format!("the local run's proxy refused the prediction: {detail}");
            shared.record_refused(
                model.to_owned(),
                None,
                false,
                &no_inputs(),
                started,
                detail.clone(),
            );
            let mut response = problem(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests", &detail);
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, 1.into());
            Err(Box::new(response))
        }
    }
}

/// The inputs of a call refused before it had any (the trace's `inputs` is an object).
fn no_inputs() -> Value {
    Value::Object(serde_json::Map::new())
}

/// The model a `POST /v1/predictions` body names through its version, when known.
pub(crate) fn model_of_body(shared: &Shared, body: &Value) -> Option<String> {
    let version = body.get("version").and_then(Value::as_str)?;
    // `owner/name:id` or a bare id.
    if let Some((model, _)) = version.split_once(':') {
        return Some(model.to_owned());
    }
    shared.model_of_version(version)
}

/// 403 for a versioned create whose model the host cannot confirm is allowed.
pub(crate) fn refuse_unknown_version(shared: &Shared, body: &Value) -> Response {
    let version = body
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or("(none)");
    let detail = format!(
        "version {version} is not of a model this run looked up, so the proxy cannot tell whether this host allows it; the models a run may call: {} (--allow-model)",
        shared.limits.allow_models.join(", ")
    );
    let started = shared.now_ms();
    shared.record_refused(
        "(unknown model)".to_owned(),
        Some(version.to_owned()),
        false,
        body.get("input")
            .filter(|i| i.is_object())
            .unwrap_or(&no_inputs()),
        started,
        detail.clone(),
    );
    problem(StatusCode::FORBIDDEN, "Forbidden", &detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_allow_an_owner_or_one_model() {
        let limits = ProxyLimits {
            allow_models: vec!["acme/*".into(), "black-forest-labs/flux-schnell".into()],
            ..ProxyLimits::default()
        };
        assert!(limits.allows("acme/pixel-forge"));
        assert!(limits.allows("black-forest-labs/flux-schnell"));
        assert!(!limits.allows("black-forest-labs/flux-pro"));
        assert!(!limits.allows("acmex/pixel-forge"));
        assert!(!limits.allows("evil/acme"));
        assert!(ProxyLimits::default().allows("anyone/anything"));
        for good in [
            "acme",
            "flux-1.1-pro",
            "a_b",
            "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa",
        ] {
            assert!(plain(good), "{good}");
        }
        for bad in ["", ".", "..", "..%2Faccount", "a b", "x%2F"] {
            assert!(!plain(bad), "{bad}");
        }
        for good in ["acme/*", "a-b_c.d/e-f"] {
            assert!(ProxyLimits::check_pattern(good).is_ok(), "{good}");
        }
        for bad in [
            "acme", "*/*", "acme/*/x", "/x", "acme/", "ac me/x", "acme/x*",
        ] {
            assert!(ProxyLimits::check_pattern(bad).is_err(), "{bad}");
        }
    }
}
