//! The docs tools' answers, which combine the docs cache with the validator: the refresh
//! report with the rules digest and the errata count, sections with their errata notes,
//! the digest itself (`get_docs {section: "rules"}`), and the errata list.

use std::sync::Arc;

use pipelines_docs_cache::{
    DocsCache, DocsError, FetchReport, Freshness, GetDocsRequest, GetDocsResult, SectionText,
    Source, SourceSel,
};
use serde::Serialize;

use crate::digest::{RulesDigest, digest};
use crate::errata::{ErrataReport, ErrataSummary, LintedSpec, linted_by, summary};
use crate::workflow::rulebook;

/// The section id that `get_docs` answers with the rules digest.
pub const RULES_SECTION: &str = "rules";

/// What `fetch_llms_txt` returns: the refresh report (freshness, diff, compact outline),
/// the spec errata count, and the rules digest.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DocsFetch {
    /// One entry per source refreshed.
    #[serde(flatten)]
    pub report: FetchReport,
    /// Spec errata: how many, and in which sections (`get_docs` on a section shows its notes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errata: Option<ErrataSummary>,
    /// The rules digest: what a pipeline must follow, one line each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<RulesDigest>,
    /// Why the digest is not repeated here (`digest: false`, or unchanged since the
    /// session last read it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest_note: Option<String>,
}

impl DocsFetch {
    /// The report, the errata count and the digest.
    pub fn to_text(&self) -> String {
        let mut out = self.report.to_text();
        if let Some(e) = &self.errata
            && e.count > 0
        {
            out.push_str(&format!(
                "\nSpec errata: {} note(s) where the spec contradicts itself, in {}; get_docs on a section shows them.\n",
                e.count,
                e.sections.join(", ")
            ));
        }
        if let Some(d) = &self.digest {
            out.push('\n');
            out.push_str(&d.text);
        }
        if let Some(note) = &self.digest_note {
            out.push_str(&format!("\n{note}\n"));
        }
        out
    }

    /// Leaves the digest out, saying why in one line.
    pub fn omit_digest(&mut self, note: impl Into<String>) {
        if self.digest.take().is_some() {
            self.digest_note = Some(note.into());
        }
    }
}

/// The current pipelines spec (refreshed when older than the TTL), parsed and linted.
async fn current_spec(docs: &DocsCache) -> Result<(Freshness, Arc<LintedSpec>), DocsError> {
    let view = docs.document(Source::Pipelines).await?;
    let spec = linted_by(&view.sha256, &view.body);
    Ok((view.freshness, spec))
}

fn spec_label(f: &Freshness) -> String {
    format!("pipelines spec v{}, fetched {}", f.version, f.fetched_at)
}

/// Refreshes the selected sources; when the pipelines spec is among them and cached, adds
/// its errata count and the rules digest.
pub async fn fetch(docs: &DocsCache, sel: SourceSel, force: bool) -> Result<DocsFetch, DocsError> {
    let report = docs.fetch(sel, force).await?;
    let has_spec = report
        .sources
        .iter()
        .any(|s| s.source == Source::Pipelines && s.version.is_some());
    let (mut errata, mut dig) = (None, None);
    if has_spec {
        let (freshness, spec) = current_spec(docs).await?;
        errata = Some(summary(&spec.errata));
        dig = Some(digest(
            Some(&spec.doc),
            &*rulebook(docs).await,
            &spec_label(&freshness),
        ));
    }
    Ok(DocsFetch {
        report,
        errata,
        digest: dig,
        digest_note: None,
    })
}

/// The rules digest from the current spec; from the registry and built-in facts alone when
/// no spec can be had.
pub async fn rules_digest(docs: &DocsCache) -> RulesDigest {
    let book = rulebook(docs).await;
    match current_spec(docs).await {
        Ok((freshness, spec)) => digest(Some(&spec.doc), &book, &spec_label(&freshness)),
        Err(e) => {
            tracing::warn!(error = %e, "no pipelines spec for the digest; using built-in facts");
            digest(
                None,
                &book,
                "built-in defaults: no spec cached, call fetch_llms_txt",
            )
        }
    }
}

/// The digest from what is cached, without any network; `None` when nothing is cached.
pub async fn cached_digest(docs: &DocsCache) -> Option<RulesDigest> {
    let store = docs.store().clone();
    let latest =
        tokio::task::spawn_blocking(move || store.latest_version(Source::Pipelines.name()))
            .await
            .ok()?
            .ok()??;
    let spec = linted_by(&latest.sha256, &latest.body);
    let label = format!(
        "pipelines spec v{}, fetched {}",
        latest.version, latest.fetched_at
    );
    Some(digest(Some(&spec.doc), &*rulebook(docs).await, &label))
}

/// Every erratum of the current pipelines spec.
pub async fn errata(docs: &DocsCache) -> Result<ErrataReport, DocsError> {
    let (freshness, spec) = current_spec(docs).await?;
    Ok(ErrataReport {
        version: freshness.version,
        errata: spec.errata.clone(),
    })
}

