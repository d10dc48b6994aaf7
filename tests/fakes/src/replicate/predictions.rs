//! Predictions: input validation, deterministic outputs, the status machine.
//!
//! A prediction is `starting` when created, `processing` (with partial output and logs)
//! after the first poll, and terminal (`succeeded` or `failed`) from the second poll on.
//! A cancel makes it `canceled` at once.

use serde_json::{Map, Value, json};

use super::fixtures::{FixtureModel, FixtureVersion};
use super::state::now_rfc3339;

/// The marker that makes a prediction fail when it appears in a string input.
pub const FAIL_MARKER: &str = "FAIL_PREDICTION";

pub(crate) struct Prediction {
    pub seq: u64,
    pub id: String,
    pub model: String,
    pub version: String,
    pub input: Value,
    pub created_at: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub polls: u32,
    pub canceled: bool,
    pub output: Value,
    pub logs: String,
    pub error: Option<String>,
}

impl Prediction {
    /// Creates a prediction of `version` of `model`. `version_label` is the id, or
    /// `"hidden"` for versionless models.
    pub fn new(
        (id, seq): (String, u64),
        model: &FixtureModel,
        version: &FixtureVersion,
        version_label: String,
        input: Value,
        base_url: &str,
    ) -> Prediction {
        let merged = with_defaults(&input, model, version);
        let fail = wants_failure(&input);
        let logs = substitute(&model.fake.logs, &merged, base_url, &id);
        let (output, logs, error) = if fail {
            (
                Value::Null,
                format!(
                    "{logs}Traceback (most recent call last):\n  File \"predict.py\", line 12, in run\nRuntimeError: simulated failure\n"
                ),
                Some("RuntimeError: simulated failure (requested by the input)".to_owned()),
            )
        } else {
            (
                render(&model.fake.output, &merged, base_url, &id),
                logs,
                None,
            )
        };
        Prediction {
            seq,
            id,
            model: model.reference(),
            version: version_label,
            input,
            created_at: now_rfc3339(),
            started_at: None,
            completed_at: None,
            polls: 0,
            canceled: false,
            output,
            logs,
            error,
        }
    }

    pub fn status(&self) -> &'static str {
        if self.canceled {
            return "canceled";
        }
        match self.polls {
            0 => "starting",
            1 => "processing",
            _ if self.error.is_some() => "failed",
            _ => "succeeded",
        }
    }

    fn is_terminal(&self) -> bool {
        matches!(self.status(), "succeeded" | "failed" | "canceled")
    }

    /// One poll (`GET /v1/predictions/{id}`) moves the prediction one step on.
    pub fn advance(&mut self) {
        if self.is_terminal() {
            return;
        }
        self.polls += 1;
        if self.started_at.is_none() {
            self.started_at = Some(now_rfc3339());
        }
        if self.is_terminal() {
            self.completed_at = Some(now_rfc3339());
        }
    }

    pub fn cancel(&mut self) {
        if !self.is_terminal() {
            self.canceled = true;
            self.completed_at = Some(now_rfc3339());
        }
    }

    pub fn to_json(&self, base_url: &str) -> Value {
        let status = self.status();
        let (output, logs, error) = match status {
            "starting" => (Value::Null, String::new(), Value::Null),
            "processing" => (
                partial(&self.output),
                self.logs
                    .lines()
                    .next()
                    .map(|l| format!("{l}\n"))
                    .unwrap_or_default(),
                Value::Null,
            ),
            "canceled" => (Value::Null, self.logs.clone(), Value::Null),
            _ => (
                self.output.clone(),
                self.logs.clone(),
                self.error.clone().map(Value::String).unwrap_or(Value::Null),
            ),
        };
        let metrics = if status == "succeeded" {
            json!({"predict_time": 0.012, "total_time": 0.034})
        } else {
            json!({})
        };
        json!({
            "id": self.id,
            "model": self.model,
            "version": self.version,
            "input": self.input,
            "logs": logs,
            "output": output,
            "data_removed": false,
            "error": error,
            "status": status,
            "source": "api",
            "created_at": self.created_at,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
            "metrics": metrics,
            "urls": {
                "get": format!("{base_url}/v1/predictions/{}", self.id),
                "cancel": format!("{base_url}/v1/predictions/{}/cancel", self.id),
                "web": format!("https://replicate.com/p/{}", self.id),
            },
        })
    }
}

/// Half of a list output (what a streaming model has produced so far); nothing otherwise.
fn partial(output: &Value) -> Value {
    match output {
        Value::Array(items) => Value::Array(items[..items.len().div_ceil(2)].to_vec()),
        _ => Value::Null,
    }
}

