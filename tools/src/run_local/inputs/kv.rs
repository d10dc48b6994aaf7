//! The CLI's `key=value` / `key=@file` inputs, typed by the run() signature.

use std::path::Path;

use serde_json::Value;

use super::{
    RunInputs, RunSignature, absolute, checked, describe, is_url, parse_bool, strip_optional,
};
use crate::run_local::error::RunError;
use crate::schema::{InputType, Scalar};

/// Parses CLI inputs `key=value` and `key=@file` into JSON inputs.
///
/// With a signature, values are typed by the parameter's annotation (int, float, bool, str,
/// Path; a list parameter collects repeated keys or takes a JSON array) and `@file` is allowed
/// only for file parameters. `@file` becomes an absolute path (relative to `base_dir`); without
/// a signature entry for the key it becomes a `file://` URI so the runner knows to send the file.
pub fn parse_kv_inputs<S: AsRef<str>>(
    args: &[S],
    signature: Option<&RunSignature>,
    base_dir: &Path,
) -> Result<RunInputs, RunError> {
    let mut inputs = RunInputs::new();
    let mut problems = Vec::new();
    for arg in args {
        let arg = arg.as_ref();
        let Some((key, raw)) = arg.split_once('=') else {
            problems.push(format!("`{arg}` is not key=value"));
            continue;
        };
        let key = key.trim();
        if key.is_empty() {
            problems.push(format!("`{arg}` has an empty key"));
            continue;
        }
        let ty = signature
            .and_then(|s| s.param(key))
            .map(|p| InputType::parse(&p.python_type));
        let value = match typed_value(key, raw, ty.as_ref(), base_dir) {
            Ok(value) => value,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let is_list = matches!(
            ty.as_ref().map(strip_optional),
            Some(InputType::List(Some(_)))
        );
        match (inputs.get_mut(key), value) {
            (Some(Value::Array(items)), Value::Array(more)) if is_list => items.extend(more),
            (Some(_), _) => problems.push(format!("`{key}` is given more than once")),
            (None, value) => {
                inputs.insert(key.to_owned(), value);
            }
        }
    }
    if problems.is_empty() {
        Ok(inputs)
    } else {
        Err(RunError::InvalidInputs { problems })
    }
}

fn typed_value(
    key: &str,
    raw: &str,
    ty: Option<&InputType>,
    base_dir: &Path,
) -> Result<Value, String> {
    let file = raw.strip_prefix('@').map(|f| absolute(base_dir, f));
    let Some(ty) = ty else {
        return Ok(match file {
            Some(path) => Value::String(format!("file://{}", path.display())),
            None => Value::String(raw.to_owned()),
        });
    };
    let ty = &strip_optional(ty);
    if let Some(path) = file {
        return match ty {
            InputType::Scalar(Scalar::Path) | InputType::File => {
                Ok(Value::String(path.display().to_string()))
            }
            InputType::List(Some(inner)) if inner.is_file() => {
                Ok(Value::Array(vec![Value::String(
                    path.display().to_string(),
                )]))
            }
            other if !checked(other) => Ok(Value::String(path.display().to_string())),
            other => Err(format!(
                "`{key}=@…` sends a file, but `{key}` must be {}",
                describe(other)
            )),
        };
    }
    let bad = |ty: &InputType| format!("`{key}={raw}`: `{key}` must be {}", describe(ty));
    match ty {
        InputType::Scalar(Scalar::Int) => raw
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| bad(ty)),
        InputType::Scalar(Scalar::Float) => raw
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| bad(ty)),
        InputType::Scalar(Scalar::Bool) => parse_bool(raw).map(Value::Bool).ok_or_else(|| bad(ty)),
        InputType::Scalar(Scalar::Path) | InputType::File => Ok(Value::String(if is_url(raw) {
            raw.to_owned()
        } else {
            absolute(base_dir, raw).display().to_string()
        })),
        InputType::List(Some(inner)) => {
            if raw.trim_start().starts_with('[') {
                serde_json::from_str::<Value>(raw)
                    .map_err(|e| format!("`{key}`: not a JSON list: {e}"))
            } else {
                typed_value(key, raw, Some(inner), base_dir).map(|v| Value::Array(vec![v]))
            }
        }
        _ => Ok(Value::String(raw.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::sig;
    use super::*;
    use serde_json::json;

    #[test]
    fn kv_inputs_are_typed_by_the_signature() {
        let dir = Path::new("/proj");
        let args = [
            "prompt=a=b",
            "steps=3",
            "scale=0.5",
            "fast=no",
            "image=@in.png",
            "seeds=1",
            "seeds=2",
            "other=@x.bin",
        ];
        let inputs = parse_kv_inputs(&args, Some(&sig()), dir).unwrap();
        assert_eq!(
            Value::Object(inputs),
            json!({"prompt": "a=b", "steps": 3, "scale": 0.5, "fast": false, "image": "/proj/in.png",
                   "seeds": [1, 2], "other": "file:///proj/x.bin"})
        );
    }

    #[test]
    fn kv_inputs_report_bad_values() {
        let err = parse_kv_inputs(
            &["steps=many", "prompt=@f.txt", "novalue", "steps=1"],
            Some(&sig()),
            Path::new("/"),
        );
        let Err(RunError::InvalidInputs { problems }) = err else {
            panic!()
        };
        assert_eq!(problems.len(), 3, "{problems:#?}");
    }
}
