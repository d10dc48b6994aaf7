//! `run_locally`, with progress notifications and cancellation.

use std::{sync::Arc, time::Duration};

use pipelines_tools::{
    args::{RunLocallyArgs, TraceDetail},
    run_local::{Mocks, Progress, ProgressFn, RunResult, TextOptions},
    workflow::{self, PipelineRun, RunFailure},
};
use rmcp::{
    ErrorData as McpError, RoleServer,
    handler::server::common::schema_for_output,
    handler::server::wrapper::Parameters,
    model::{CallToolResult, ProgressNotificationParam},
    service::RequestContext,
    tool, tool_router,
};

use super::PipelinesServer;
use crate::convert::{failure, success};

use pipelines_tools::args::MAX_RUN_TIMEOUT_SECS as MAX_TIMEOUT_SECS;
/// Longest latency a mock may be given.
const MAX_MOCK_LATENCY_MS: u64 = 60_000;

#[tool_router(router = run_router, vis = "pub(crate)")]
impl PipelinesServer {
    #[tool(
        name = "run_locally",
        description = include_str!("../../../prompts/tools/run_locally.md"),
        output_schema = schema_for_output::<RunResult>(),
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true)
    )]
    async fn run_locally(
        &self,
        Parameters(args): Parameters<RunLocallyArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let svc = or_fail!(self.state.services().await);
        if !self.state.allow_run {
            return Ok(failure(
                "run_locally is off on this hosted server (it executes the pipeline's code on the host); \
                 the operator can enable it with `serve --http … --allow-run`, or run `mcp-pipelines run DIR` on your machine",
            ));
        }
        let input = or_fail!(self.project_input(args.path, args.files, &ctx).await);
        let timeout = match args.timeout_seconds {
            Some(s) if !(1..=MAX_TIMEOUT_SECS).contains(&s) => {
                return Ok(failure(format!(
                    "timeout_seconds must be between 1 and {MAX_TIMEOUT_SECS} (got {s}); leave it out for the default of 300"
                )));
            }
            s => s.map(Duration::from_secs),
        };
        let inputs = args.inputs.into_iter().collect();
        let progress = progress_sink(&ctx);
        let mut config = self.state.run_config();
        if args.sandbox == Some(false) {
            if self.state.hosted {
                return Ok(failure(
                    "`sandbox: false` is for local servers only: a hosted server always confines runs",
                ));
            }
            config.sandbox = false;
        }
        // File inputs obey the same confinement as project paths; a hosted server reads none.
        config.input_roots = Some(if self.state.hosted {
            Vec::new()
        } else {
            self.roots(&ctx).await
        });
        let mocks = Mocks {
            outputs: args.mocks,
            latency_ms: args.mock_latency_ms.map(|ms| ms.min(MAX_MOCK_LATENCY_MS)),
            ..Mocks::default()
        };
        let run = PipelineRun {
            input,
            inputs,
            timeout,
            output_dir: None,
            mocks,
            config,
            progress,
            cancel: ctx.ct.clone(),
            runtime: args.runtime,
        };
        let text = TextOptions {
            full_trace: args.trace == Some(TraceDetail::Full),
            harness_logs: args.harness_logs == Some(true),
        };
        let result = workflow::run(run, &svc.docs, &svc.replicate).await;
        Ok(match result {
            Ok(mut r) => {
                r.text = text;
                let mut out = success(&r);
                if !r.succeeded() {
                    out.is_error = Some(true);
                }
                out
            }
            Err(RunFailure::Invalid(report)) => {
                let mut out = success(report.as_ref());
                out.is_error = Some(true);
                out.content = vec![rmcp::model::ContentBlock::text(format!(
                    "Not run: the pipeline has validation errors. Fix them and call run_locally again.\n\n{}",
                    report.to_text()
                ))];
                out.structured_content = None;
                out
            }
            Err(e) => failure(e.to_string()),
        })
    }
}

/// Forwards progress to the client as `notifications/progress` when it sent a token.
fn progress_sink(ctx: &RequestContext<RoleServer>) -> Option<ProgressFn> {
    let token = ctx.meta.get_progress_token()?;
    let peer = ctx.peer.clone();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
    tokio::spawn(async move {
        let mut step = 0.0;
        while let Some(p) = rx.recv().await {
            step += 1.0;
            let mut param = ProgressNotificationParam::new(token.clone(), step);
            param.message = Some(p.message);
            if peer.notify_progress(param).await.is_err() {
                break;
            }
        }
    });
    Some(Arc::new(move |p: Progress| {
        let _ = tx.send(p);
    }))
}
