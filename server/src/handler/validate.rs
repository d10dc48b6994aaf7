//! `validate_pipeline`.

use pipelines_tools::{
    args::ValidatePipelineArgs,
    workflow::{self, PipelineValidation, ProjectInput},
};
use rmcp::{
    ErrorData as McpError, RoleServer, handler::server::common::schema_for_output,
    handler::server::wrapper::Parameters, model::CallToolResult, service::RequestContext, tool,
    tool_router,
};

use super::PipelinesServer;
use crate::convert::{failure, success};

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
        let svc = match self.state.services().await {
            Ok(s) => s,
            Err(e) => return Ok(failure(e)),
        };
        let input = match self.project_input(args.path, args.files, &ctx).await {
            Ok(i) => i,
            Err(e) => return Ok(failure(e)),
        };
        let project = match input.load_async().await {
            Ok(p) => p,
            Err(e) => return Ok(failure(e.to_string())),
        };
        let report = workflow::validate(&project, &svc.docs, &svc.replicate).await;
        Ok(success(&report))
    }
}

impl PipelinesServer {
    /// `path` (confined) or `files` (inline), exactly one.
    pub(crate) async fn project_input(
        &self,
        path: Option<String>,
        files: Option<std::collections::BTreeMap<String, String>>,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<ProjectInput, String> {
        match (path.filter(|p| !p.trim().is_empty()), files) {
            (Some(_), Some(_)) => Err("pass either `path` or `files`, not both".to_string()),
            (None, None) => Err(
                "pass `path` (the project directory holding cog.yaml) or `files` (the files inline)"
                    .to_string(),
            ),
            (None, Some(files)) => Ok(ProjectInput::Files(files)),
            (Some(p), None) => self.confined(&p, ctx).await.map(ProjectInput::Dir),
        }
    }
}
