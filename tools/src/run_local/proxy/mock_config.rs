//! What a run asks of its proxy's mocks: the mocked models and their outputs, the latency,
//! the schemas "auto" outputs and input checks use, and the check that every model the
//! pipeline calls is mocked or reachable.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::Value;

use super::ProxySpec;
use crate::run_local::error::RunError;

/// Default latency of a mocked prediction.
pub const DEFAULT_MOCK_LATENCY_MS: u64 = 300;

/// A model's schema as the mocks need it.
#[derive(Debug, Clone, Default)]
pub struct MockSchema {
    /// The version id; `None` for a versionless model.
    pub version: Option<String>,
    /// The model's OpenAPI document.
    pub openapi: Value,
    /// The model's own example (`default_example`): `"auto"` answers with its output when
    /// it fits the schema, and makes files of its type.
    pub example: Option<crate::schema::ModelExample>,
    /// The model's inputs as the schema cache holds them (`"auto"` reads their defaults and
    /// choices).
    pub inputs: Vec<crate::schema::InputParam>,
    /// The model's output as the schema cache holds it (`"auto"` mocks are made from its
    /// shape); `None`: read from `openapi`.
    pub output: Option<crate::schema::OutputSpec>,
}

impl MockSchema {
    /// The mocks' view of a model's OpenAPI document (inputs and output read from it).
    pub fn from_openapi(
        version: Option<String>,
        openapi: Value,
        example: Option<crate::schema::ModelExample>,
    ) -> MockSchema {
        MockSchema {
            version,
            inputs: crate::schema::openapi::inputs(&openapi),
            output: Some(crate::schema::openapi::output(&openapi)),
            openapi,
            example,
        }
    }
}

/// Mocked models and what the proxy needs to answer for them (see `run_locally`'s
/// `mocks` and `mock_latency_ms`).
#[derive(Debug, Clone, Default)]
pub struct Mocks {
    /// `owner/name` (or `"*"` for every model) → the output to return, or `"auto"` to
    /// synthesise one from the model's schema.
    pub outputs: BTreeMap<String, Value>,
    /// Latency of each mocked prediction (default [`DEFAULT_MOCK_LATENCY_MS`]).
    pub latency_ms: Option<u64>,
    /// The schemas of the models by `owner/name` (from the schema cache).
    pub schemas: HashMap<String, MockSchema>,
    /// The models the pipeline uses (`owner/name`), when known: a run that needs an
    /// unmocked model without a token fails before anything starts.
    pub models: Vec<String>,
}

impl Mocks {
    /// The mocked outputs by `owner/name` (a key's `:version` dropped: a pinned key mocks
    /// the model), with `*` as is — how the proxy and every check read the keys.
    fn by_model(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.outputs
            .iter()
            .map(|(k, v)| (crate::schema::ModelRef::model_of(k), v))
    }

    /// Whether calls of `model` (`owner/name`, or a reference with `:version`) are
    /// answered by a mock: its own key or `*`.
    pub fn covers(&self, model: &str) -> bool {
        let model = crate::schema::ModelRef::model_of(model);
        self.by_model().any(|(k, _)| k == "*" || k == model)
    }

    /// Checks the keys and that every used model is mocked or reachable (`token`).
    pub(crate) fn check(&self, token: Option<&str>) -> Result<(), RunError> {
        let bad: Vec<String> = self
            .outputs
            .keys()
            .filter(|k| *k != "*" && !valid_model(k))
            .map(|k| format!("`{k}` is not `owner/name` or `*`"))
            .collect();
        if !bad.is_empty() {
            return Err(RunError::Mocks {
                message: format!("invalid `mocks` keys: {}", bad.join("; ")),
            });
        }
        if token.is_some() {
            return Ok(());
        }
        let unmocked: Vec<&str> = self
            .models
            .iter()
            .filter(|m| !self.covers(m))
            .map(|m| crate::schema::ModelRef::model_of(m))
            .collect();
        if unmocked.is_empty() {
            return Ok(());
        }
        Err(RunError::Mocks {
            message: format!(
                "the pipeline calls {} but no REPLICATE_API_TOKEN is set: set REPLICATE_API_TOKEN, or mock {} with `mocks` (e.g. {{\"{}\": \"auto\"}} or {{\"*\": \"auto\"}}; CLI: --mock '*=auto')",
                unmocked.join(", "),
                if unmocked.len() == 1 { "it" } else { "them" },
                unmocked[0]
            ),
        })
    }

