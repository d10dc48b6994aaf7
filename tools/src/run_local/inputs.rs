//! Inputs: `{name: value}` JSON, the CLI's `key=value` / `key=@file` form, type checks
//! against the run() signature before anything starts, and local files → `data:` URIs.
//! `kv` parses the CLI form; `files` embeds local files.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::RunError;

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

/// A simplified Python annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PyType {
    Str,
    Int,
    Float,
    Bool,
    Path,
    List(Box<PyType>),
    Optional(Box<PyType>),
    Unknown,
}

impl PyType {
    fn parse(annotation: &str) -> Self {
        let text = annotation.trim();
        if let Some((a, b)) = text.split_once('|') {
            let (a, b) = (a.trim(), b.trim());
            return match (a, b) {
                ("None", other) | (other, "None") => Self::Optional(Box::new(Self::parse(other))),
                _ => Self::Unknown,
            };
        }
        let text = text
            .strip_prefix("typing.")
            .or_else(|| text.strip_prefix("cog."))
            .or_else(|| text.strip_prefix("pathlib."))
            .unwrap_or(text);
        if let Some(inner) = generic(text, &["Optional"]) {
            return Self::Optional(Box::new(Self::parse(inner)));
        }
        if let Some(inner) = generic(text, &["list", "List"]) {
            return Self::List(Box::new(Self::parse(inner)));
        }
        match text {
            "str" | "Secret" => Self::Str,
            "int" => Self::Int,
            "float" => Self::Float,
            "bool" => Self::Bool,
            "Path" | "File" => Self::Path,
            _ => Self::Unknown,
        }
    }

    fn name(&self) -> String {
        match self {
            Self::Str => "a string".into(),
            Self::Int => "an integer".into(),
            Self::Float => "a number".into(),
            Self::Bool => "true or false".into(),
            Self::Path => "a file (path or URL)".into(),
            Self::List(inner) => format!("a list (items: {})", inner.name()),
            Self::Optional(inner) => format!("{} or null", inner.name()),
            Self::Unknown => "anything".into(),
        }
    }

    /// True when `value` fits (leniently, as cog's pydantic does: "3" is an int).
    fn accepts(&self, value: &Value) -> bool {
        match (self, value) {
            (Self::Unknown, _) => true,
            (Self::Optional(_), Value::Null) => true,
            (Self::Optional(inner), other) => inner.accepts(other),
            (Self::Str | Self::Path, Value::String(_)) => true,
            (Self::Int, Value::Number(n)) => n.is_i64() || n.is_u64(),
            (Self::Int, Value::String(s)) => s.trim().parse::<i64>().is_ok(),
            (Self::Float, Value::Number(_)) => true,
            (Self::Float, Value::String(s)) => s.trim().parse::<f64>().is_ok(),
            (Self::Bool, Value::Bool(_)) => true,
            (Self::Bool, Value::String(s)) => parse_bool(s).is_some(),
            (Self::List(inner), Value::Array(items)) => items.iter().all(|i| inner.accepts(i)),
            _ => false,
        }
    }

    fn is_file(&self) -> bool {
        match self {
            Self::Path => true,
            Self::List(inner) | Self::Optional(inner) => inner.is_file(),
            _ => false,
        }
    }
}

fn generic<'a>(text: &'a str, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|name| {
        text.strip_prefix(name)?
            .strip_prefix('[')?
            .strip_suffix(']')
    })
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
        let ty = PyType::parse(&param.python_type);
        if value.is_null() && !matches!(ty, PyType::Optional(_) | PyType::Unknown) {
            problems.push(format!(
                "`{name}` is null but run() declares `{}`",
                param.python_type
            ));
        } else if !ty.accepts(value) {
            problems.push(format!(
                "`{name}` must be {} (run() declares `{}`), got {}",
                ty.name(),
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