/// `get_docs`: the cache's answer, with the errata notes of the section shown; for
/// `section: "rules"` (pipelines), the rules digest.
pub async fn get_docs(docs: &DocsCache, req: GetDocsRequest) -> Result<GetDocsResult, DocsError> {
    let pipelines = req.source.unwrap_or(Source::Pipelines) == Source::Pipelines;
    let wants_rules = pipelines
        && req.query.is_none()
        && req.section.as_deref().map(str::trim) == Some(RULES_SECTION);
    if !wants_rules {
        let mut result = docs.get_docs(req).await?;
        if pipelines && let Some(section) = &result.section {
            let (_, spec) = current_spec(docs).await?;
            result.errata = spec
                .errata_for(&section.id, section.includes_subsections)
                .into_iter()
                .map(|e| e.note.clone())
                .collect();
        }
        return Ok(result);
    }
    let (freshness, spec) = current_spec(docs).await?;
    let d = digest(
        Some(&spec.doc),
        &*rulebook(docs).await,
        &spec_label(&freshness),
    );
    let total_chars = d.text.chars().count();
    Ok(GetDocsResult {
        freshness,
        outline: None,
        section: Some(SectionText {
            id: RULES_SECTION.to_owned(),
            title: "Rules digest".to_owned(),
            level: 1,
            text: d.text,
            total_chars,
            includes_subsections: true,
            subsections: Vec::new(),
        }),
        hits: None,
        truncated: false,
        note: Some(
            "Every validator rule, the runtime's facts, and binding advice; read a cited section with get_docs(section=\"<id>\") for detail."
                .to_owned(),
        ),
        errata: Vec::new(),
    })
}

/// The refresh report with the outline as section ids only (`cog/{types, inputs}`), then
/// the errata and the digest: what `fetch_llms_txt` says, in fewer characters.
fn compact_text(fetched: &DocsFetch) -> String {
    let mut brief = fetched.clone();
    let mut ids: Vec<String> = Vec::new();
    for s in &mut brief.report.sources {
        ids.extend(s.outline.drain(..).map(|e| e.id));
    }
    let digest = brief.digest.take();
    let mut out = brief.to_text();
    if !ids.is_empty() {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        out.push_str(&format!(
            "Sections (read one with get_docs(section=\"<id>\")): {}\n",
            compact_outline(&ids)
        ));
    }
    if let Some(d) = digest {
        out.push('\n');
        out.push_str(&d.text);
    }
    out
}

/// Section ids with each parent's children in braces, in order:
/// `overview, cog/{types, inputs, outputs}, runtime/{limits}`.
pub fn compact_outline(ids: &[&str]) -> String {
    #[derive(Default)]
    struct Node<'a> {
        name: &'a str,
        children: Vec<Node<'a>>,
    }
    fn insert<'a>(nodes: &mut Vec<Node<'a>>, parts: &[&'a str]) {
        let Some((first, rest)) = parts.split_first() else {
            return;
        };
        let at = match nodes.iter().position(|n| n.name == *first) {
            Some(i) => i,
            None => {
                nodes.push(Node {
                    name: first,
                    children: Vec::new(),
                });
                nodes.len() - 1
            }
        };
        insert(&mut nodes[at].children, rest);
    }
    fn render(nodes: &[Node<'_>]) -> String {
        nodes
            .iter()
            .map(|n| match n.children.as_slice() {
                [] => n.name.to_owned(),
                children => format!("{}/{{{}}}", n.name, render(children)),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
    let mut roots: Vec<Node<'_>> = Vec::new();
    for id in ids {
        let parts: Vec<&str> = id.split('/').filter(|p| !p.is_empty()).collect();
        insert(&mut roots, &parts);
    }
    render(&roots)
}

/// What a session starts from (the `create_pipeline` prompt): the text, and the rules
/// digest it holds.
#[derive(Debug, Clone)]
pub struct SessionStart {
    /// The refresh report (freshness, outline, errata) and the digest, as text.
    pub text: String,
    /// The digest's text alone.
    pub digest: String,
}

/// The pipelines spec refreshed as `fetch_llms_txt` refreshes it (a conditional GET; the
/// cached copy when the host is down), with its outline, errata and rules digest. When no
/// spec can be had at all, the digest from the registry and built-in facts, with the reason.
pub async fn session_start(docs: &DocsCache) -> SessionStart {
    match fetch(docs, SourceSel::One(Source::Pipelines), false).await {
        Ok(fetched) => match &fetched.digest {
            Some(d) => SessionStart {
                digest: d.text.clone(),
                text: compact_text(&fetched),
            },
            None => {
                let d = rules_digest(docs).await;
                SessionStart {
                    text: format!("{}\n{}", fetched.to_text(), d.text),
                    digest: d.text,
                }
            }
        },
        Err(e) => {
            let d = rules_digest(docs).await;
            SessionStart {
                text: format!(
                    "The spec could not be fetched ({e}); call fetch_llms_txt to retry. Until \
                     then, the rules from the validator and built-in facts:\n\n{}",
                    d.text
                ),
                digest: d.text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compact_outline_nests_children_in_braces() {
        assert_eq!(
            compact_outline(&[
                "overview",
                "cog",
                "cog/types",
                "cog/inputs",
                "r",
                "r/a",
                "r/a/x",
                "r/b"
            ]),
            "overview, cog/{types, inputs}, r/{a/{x}, b}"
        );
    }
}
