//! `scaffold_pipeline`.

use pipelines_tools::{
    scaffold::{ScaffoldReport, ScaffoldRequest},
    workflow,
};
use rmcp::{
    ErrorData as McpError, RoleServer, handler::server::common::schema_for_output,
    handler::server::wrapper::Parameters, model::CallToolResult, service::RequestContext, tool,
    tool_router,
};

use super::PipelinesServer;
use crate::convert::{failure, success};

#[tool_router(router = scaffold_router, vis = "pub(crate)")]
impl PipelinesServer {
    #[tool(
        name = "scaffold_pipeline",
        description = include_str!("../../../prompts/tools/scaffold_pipeline.md"),
        output_schema = schema_for_output::<ScaffoldReport>(),
        annotations(read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = true)
    )]
    async fn scaffold_pipeline(
        &self,
        Parameters(req): Parameters<ScaffoldRequest>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let svc = or_fail!(self.state.services().await);
        let dir = match (
            req.path.as_deref().filter(|p| !p.trim().is_empty()),
            req.inline,
        ) {
            (Some(_), true) => {
                return Ok(failure("pass either `path` or `inline: true`, not both"));
            }
            (None, false) if !self.state.mode().is_hosted() => {
                return Ok(failure(
                    "pass `path` (the project directory to write) or `inline: true` to get the files back",
                ));
            }
            (None, _) => None,
            (Some(p), false) => Some(or_fail!(self.confined_new(p, &ctx).await)),
        };
        Ok(
            match workflow::scaffold(&req, dir, &svc.docs, &svc.replicate).await {
                Ok(report) => success(&report),
                Err(e) => failure(e.to_string()),
            },
        )
    }
}
