//! The readable text form of the library's results, shared by the MCP handler (the text
//! content beside `structuredContent`) and the CLI (`--format text`). No transport here.

/// A result that has a readable text form.
pub trait Render {
    /// The readable text shown to the agent.
    fn render(&self) -> String;
}

macro_rules! render_via_to_text {
    ($($t:ty),* $(,)?) => {
        $(impl Render for $t {
            fn render(&self) -> String {
                self.to_text()
            }
        })*
    };
}

render_via_to_text!(
    pipelines_docs_cache::FetchReport,
    pipelines_docs_cache::GetDocsResult,
    pipelines_tools::schema::SchemaReport,
    pipelines_tools::schema::SearchResults,
    pipelines_tools::workflow::PipelineValidation,
);

render_via_to_text!(
    pipelines_docs_cache::DocDiff,
    pipelines_docs_cache::Rulebook,
    pipelines_tools::scaffold::ScaffoldReport,
);

render_via_to_text!(pipelines_tools::run_local::RunResult);

render_via_to_text!(
    pipelines_tools::docs::DocsFetch,
    pipelines_tools::digest::RulesDigest,
    pipelines_tools::errata::ErrataReport,
);
