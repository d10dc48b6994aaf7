//! `fetch_model_schema` and `search_models`.

use pipelines_tools::{
    args::{FetchModelSchemaArgs, SearchModelsArgs},
    request::check_schema_models,
    schema::{SchemaReport, SearchResults},
};
use rmcp::{
    ErrorData as McpError, handler::server::common::schema_for_output,
    handler::server::wrapper::Parameters, model::CallToolResult, tool, tool_router,
};

use super::PipelinesServer;
use crate::convert::{failure, success};

#[tool_router(router = schema_router, vis = "pub(crate)")]
impl PipelinesServer {
    #[tool(
        name = "fetch_model_schema",
        description = include_str!("../../../prompts/tools/fetch_model_schema.md"),
        output_schema = schema_for_output::<SchemaReport>(),
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn fetch_model_schema(
        &self,
        Parameters(args): Parameters<FetchModelSchemaArgs>,
    ) -> Result<CallToolResult, McpError> {
        or_fail!(check_schema_models(&args.models));
        let svc = or_fail!(self.state.services().await);
        let results = svc
            .replicate
            .fetch_model_schemas(&args.models, args.refresh.unwrap_or(false))
            .await;
        let report = SchemaReport::new(
            &args.models,
            results,
            args.detail,
            args.hint.unwrap_or(false),
        );
        let mut result = success(&report);
        if report.all_failed() {
            result.is_error = Some(true);
        }
        Ok(result)
    }

    #[tool(
        name = "search_models",
        description = include_str!("../../../prompts/tools/search_models.md"),
        output_schema = schema_for_output::<SearchResults>(),
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn search_models(
        &self,
        Parameters(args): Parameters<SearchModelsArgs>,
    ) -> Result<CallToolResult, McpError> {
        let svc = or_fail!(self.state.services().await);
        Ok(
            match svc.replicate.search_models(&args.query, args.limit).await {
                Ok(r) => success(&r),
                Err(e) => failure(e.to_string()),
            },
        )
    }
}