    /// Makes the local files a fixed mock names `data:` URIs (the proxy serves them as output
    /// files): strings `file://…`, `/…`, `./…`, `../…`, or a relative name with an extension
    /// that exists in the project dir or a root. They must lie inside the roots, like file
    /// inputs; the error lists the paths tried.
    pub(crate) fn embed_files(
        &mut self,
        project_dir: &std::path::Path,
        roots: Option<&[std::path::PathBuf]>,
    ) -> Result<(), RunError> {
        let mut problems = Vec::new();
        for (model, output) in &mut self.outputs {
            embed(output, &mut |text: &str| {
                let (local, marked) = match text.strip_prefix("file://") {
                    Some(path) => (path, true),
                    None => (text, ["/", "./", "../"].iter().any(|p| text.starts_with(p))),
                };
                let plausible = marked
                    || (!text.contains(char::is_whitespace)
                        && !text.contains("://")
                        && !text.starts_with("data:")
                        && std::path::Path::new(text).extension().is_some()
                        && crate::run_local::inputs::resolve_local(text, project_dir, roots)
                            .is_ok());
                if !plausible || text.contains('\n') {
                    return None;
                }
                match crate::run_local::inputs::resolve_local(local, project_dir, roots)
                    .and_then(|path| read_file(&path))
                {
                    Ok(uri) => Some(uri),
                    Err(why) => {
                        problems.push(format!("mock of {model}: {why}"));
                        None
                    }
                }
            });
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(RunError::Mocks {
                message: problems.join("; "),
            })
        }
    }

    pub(super) fn spec(&self, upstream: &str, token: Option<&str>) -> ProxySpec {
        ProxySpec {
            upstream: upstream.to_owned(),
            token: token.map(str::to_owned),
            mocks: self
                .by_model()
                .map(|(k, v)| (k.to_owned(), v.clone()))
                .collect(),
            mock_latency: Duration::from_millis(self.latency_ms.unwrap_or(DEFAULT_MOCK_LATENCY_MS)),
            schemas: self.schemas.clone(),
        }
    }
}

/// Replaces each string `file` maps to something.
fn embed(value: &mut Value, file: &mut dyn FnMut(&str) -> Option<String>) {
    match value {
        Value::String(text) => {
            if let Some(uri) = file(text) {
                *text = uri;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| embed(v, file)),
        Value::Object(map) => map.values_mut().for_each(|v| embed(v, file)),
        _ => {}
    }
}

/// A file as a `data:` URI of its sniffed type (at most 100 MiB).
fn read_file(path: &std::path::Path) -> Result<String, String> {
    const MAX: u64 = 100 * 1024 * 1024;
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() || meta.len() > MAX {
        return Err(format!(
            "{} is not a file of at most 100 MiB",
            path.display()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let media_type = crate::run_local::magic::media_type(&bytes)
        .unwrap_or_else(|| crate::run_local::data_uri::media_type_for(name));
    Ok(crate::run_local::data_uri::encode(media_type, &bytes))
}

fn valid_model(key: &str) -> bool {
    crate::schema::ModelRef::parse(key).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unmocked_models_without_a_token_fail_naming_mocks_and_the_token() {
        let mut mocks = Mocks {
            models: vec!["acme/a".into(), "acme/b:123".into()],
            ..Mocks::default()
        };
        mocks.outputs.insert("acme/a".into(), json!("x"));
        let err = mocks.check(None).unwrap_err().to_string();
        assert!(err.contains("acme/b") && !err.contains("acme/a,"), "{err}");
        assert!(
            err.contains("`mocks`") && err.contains("REPLICATE_API_TOKEN"),
            "{err}"
        );
        assert!(mocks.check(Some("r8_x")).is_ok());
        mocks.outputs.insert("*".into(), json!("auto"));
        assert!(mocks.check(None).is_ok());
        mocks.outputs.insert("not a model".into(), json!(1));
        assert!(mocks.check(None).is_err());
    }

    #[test]
    fn a_pinned_key_mocks_its_model_in_the_checks_as_in_the_proxy() {
        let mut mocks = Mocks {
            models: vec!["acme/a".into(), "acme/b".into()],
            ..Mocks::default()
        };
        mocks.outputs.insert("acme/a:v1".into(), json!("x"));
        assert!(mocks.covers("acme/a") && mocks.covers("acme/a:v2"));
        assert!(!mocks.covers("acme/b"));
        let err = mocks.check(None).unwrap_err().to_string();
        assert!(err.contains("acme/b") && !err.contains("acme/a"), "{err}");
        mocks.outputs.insert("acme/b".into(), json!("y"));
        assert!(mocks.check(None).is_ok());
        let spec = mocks.spec("http://127.0.0.1:9", None);
        assert_eq!(spec.mocks.get("acme/a"), Some(&json!("x")));
    }

    #[test]
    fn local_files_in_mocks_become_data_uris_and_missing_ones_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("take.png"), b"\x89PNG\r\n\x1a\n").unwrap();
        let roots = [dir.path().to_path_buf()];
        let mut mocks = Mocks::default();
        mocks.outputs.insert(
            "acme/a".into(),
            json!({"sequence": [["take.png", "./take.png"], "a caption.png of text", "auto"]}),
        );
        mocks.embed_files(dir.path(), Some(&roots)).unwrap();
        let seq = &mocks.outputs["acme/a"]["sequence"];
        assert!(
            seq[0][0]
                .as_str()
                .unwrap()
                .starts_with("data:image/png;base64,"),
            "{seq}"
        );
        assert_eq!(seq[0][0], seq[0][1]);
        assert_eq!(seq[1], "a caption.png of text");
        assert_eq!(seq[2], "auto");
        mocks
            .outputs
            .insert("acme/b".into(), json!("./missing.wav"));
        let err = mocks
            .embed_files(dir.path(), Some(&roots))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("acme/b") && err.contains("missing.wav"),
            "{err}"
        );
    }
}
