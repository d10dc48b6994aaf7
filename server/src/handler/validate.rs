//! `validate_pipeline`.

use pipelines_tools::{
    args::ValidatePipelineArgs,
    workflow::{self, PipelineValidation},
};
use rmcp::{
    ErrorData as McpError, RoleServer, handler::server::common::schema_for_output,
    handler::server::wrapper::Parameters, model::CallToolResult, service::RequestContext, tool,
    tool_router,
};

use super::PipelinesServer;
use crate::convert::success;

#[tool_router(router = validate_router, vis = "pub(crate)")]
impl PipelinesServer {
    #[tool(
        name = "validate_pipeline",
        description = include_str!("../../../prompts/tools/validate_pipeline.md"),
        output_schema = schema_for_output::<PipelineValidation>(),
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false)
    )]
    async fn validate_pipeline(
        &self,
        Parameters(args): Parameters<ValidatePipelineArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let svc = or_fail!(self.state.services().await);
        let input = or_fail!(self.project_input(args.path, args.files, &ctx).await);
        let project = or_fail!(input.load_async().await);
        let report = workflow::validate(&project, &svc.docs, &svc.replicate).await;
        Ok(success(&report))
    }
}
