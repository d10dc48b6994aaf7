//! `validate_pipeline`.

use pipelines_tools::{
    args::ValidatePipelineArgs,
    run_local::ProjectSource,
    workflow::{self, PipelineValidation},
};
use rmcp::{
    ErrorData as McpError, RoleServer, handler::server::common::schema_for_output,
    handler::server::wrapper::Parameters, model::CallToolResult, service::RequestContext, tool,
    tool_router,
};

use super::PipelinesServer;
use crate::{
    convert::{failure, success},
    state::Services,
};

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
        Ok(match validate_source(svc, &input).await {
            Ok(report) => success(&report),
            Err(message) => failure(message),
        })
    }
}

/// What `validate_pipeline` answers for a project whose source is known: the report, or
/// the message of the failure the agent can act on (files that cannot be loaded). Shared
/// with the HTTP fast path, which answers inline files itself.
pub(crate) async fn validate_source(
    svc: &Services,
    input: &ProjectSource,
) -> Result<PipelineValidation, String> {
    let project = input.load_async().await.map_err(|e| e.to_string())?;
    Ok(workflow::validate(&project, &svc.docs, &svc.replicate).await)
}
