//! Inputs: `{name: value}` JSON, the CLI's `key=value` / `key=@file` form, type checks
//! against the run() signature before anything starts, and local files → `data:` URIs.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::data_uri;
use super::error::RunError;

/// Inputs by name, as sent in `POST /predictions {"input": …}`.
pub type RunInputs = Map<String, Value>;

/// The largest local file sent as an input.
const MAX_INPUT_FILE: u64 = 100 * 1024 * 1024;

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
            .map(|p| PyType::parse(&p.python_type));
        let value = match typed_value(key, raw, ty.as_ref(), base_dir) {
            Ok(value) => value,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let is_list = matches!(ty.as_ref().map(strip_optional), Some(PyType::List(_)));
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

fn strip_optional(ty: &PyType) -> &PyType {
    match ty {
        PyType::Optional(inner) => inner,
        other => other,
    }
}

fn typed_value(
    key: &str,
    raw: &str,
    ty: Option<&PyType>,
    base_dir: &Path,
) -> Result<Value, String> {
    let file = raw.strip_prefix('@').map(|f| absolute(base_dir, f));
    let Some(ty) = ty else {
        return Ok(match file {
            Some(path) => Value::String(format!("file://{}", path.display())),
            None => Value::String(raw.to_owned()),
        });
    };
    let ty = strip_optional(ty);
    if let Some(path) = file {
        return match ty {
            PyType::Path | PyType::Unknown => Ok(Value::String(path.display().to_string())),
            PyType::List(inner) if inner.is_file() => Ok(Value::Array(vec![Value::String(
                path.display().to_string(),
            )])),
            other => Err(format!(
                "`{key}=@…` sends a file, but `{key}` must be {}",
                other.name()
            )),
        };
    }
    let bad = |ty: &PyType| format!("`{key}={raw}`: `{key}` must be {}", ty.name());
    match ty {
        PyType::Int => raw
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| bad(ty)),
        PyType::Float => raw
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| bad(ty)),
        PyType::Bool => parse_bool(raw).map(Value::Bool).ok_or_else(|| bad(ty)),
        PyType::Path => Ok(Value::String(if is_url(raw) {
            raw.to_owned()
        } else {
            absolute(base_dir, raw).display().to_string()
        })),
        PyType::List(inner) => {
            if raw.trim_start().starts_with('[') {
                serde_json::from_str::<Value>(raw)
                    .map_err(|e| format!("`{key}`: not a JSON list: {e}"))
            } else {
                typed_value(key, raw, Some(inner), base_dir).map(|v| Value::Array(vec![v]))
            }
        }
        PyType::Str | PyType::Optional(_) | PyType::Unknown => Ok(Value::String(raw.to_owned())),
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

/// Replaces local files given for file parameters (or as `file://` URIs) by `data:` URIs.
/// Relative paths are relative to the project directory. With `roots`, a file must lie
/// inside one of them (the same confinement as project paths; none: no local files).
pub(crate) fn embed_files(
    inputs: &mut RunInputs,
    signature: Option<&RunSignature>,
    project_dir: &Path,
    roots: Option<&[PathBuf]>,
) -> Result<(), RunError> {
    let mut problems = Vec::new();
    for (name, value) in inputs.iter_mut() {
        let is_file_param = signature
            .and_then(|s| s.param(name))
            .is_some_and(|p| PyType::parse(&p.python_type).is_file());
        let at = Place {
            dir: project_dir,
            roots,
            name,
        };
        embed(value, is_file_param, &at, &mut problems);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RunError::InvalidInputs { problems })
    }
}

/// Where an input's files are looked up.
struct Place<'a> {
    dir: &'a Path,
    roots: Option<&'a [PathBuf]>,
    name: &'a str,
}

fn embed(value: &mut Value, is_file_param: bool, at: &Place<'_>, problems: &mut Vec<String>) {
    let name = at.name;
    match value {
        Value::Array(items) => {
            for item in items {
                embed(item, is_file_param, at, problems);
            }
        }
        Value::String(text) => {
            let local = match text.strip_prefix("file://") {
                Some(path) => Some(path.to_owned()),
                None if is_file_param && !is_url(text) => Some(text.clone()),
                None => None,
            };
            let Some(local) = local else {
                return;
            };
            let mut path = absolute(at.dir, &local);
            if let Some(roots) = at.roots {
                match crate::validate::confine(&path, roots) {
                    Ok(real) => path = real,
                    Err(_) if roots.is_empty() => {
                        problems.push(format!(
                            "`{name}`: {} is a path on the server's disk, which this hosted server does not read; pass the file as a URL or a data: URI",
                            path.display()
                        ));
                        return;
                    }
                    Err(e) => {
                        problems.push(format!(
                            "`{name}`: {e}; file inputs must lie inside the allowed directories like the project (copy the file there)"
                        ));
                        return;
                    }
                }
            }
            match read_limited(&path) {
                Ok(bytes) => {
                    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    let media_type = super::sniff::media_type(&bytes)
                        .unwrap_or_else(|| data_uri::media_type_for(file_name));
                    *text = data_uri::encode(media_type, &bytes);
                }
                Err(why) => {
                    problems.push(format!("`{name}`: cannot read {}: {why}", path.display()))
                }
            }
        }
        _ => {}
    }
}

fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a file".into());
    }
    if meta.len() > MAX_INPUT_FILE {
        return Err(format!("larger than {} MiB", MAX_INPUT_FILE / 1024 / 1024));
    }
    std::fs::read(path).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sig() -> RunSignature {
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

    #[test]
    fn local_files_are_embedded_as_data_uris() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("in.txt"), "hi").unwrap();
        let mut inputs = json!({"image": "in.txt", "prompt": "in.txt", "other": format!("file://{}/in.txt", dir.path().display())})
            .as_object()
            .unwrap()
            .clone();
        embed_files(&mut inputs, Some(&sig()), dir.path(), None).unwrap();
        assert_eq!(inputs["image"], "data:text/plain;base64,aGk=");
        assert_eq!(inputs["other"], "data:text/plain;base64,aGk=");
        assert_eq!(inputs["prompt"], "in.txt");
        let mut missing = json!({"image": "nope.png"}).as_object().unwrap().clone();
        assert!(embed_files(&mut missing, Some(&sig()), dir.path(), None).is_err());
        // Outside the roots: refused, whatever the file is.
        let mut outside = json!({"image": "/etc/passwd"}).as_object().unwrap().clone();
        let roots = [dir.path().to_path_buf()];
        let Err(RunError::InvalidInputs { problems }) =
            embed_files(&mut outside, Some(&sig()), dir.path(), Some(&roots))
        else {
            panic!("/etc/passwd was read")
        };
        assert!(problems[0].contains("image"), "{problems:?}");
        assert_eq!(outside["image"], "/etc/passwd");
        let mut inside = json!({"image": "in.txt"}).as_object().unwrap().clone();
        embed_files(&mut inside, Some(&sig()), dir.path(), Some(&roots)).unwrap();
        let mut hosted = json!({"image": "in.txt"}).as_object().unwrap().clone();
        assert!(embed_files(&mut hosted, Some(&sig()), dir.path(), Some(&[])).is_err());
    }
}
