//! Resources: the cached docs (`pipelines://docs/{source}` and one section at
//! `pipelines://docs/{source}/{section}`), the rules digest (`pipelines://rules`), the guides
//! (`pipelines://guide/{name}`, e.g. the `steps` language) and model schemas
//! (`pipelines://models/{owner}/{name}/schema`).

use pipelines_docs_cache::{GetDocsRequest, Source};
use rmcp::{
    ErrorData as McpError,
    model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate},
};

use super::PipelinesServer;
use crate::state::Services;

const DOCS_PREFIX: &str = "pipelines://docs/";
const MODELS_PREFIX: &str = "pipelines://models/";
const RULES_URI: &str = "pipelines://rules";
const GUIDE_PREFIX: &str = "pipelines://guide/";

/// The guides as (URI name, text): `steps.md` is `pipelines://guide/steps`.
fn guides() -> impl Iterator<Item = (&'static str, &'static str)> {
    crate::prompts::GUIDE_FILES
        .iter()
        .map(|(file, text)| (file.trim_end_matches(".md"), *text))
}

/// A guide's title: its first line without the `#`.
fn guide_title(text: &str) -> &str {
    text.lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches('#')
        .trim()
}

impl PipelinesServer {
    pub(crate) fn resource_list(&self, svc: &Services) -> Vec<Resource> {
        let mut out: Vec<Resource> = Source::ALL
            .iter()
            .map(|s| {
                Resource::new(
                    format!("{DOCS_PREFIX}{}", s.name()),
                    format!("{} docs", s.name()),
                )
                .with_description(match s {
                    Source::Pipelines => "The Replicate pipelines spec (llms.txt), cached",
                    Source::Runtime => "The pipelines runtime's Python package list, cached",
                    Source::Cog => "The cog docs (llms.txt), cached",
                })
                .with_mime_type("text/markdown")
            })
            .collect();
        out.push(
            Resource::new(RULES_URI, "rules digest")
                .with_description(
                    "Every validator rule, the runtime's facts and the spec's binding advice, one line each, from the cached spec",
                )
                .with_mime_type("text/markdown"),
        );
        out.extend(guides().map(|(name, text)| {
            Resource::new(format!("{GUIDE_PREFIX}{name}"), format!("{name} guide"))
                .with_description(guide_title(text))
                .with_mime_type("text/markdown")
        }));
        let mut models: Vec<String> = svc
            .replicate
            .cache()
            .all_cached()
            .into_keys()
            .filter(|k| !k.contains(':'))
            .collect();
        models.sort();
        out.extend(models.into_iter().map(|m| {
            Resource::new(format!("{MODELS_PREFIX}{m}/schema"), format!("{m} schema"))
                .with_description("The model's schema as fetched by fetch_model_schema")
                .with_mime_type("application/json")
        }));
        out
    }

    pub(crate) fn resource_templates(&self) -> Vec<ResourceTemplate> {
        vec![
            ResourceTemplate::new(format!("{DOCS_PREFIX}{{source}}/{{section}}"), "docs section")
                .with_description(
                    "One section of a cached document: source is pipelines, runtime or cog; section is an id from get_docs' outline (e.g. cog/outputs)",
                )
                .with_mime_type("text/markdown"),
            ResourceTemplate::new(format!("{MODELS_PREFIX}{{owner}}/{{name}}/schema"), "model schema")
                .with_description("A Replicate model's schema (fetched and cached on first read)")
                .with_mime_type("application/json"),
        ]
    }

    pub(crate) async fn read(&self, uri: &str) -> Result<ReadResourceResult, McpError> {
        if let Some(name) = uri.strip_prefix(GUIDE_PREFIX) {
            let (_, text) = guides().find(|(n, _)| *n == name).ok_or_else(|| {
                McpError::resource_not_found(
                    format!("unknown guide {uri}; see resources/list"),
                    None,
                )
            })?;
            return Ok(ReadResourceResult::new(vec![
                ResourceContents::text(text, uri).with_mime_type("text/markdown"),
            ]));
        }
        let svc = self
            .state
            .services()
            .await
            .map_err(|e| McpError::internal_error(e.to_string(), None))?;
        if uri == RULES_URI {
            let digest = pipelines_tools::docs::rules_digest(&svc.docs).await;
            return Ok(ReadResourceResult::new(vec![
                ResourceContents::text(digest.text, uri).with_mime_type("text/markdown"),
            ]));
        }
        if let Some(rest) = uri.strip_prefix(DOCS_PREFIX) {
            let text = doc_text(&svc.docs, rest).await?;
            return Ok(ReadResourceResult::new(vec![
                ResourceContents::text(text, uri).with_mime_type("text/markdown"),
            ]));
        }
        if let Some(rest) = uri.strip_prefix(MODELS_PREFIX) {
            let model = rest.strip_suffix("/schema").ok_or_else(|| {
                McpError::resource_not_found(
                    format!("unknown resource {uri}; model schemas are at {MODELS_PREFIX}OWNER/NAME/schema"),
                    None,
                )
            })?;
            let schema = svc
                .replicate
                .fetch_model_schema(model, false)
                .await
                .map_err(|e| McpError::resource_not_found(e.to_string(), None))?;
            let json = serde_json::to_string_pretty(&schema)
                .map_err(|e| McpError::internal_error(e.to_string(), None))?;
            return Ok(ReadResourceResult::new(vec![
                ResourceContents::text(json, uri).with_mime_type("application/json"),
            ]));
        }
        Err(McpError::resource_not_found(
            format!("unknown resource {uri}; see resources/list and resources/templates/list"),
            None,
        ))
    }
}

/// A cached document (`<source>`) or one of its sections with its subsections
/// (`<source>/<section id>`), as Markdown.
async fn doc_text(docs: &pipelines_docs_cache::DocsCache, rest: &str) -> Result<String, McpError> {
    let (source, section) = match rest.split_once('/') {
        Some((s, sec)) => (s, Some(sec)),
        None => (rest, None),
    };
    let source: Source = source
        .parse()
        .map_err(|e: pipelines_docs_cache::UnknownSource| {
            McpError::resource_not_found(e.to_string(), None)
        })?;
    match section {
        None => docs
            .document(source)
            .await
            .map(|d| d.body)
            .map_err(|e| McpError::resource_not_found(e.to_string(), None)),
        Some(section) => {
            let req = GetDocsRequest {
                source: Some(source),
                section: Some(section.to_string()),
                query: None,
                max_chars: Some(200_000),
                include_subsections: true,
            };
            let r = pipelines_tools::docs::get_docs(docs, req)
                .await
                .map_err(|e| McpError::resource_not_found(e.to_string(), None))?;
            Ok(r.to_text())
        }
    }
}