fn wants_failure(input: &Value) -> bool {
    let Some(map) = input.as_object() else {
        return false;
    };
    map.get("fail") == Some(&Value::Bool(true))
        || map
            .values()
            .any(|v| v.as_str().is_some_and(|s| s.contains(FAIL_MARKER)))
}

/// Resolves `allOf: [{$ref}]` of one property against the schema's components.
fn resolve<'a>(schema: &'a Value, prop: &'a Value) -> Vec<&'a Value> {
    let mut parts = vec![prop];
    if let Some(all) = prop.get("allOf").and_then(Value::as_array) {
        for item in all {
            if let Some(target) = item
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .and_then(|name| schema.pointer(&format!("/components/schemas/{name}")))
            {
                parts.push(target);
            }
        }
    }
    parts
}

fn with_defaults(input: &Value, model: &FixtureModel, version: &FixtureVersion) -> Value {
    let mut merged: Map<String, Value> = Map::new();
    for (name, prop) in model.input_properties(version) {
        if let Some(default) = prop.get("default") {
            merged.insert(name, default.clone());
        }
    }
    if let Some(map) = input.as_object() {
        for (k, v) in map {
            merged.insert(k.clone(), v.clone());
        }
    }
    Value::Object(merged)
}

/// Checks required inputs, enums and basic types like the real API (422 on failure).
/// Returns one line per problem, in the API's `- input.field: …` style.
pub fn validate_input(
    input: &Value,
    model: &FixtureModel,
    version: &FixtureVersion,
) -> Result<(), Vec<(String, String)>> {
    let schema = &version.openapi_schema;
    let empty = Map::new();
    let given = input.as_object().unwrap_or(&empty);
    let required: Vec<&str> = schema
        .pointer("/components/schemas/Input/required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut problems = Vec::new();
    for name in &required {
        if !given.contains_key(*name) {
            problems.push(("input".to_owned(), format!("{name} is required")));
        }
    }
    for (name, prop) in model.input_properties(version) {
        let Some(value) = given.get(&name) else {
            continue;
        };
        for part in resolve(schema, &prop) {
            if let Some(choices) = part.get("enum").and_then(Value::as_array)
                && !choices.contains(value)
            {
                {
                    let allowed: Vec<String> = choices.iter().map(Value::to_string).collect();
                    problems.push((
                        format!("input.{name}"),
                        format!(
                            "{name} must be one of the following: {}",
                            allowed.join(", ")
                        ),
                    ));
                }
            }
            if let Some(ty) = part.get("type").and_then(Value::as_str) {
                let ok = match ty {
                    "string" => value.is_string(),
                    "integer" => value.is_i64() || value.is_u64(),
                    "number" => value.is_number(),
                    "boolean" => value.is_boolean(),
                    "array" => value.is_array(),
                    "object" => value.is_object(),
                    _ => true,
                };
                if !ok {
                    problems.push((
                        format!("input.{name}"),
                        format!("Invalid type. Expected: {ty}, given: {}", json_type(value)),
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn render(template: &Value, input: &Value, base_url: &str, id: &str) -> Value {
    match template {
        Value::String(s) => {
            if let Some(spec) = s.strip_prefix("{files:").and_then(|r| r.strip_suffix('}')) {
                return file_list(spec, input, base_url, id);
            }
            Value::String(substitute(s, input, base_url, id))
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| render(i, input, base_url, id))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), render(v, input, base_url, id)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn file_list(spec: &str, input: &Value, base_url: &str, id: &str) -> Value {
    let (count_input, ext_input) = spec.split_once(':').unwrap_or((spec, ""));
    let count = input.get(count_input).and_then(Value::as_u64).unwrap_or(1);
    let ext = input
        .get(ext_input)
        .and_then(Value::as_str)
        .unwrap_or(ext_input);
    let ext = if ext.is_empty() { "png" } else { ext };
    Value::Array(
        (0..count)
            .map(|i| Value::String(format!("{base_url}/files/{id}/out-{i}.{ext}")))
            .collect(),
    )
}

/// Replaces `{input.NAME}` and `{file:NAME}` in a template string.
fn substitute(template: &str, input: &Value, base_url: &str, id: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let Some(end) = after.find('}') else {
            out.push_str(after);
            return out;
        };
        let token = &after[1..end];
        if let Some(name) = token.strip_prefix("input.") {
            match input.get(name) {
                Some(Value::String(s)) => out.push_str(s),
                Some(v) => out.push_str(&v.to_string()),
                None => {}
            }
        } else if let Some(name) = token.strip_prefix("file:") {
            out.push_str(&format!("{base_url}/files/{id}/{name}"));
        } else {
            out.push_str(&after[..=end]);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}
