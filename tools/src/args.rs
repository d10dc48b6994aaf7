//! The arguments of each MCP tool, with `///` docs that become the input schemas agents
//! read. The scaffolder's request lives with it (`scaffold::ScaffoldRequest`).

use std::{collections::BTreeMap, fmt::Display, str::FromStr};

use pipelines_docs_cache::{Source, SourceSel};
use serde::{Deserialize, Deserializer};

/// Arguments of `fetch_llms_txt`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchLlmsTxtArgs {
    /// The document: `pipelines` (the spec, default), `runtime` (its package list), `cog` or `all`.
    #[serde(default, deserialize_with = "by_name")]
    pub source: Option<SourceSel>,
    /// Re-download even when the cached copy is fresh.
    #[serde(default)]
    pub force: Option<bool>,
    /// `false` leaves out the rules digest (when you already have it).
    #[serde(default)]
    pub digest: Option<bool>,
}

/// Arguments of `get_docs`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetDocsArgs {
    /// A section id from the outline (e.g. `cog/outputs`), or `rules` for the rules digest.
    #[serde(default)]
    pub section: Option<String>,
    /// With `section`: include its subsections' text instead of listing them.
    #[serde(default)]
    pub include_subsections: Option<bool>,
    /// Words to search for in the spec.
    #[serde(default)]
    pub query: Option<String>,
    /// Cap on the returned text in characters (default 8000).
    #[serde(default)]
    pub max_chars: Option<usize>,
    /// The document: `pipelines` (default), `runtime` or `cog`.
    #[serde(default, deserialize_with = "by_name")]
    pub source: Option<Source>,
}

/// Arguments of `fetch_model_schema`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchModelSchemaArgs {
    /// Every model the pipeline calls, as `owner/name` (latest) or `owner/name:version`.
    pub models: Vec<String>,
    /// Ask the API even when a cached copy is fresh.
    #[serde(default)]
    pub refresh: Option<bool>,
    /// `brief` (signature and output shape) or `full` (plus descriptions and example); default `full` for up to two models.
    #[serde(default)]
    pub detail: Option<crate::schema::Detail>,
    /// Also return each model's optional typing stub for `replicate.use(..., hint=)`.
    #[serde(default)]
    pub hint: Option<bool>,
}

/// Arguments of `search_models`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchModelsArgs {
    /// What the model should do, in a few words (e.g. `text to image`, `speech to text`).
    pub query: String,
    /// How many results (default 10, at most 50).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// Arguments of `validate_pipeline`: a project directory, or the files inline.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidatePipelineArgs {
    /// The project directory (holding `cog.yaml`), inside the client's roots.
    #[serde(default)]
    pub path: Option<String>,
    /// The project's files inline by relative name (`{"main.py": "..."}`), for a hosted server.
    #[serde(default)]
    pub files: Option<BTreeMap<String, String>>,
}

/// Arguments of `run_locally`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunLocallyArgs {
    /// The project directory (inside the client's roots); pass `path` or `files`, not both.
    #[serde(default)]
    pub path: Option<String>,
    /// The project's files inline (hosted mode; needs a server started with `--allow-run`).
    #[serde(default)]
    pub files: Option<BTreeMap<String, String>>,
    /// The inputs of `run()`, by name, as JSON values (files as paths).
    #[serde(default)]
    pub inputs: BTreeMap<String, serde_json::Value>,
    /// Hard timeout in seconds for the prediction, 1 to 3600 (default 300).
    #[serde(default)]
    #[schemars(range(min = 1, max = 3600))]
    pub timeout_seconds: Option<u64>,
    /// `false` runs the pipeline without the Landlock sandbox (local servers only; default true).
    #[serde(default)]
    pub sandbox: Option<bool>,
    /// Models answered locally and checked like the API (422s): `{"owner/name": "auto" | <output JSON, files as paths or data: URIs> | {"sequence": [..]} | {"error": "…"}, "*": "auto"}`; "auto" is the model's example output or one made from its schema, in the asked format and count.
    #[serde(default)]
    pub mocks: BTreeMap<String, serde_json::Value>,
    /// How long each mocked prediction takes, in ms (default 300).
    #[serde(default)]
    pub mock_latency_ms: Option<u64>,
    /// `replicate`: every package of Replicate's runtime list at its pin (default once fetch_llms_txt cached source `runtime`); `latest`: what requirements.txt resolves to today.
    #[serde(default, deserialize_with = "by_name")]
    pub runtime: Option<crate::run_local::RuntimeChoice>,
    /// `full` shows every call's inputs uncut (default: up to 2,000 characters per call).
    #[serde(default)]
    pub trace: Option<TraceDetail>,
    /// `true` shows cog's own logs in the text (default: their last 40 lines after a failure).
    #[serde(default)]
    pub harness_logs: Option<bool>,
}

/// How much of the trace the text result shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(inline)]
pub enum TraceDetail {
    /// Every input uncut.
    Full,
}

/// A name parsed as the CLI parses it (`FromStr`: trimmed, any case), so that a tool and a
/// CLI verb accept the same spellings; `null` is none.
fn by_name<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    Option::<String>::deserialize(d)?
        .map(|name| name.parse().map_err(serde::de::Error::custom))
        .transpose()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fetch(args: serde_json::Value) -> Result<FetchLlmsTxtArgs, serde_json::Error> {
        serde_json::from_value(args)
    }

    fn get(args: serde_json::Value) -> Result<GetDocsArgs, serde_json::Error> {
        serde_json::from_value(args)
    }

    #[test]
    fn source_takes_the_names_the_cli_takes() {
        assert_eq!(
            fetch(json!({"source": "all"})).unwrap().source,
            Some(SourceSel::All)
        );
        assert_eq!(
            fetch(json!({"source": " Runtime "})).unwrap().source,
            Some(SourceSel::One(Source::Runtime))
        );
        assert_eq!(fetch(json!({"source": null})).unwrap().source, None);
        assert_eq!(fetch(json!({})).unwrap().source, None);
        assert_eq!(
            get(json!({"source": "cog"})).unwrap().source,
            Some(Source::Cog)
        );
        assert_eq!(get(json!({})).unwrap().source, None);
    }

    #[test]
    fn an_unknown_source_says_which_exist() {
        let said = fetch(json!({"source": "pypi"})).unwrap_err().to_string();
        assert!(
            said.contains("pypi") && said.contains("pipelines, runtime, cog"),
            "{said}"
        );
        // `all` is for fetching; get_docs reads one document.
        let said = get(json!({"source": "all"})).unwrap_err().to_string();
        assert!(said.contains("unknown docs source"), "{said}");
    }
}
