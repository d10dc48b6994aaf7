//! cog's input validation, as on Replicate: before the server starts, the run writes the
//! project's OpenAPI schema to `.cog/openapi_schema.json` in its copy of the project (what
//! `cog build` does), so the server refuses inputs the schema does not accept (422); and the
//! 422's `detail` becomes one line per refused input, naming the value and the constraint.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::child::{ChildSpec, GroupChild};
use super::inputs::RunInputs;
use super::sandbox::SandboxSpec;

/// The generator: cog's own (`cog.command.openapi_schema`, cog ≤ 0.16), else the schema
/// composed from cog's predictor inspector and its JSON field types (cog ≥ 0.17).
const GENERATOR: &str = include_str!("openapi_schema.py");
/// Where cog's server looks for the schema, relative to the project.
pub(crate) const SCHEMA_FILE: &str = ".cog/openapi_schema.json";
const TIMEOUT: Duration = Duration::from_secs(120);
const LOG_CAP: usize = 64 * 1024;

/// How to run the generator: the venv, the run's project copy, `main.py:run`, the run's
/// environment and sandbox.
pub(crate) struct SchemaSpec<'a> {
    pub(crate) venv_dir: &'a Path,
    pub(crate) project_dir: &'a Path,
    pub(crate) predict: &'a str,
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) sandbox: Option<&'a SandboxSpec>,
}

/// Writes the schema file; on failure says why (the last line of the generator's error).
/// The run goes on without it: the server then reports an import error itself.
pub(crate) async fn write_schema(spec: SchemaSpec<'_>) -> Result<PathBuf, String> {
    let out = spec.project_dir.join(SCHEMA_FILE);
    let child_spec = ChildSpec {
        program: spec.venv_dir.join("bin").join("python"),
        args: vec![
            "-B".into(),
            "-E".into(),
            "-s".into(),
            "-c".into(),
            GENERATOR.into(),
            spec.predict.into(),
            out.clone().into(),
        ],
        cwd: spec.project_dir.to_path_buf(),
        env: spec.env,
    };
    let spawn = || GroupChild::spawn(&child_spec, LOG_CAP, None);
    let mut child = match spec.sandbox {
        Some(sandbox) => sandbox.spawn_confined(spawn).map_err(|e| e.to_string())?,
        None => spawn().map_err(|e| e.to_string())?,
    };
    let status = tokio::time::timeout(TIMEOUT, child.wait()).await;
    child.finish().await;
    match status {
        Ok(Ok(status)) if status.success() && out.is_file() => Ok(out),
        Ok(Ok(_)) => Err(last_line(&child.stderr_text())),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("timed out after {} s", TIMEOUT.as_secs())),
    }
}

fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output")
        .trim()
        .to_owned()
}

/// One line per refused input from a 422 body (`{"detail": [{"loc": [.., name], "msg",
/// "type"}]}`): `seed = -5: -5 is less than the minimum of 0` or `prompt: required input
/// missing`. `None` when the body has no such list.
pub(crate) fn refusals(body: &Value, inputs: &RunInputs) -> Option<Vec<String>> {
    let items = body.get("detail")?.as_array()?;
    let lines: Vec<String> = items
        .iter()
        .filter_map(|item| {
            let name = item
                .get("loc")
                .and_then(Value::as_array)
                .and_then(|loc| loc.last())
                .map(|n| match n {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })?;
            let msg = item.get("msg").and_then(Value::as_str).unwrap_or("refused");
            let missing = item.get("type").and_then(Value::as_str) == Some("value_error.missing");
            Some(match inputs.get(&name) {
                _ if missing => format!("{name}: required input missing (it has no default)"),
                Some(value) => format!("{name} = {}: {msg}", short(value)),
                None => format!("{name}: {msg}"),
            })
        })
        .collect();
    (!lines.is_empty()).then_some(lines)
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 200 {
        return text;
    }
    let head: String = text.chars().take(200).collect();
    format!("{head}… ({} chars)", text.chars().count())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_the_input_the_value_and_the_constraint() {
        let inputs: RunInputs = [("seed".to_owned(), json!(-5))].into_iter().collect();
        let body = json!({"detail": [
            {"loc": ["body", "input", "seed"], "msg": "-5 is less than the minimum of 0", "type": "value_error"},
            {"loc": ["body", "input", "prompt"], "msg": "Field required", "type": "value_error.missing"},
        ]});
        assert_eq!(
            refusals(&body, &inputs).unwrap(),
            [
                "seed = -5: -5 is less than the minimum of 0",
                "prompt: required input missing (it has no default)"
            ]
        );
        assert_eq!(refusals(&json!({"detail": "bad"}), &inputs), None);
    }
}
