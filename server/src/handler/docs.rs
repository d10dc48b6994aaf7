//! `fetch_llms_txt` and `get_docs`.

use pipelines_docs_cache::{GetDocsRequest, Source, SourceSel};
use pipelines_tools::args::{FetchLlmsTxtArgs, GetDocsArgs};
use rmcp::{
    ErrorData as McpError, handler::server::common::schema_for_output,
    handler::server::wrapper::Parameters, model::CallToolResult, tool, tool_router,
};

use super::PipelinesServer;
use crate::convert::{failure, success};

#[tool_router(router = docs_router, vis = "pub(crate)")]
impl PipelinesServer {
    #[tool(
        name = "fetch_llms_txt",
        description = include_str!("../../../prompts/tools/fetch_llms_txt.md"),
        output_schema = schema_for_output::<pipelines_tools::docs::DocsFetch>(),
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn fetch_llms_txt(
        &self,
        Parameters(args): Parameters<FetchLlmsTxtArgs>,
    ) -> Result<CallToolResult, McpError> {
        let svc = or_fail!(self.state.services().await);
        let sel = args.source.unwrap_or(SourceSel::One(Source::Pipelines));
        Ok(
            match pipelines_tools::docs::fetch(&svc.docs, sel, args.force.unwrap_or(false)).await {
                Ok(mut report) => {
                    if args.digest == Some(false) {
                        report.omit_digest(
                            "Rules digest left out (digest: false); get_docs(section=\"rules\") shows it.",
                        );
                    } else if let Some(d) = &report.digest
                        && self.session.digest_seen(&d.text)
                    {
                        let from = d.from.clone();
                        report.omit_digest(format!(
                            "Rules digest unchanged since this session last read it ({from}): not repeated."
                        ));
                    }
                    success(&report)
                }
                Err(e) => failure(e.to_string()),
            },
        )
    }

    #[tool(
        name = "get_docs",
        description = include_str!("../../../prompts/tools/get_docs.md"),
        output_schema = schema_for_output::<pipelines_docs_cache::GetDocsResult>(),
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn get_docs(
        &self,
        Parameters(args): Parameters<GetDocsArgs>,
    ) -> Result<CallToolResult, McpError> {
        let svc = or_fail!(self.state.services().await);
        let req = GetDocsRequest {
            source: args.source,
            section: args.section.filter(|s| !s.trim().is_empty()),
            query: args.query.filter(|q| !q.trim().is_empty()),
            max_chars: args.max_chars,
            include_subsections: args.include_subsections.unwrap_or(false),
        };
        Ok(
            match pipelines_tools::docs::get_docs(&svc.docs, req).await {
                Ok(r) => success(&r),
                Err(e) => failure(e.to_string()),
            },
        )
    }
}
