//! Inputs: `{name: value}` JSON, the CLI's `key=value` / `key=@file` form, type checks
//! against the run() signature before anything starts, and local files → `data:` URIs.
//! `kv` parses the CLI form; `files` embeds local files.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::RunError;
use crate::schema::{InputType, Scalar};

mod files;
mod kv;

pub(crate) use files::{embed_files, resolve_local};
pub use kv::parse_kv_inputs;

/// Inputs by name, as sent in `POST /predictions {"input": …}`.
pub type RunInputs = Map<String, Value>;

/// The parameters of the pipeline's run(), as the validator parsed them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunSignature {
    /// The parameters, in order.
    pub params: Vec<RunParam>,
}

/// One parameter of run().
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunParam {
    /// The parameter name.
    pub name: String,
    /// Its annotation as written: `str`, `int`, `float`, `bool`, `Path`, `cog.Path`,
    /// `Secret`, `list[str]`, `Optional[int]`, `int | None`, … Unknown annotations are not checked.
    pub python_type: String,
    /// True when it has no default.
    pub required: bool,
    /// `Input(choices=[…])`, if given.
    #[schemars(with = "Option<Vec<crate::schema::types::JsonScalar>>")]
    pub choices: Option<Vec<Value>>,
}

impl RunSignature {
    fn param(&self, name: &str) -> Option<&RunParam> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// `T` when the type is `T | None` (or `Optional[T]`) for one `T`.
fn optional_inner(ty: &InputType) -> Option<InputType> {
    match ty {
        InputType::Union(members) if members.len() == 2 && ty.accepts_null() => Some(ty.non_null()),
        _ => None,
    }
}

/// The type without its `Optional`.
fn strip_optional(ty: &InputType) -> InputType {
    optional_inner(ty).unwrap_or_else(|| ty.clone())
}

/// Whether values are checked against the type (other annotations take anything).
fn checked(ty: &InputType) -> bool {
    matches!(
        ty,
        InputType::Scalar(_) | InputType::File | InputType::List(Some(_))
    ) || optional_inner(ty).is_some()
}

/// What the type takes, in words.
fn describe(ty: &InputType) -> String {
    if let Some(inner) = optional_inner(ty) {
        return format!("{} or null", describe(&inner));
    }
    match ty {
        InputType::Scalar(Scalar::Str | Scalar::Secret) => "a string".into(),
        InputType::Scalar(Scalar::Int) => "an integer".into(),
        InputType::Scalar(Scalar::Float) => "a number".into(),
        InputType::Scalar(Scalar::Bool) => "true or false".into(),
        InputType::Scalar(Scalar::Path) | InputType::File => "a file (path or URL)".into(),
        InputType::List(Some(item)) => format!("a list (items: {})", describe(item)),
        _ => "anything".into(),
    }
}

/// True when `value` fits (leniently, as cog's pydantic does: "3" is an int; a `Secret`
/// is sent as a string).
fn accepts(ty: &InputType, value: &Value) -> bool {
    if let Some(inner) = optional_inner(ty) {
        return value.is_null() || accepts(&inner, value);
    }
    match (ty, value) {
        (InputType::Scalar(Scalar::Str | Scalar::Secret | Scalar::Path), Value::String(_))
        | (InputType::File, Value::String(_))
        | (InputType::Scalar(Scalar::Float), Value::Number(_))
        | (InputType::Scalar(Scalar::Bool), Value::Bool(_)) => true,
        (InputType::Scalar(Scalar::Int), Value::Number(n)) => n.is_i64() || n.is_u64(),
        (InputType::Scalar(Scalar::Int), Value::String(s)) => s.trim().parse::<i64>().is_ok(),
        (InputType::Scalar(Scalar::Float), Value::String(s)) => s.trim().parse::<f64>().is_ok(),
        (InputType::Scalar(Scalar::Bool), Value::String(s)) => parse_bool(s).is_some(),
        (InputType::List(Some(item)), Value::Array(items)) => {
            items.iter().all(|i| accepts(item, i))
        }
        (ty, _) => !checked(ty),
    }
}

/// Checks `inputs` against `signature`: unknown names, missing required inputs, wrong
/// types and values outside `choices`. All problems are reported at once.
pub fn check_inputs(inputs: &RunInputs, signature: &RunSignature) -> Result<(), RunError> {
    let mut problems = Vec::new();
    for (name, value) in inputs {
        let Some(param) = signature.param(name) else {
            let names: Vec<&str> = signature.params.iter().map(|p| p.name.as_str()).collect();
            let hint = names
                .iter()
                .filter(|n| strsim::jaro_winkler(n, name) > 0.8)
                .max_by(|a, b| {
                    strsim::jaro_winkler(a, name).total_cmp(&strsim::jaro_winkler(b, name))
                })
                .map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            problems.push(format!(
                "`{name}` is not a parameter of run(){hint}; parameters: {}",
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ));
            continue;
        };
        let ty = InputType::parse(&param.python_type);
        if value.is_null() && checked(&ty) && optional_inner(&ty).is_none() {
            problems.push(format!(
                "`{name}` is null but run() declares `{}`",
                param.python_type
            ));
        } else if !accepts(&ty, value) {
            problems.push(format!(
                "`{name}` must be {} (run() declares `{}`), got {}",
                describe(&ty),
                param.python_type,
                short(value)
            ));
        } else if let Some(choices) = &param.choices
            && !value.is_null()
            && !choices.iter().any(|c| same(c, value))
        {
            let listed: Vec<String> = choices.iter().map(short).collect();
            problems.push(format!(
                "`{name}` must be one of {}, got {}",
                listed.join(", "),
                short(value)
            ));
        }
    }
    for param in &signature.params {
        if param.required && !inputs.contains_key(&param.name) {
            problems.push(format!(
                "`{}` is required (type `{}`)",
                param.name, param.python_type
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RunError::InvalidInputs { problems })
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Number(x), Value::String(s)) | (Value::String(s), Value::Number(x)) => {
            s.trim().parse::<f64>().ok() == x.as_f64()
        }
        _ => a == b,
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

/// The strings pydantic (cog's validation) accepts as booleans.
fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "on" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "off" | "0" => Some(false),
        _ => None,
    }
}

fn absolute(base: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

fn is_url(text: &str) -> bool {
    ["http://", "https://", "data:"]
        .iter()
        .any(|p| text.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(super) fn sig() -> RunSignature {
        let p = |name: &str, ty: &str, required: bool, choices: Option<Vec<Value>>| RunParam {
            name: name.into(),
            python_type: ty.into(),
            required,
            choices,
        };
        RunSignature {
            params: vec![
                p("prompt", "str", true, None),
                p("steps", "int", false, None),
                p("scale", "float", false, None),
                p("fast", "bool", false, None),
                p("image", "cog.Path", false, None),
                p("seeds", "list[int]", false, None),
                p(
                    "size",
                    "str",
                    false,
                    Some(vec![json!("small"), json!("large")]),
                ),
                p("seed", "Optional[int]", false, None),
            ],
        }
    }

    fn problems(result: Result<(), RunError>) -> Vec<String> {
        match result {
            Err(RunError::InvalidInputs { problems }) => problems,
            other => panic!("expected InvalidInputs, got {other:?}"),
        }
    }

    #[test]
    fn accepts_well_typed_inputs() {
        let inputs = json!({"prompt": "a cat", "steps": 4, "scale": 1, "fast": true, "seeds": [1, 2], "size": "large", "seed": null});
        check_inputs(inputs.as_object().unwrap(), &sig()).unwrap();
    }

    #[test]
    fn reports_every_problem_at_once() {
        let inputs =
            json!({"promt": "x", "steps": 1.5, "fast": "maybe", "size": "huge", "seeds": [1, "a"]});
        let found = problems(check_inputs(inputs.as_object().unwrap(), &sig()));
        assert_eq!(found.len(), 6, "{found:#?}");
        assert!(found.iter().any(|p| p.contains("`promt` is not a parameter of run() (did you mean `prompt`?)")), "{found:#?}");
        assert!(found.iter().any(|p| p.contains("`prompt` is required")));
        assert!(
            found
                .iter()
                .any(|p| p.contains("one of \"small\", \"large\""))
        );
    }
}
