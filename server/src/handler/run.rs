//! `run_locally`, with progress notifications and cancellation.

use std::{sync::Arc, time::Duration};

use pipelines_tools::{
    args::{RunLocallyArgs, TraceDetail},
    request::check_run_timeout,
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
        // (A hosted server without `--allow-run` does not get here: `call_tool` refuses.)
        let mode = self.state.mode();
        let svc = or_fail!(self.state.services().await);
        let input = or_fail!(self.project_input(args.path, args.files, &ctx).await);
        let timeout = match args.timeout_seconds {
            Some(s) => Some(Duration::from_secs(or_fail!(check_run_timeout(s)))),
            None => None,
        };
        let inputs = args.inputs.into_iter().collect();
        let progress = progress_sink(&ctx);
        let mut config = self.state.run_config();
        if args.sandbox == Some(false) {
            or_fail!(mode.check_unsandboxed());
            config.sandbox = false;
        }
        // File inputs obey the same confinement as project paths; a hosted server reads none.
        config.input_roots = Some(if mode.is_hosted() {
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
            Err(RunFailure::Invalid(report)) => failure(format!(
                "Not run: the pipeline has validation errors. Fix them and call run_locally again.\n\n{}",
                report.to_text()
            )),
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
