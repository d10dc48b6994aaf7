//! The MCP handler: one thin method per tool (parse, call the library, convert).
//! Tool groups live in their own files, each with its own `#[tool_router]`.

/// `?` for tool handlers: the value of an `Ok`, or return the error as the tool's
/// `isError` result (a failure the agent can act on, e.g. the services not opening).
macro_rules! or_fail {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(e) => return Ok($crate::convert::failure(e.to_string())),
        }
    };
}

mod compact;
mod docs;
mod resources;
mod roots;
mod run;
mod scaffold;
mod schema;
mod session;
mod validate;

pub(crate) use validate::validate_source;

use std::{
    collections::BTreeMap,
    sync::{Arc, OnceLock},
};

use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler,
    handler::server::{router::tool::ToolRouter, tool::ToolCallContext},
    model::{
        CallToolRequestParams, CallToolResponse, GetPromptRequestParams, GetPromptResponse,
        Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
        PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
        ServerCapabilities, ServerConfig,
    },
    service::RequestContext,
    tool_handler,
};

use pipelines_tools::request::Mode;

use crate::{
    prompts::{INSTRUCTIONS, Prompts},
    state::AppState,
};

/// The MCP server. Cheap to clone: everything lives behind one `Arc<AppState>`.
#[derive(Clone)]
pub struct PipelinesServer {
    pub(crate) state: Arc<AppState>,
    /// What this session has already read.
    session: Arc<session::Session>,
}

/// The tool routers, built once per process (their input and output schemas take a few
/// milliseconds to generate): without and with `run_locally`.
static ROUTERS: [OnceLock<ToolRouter<PipelinesServer>>; 2] = [OnceLock::new(), OnceLock::new()];

impl PipelinesServer {
    /// A handler over the shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self {
            state,
            session: Arc::default(),
        }
    }

    /// Builds the tool router on a side thread, so the `initialize` handshake (which does
    /// not need it) is not kept waiting; the first `tools/list` or call uses it.
    pub fn prewarm(mode: Mode) {
        let spawned = std::thread::Builder::new()
            .name("tool-router".into())
            .spawn(move || {
                Self::router_for(mode.allows_run());
            });
        if let Err(e) = spawned {
            tracing::debug!("building the tool router on the first request instead: {e}");
        }
    }

    fn router_for(allow_run: bool) -> &'static ToolRouter<Self> {
        ROUTERS[usize::from(allow_run)].get_or_init(|| {
            let mut tool_router = Self::docs_router()
                + Self::schema_router()
                + Self::validate_router()
                + Self::scaffold_router()
                + Self::run_router();
            if !allow_run {
                // Not offered at all: a hosted server without `--allow-run` does not list
                // it, and a call by name gets the error from `call_tool` below.
                tool_router.remove_route(RUN_LOCALLY);
            }
            // Hosts load every definition into every session: flat inputs, output shapes.
            for route in tool_router.map.values_mut() {
                route.attr.input_schema = Arc::new(compact::input(&route.attr.input_schema));
                if let Some(out) = &route.attr.output_schema {
                    route.attr.output_schema = Some(Arc::new(compact::output(out)));
                }
            }
            tool_router
        })
    }

    fn tool_router(&self) -> &'static ToolRouter<Self> {
        Self::router_for(self.state.mode().allows_run())
    }
}

/// The one tool that executes client code.
const RUN_LOCALLY: &str = "run_locally";

fn prompts(state: &AppState) -> &Prompts {
    &state.prompts
}

#[tool_handler(router = self.tool_router())]
impl ServerHandler for PipelinesServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new(
            "mcp-pipelines",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(INSTRUCTIONS)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        if request.name == RUN_LOCALLY
            && let Err(off) = self.state.mode().check_run()
        {
            return Ok(crate::convert::failure(off.to_string()).into());
        }
        // rmcp only signals a `notifications/cancelled`; dropping the tool's future is what
        // aborts its upstream HTTP requests. `run_locally` handles cancellation itself (it
        // must stop the pipeline's processes), so it is left to finish its own clean-up.
        let ct = context.ct.clone();
        let own_cleanup = request.name == RUN_LOCALLY;
        let tcc = ToolCallContext::new(self, request, context);
        if own_cleanup {
            return self.tool_router().call(tcc).await;
        }
        tokio::select! {
            result = self.tool_router().call(tcc) => result,
            () = ct.cancelled() => {
                tracing::info!("tool call cancelled by the client; its upstream requests are dropped");
                Err(McpError::invalid_request(
                "the call was cancelled by the client",
                None,
            ))
            }
        }
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult::with_all_items(
            prompts(&self.state).list(),
        ))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let server = self.clone();
        let list = tokio::task::spawn_blocking(move || {
            let handle = tokio::runtime::Handle::current();
            match handle.block_on(server.state.services()) {
                Ok(svc) => Ok(server.resource_list(svc)),
                Err(e) => Err(e),
            }
        })
        .await
        .map_err(|e| McpError::internal_error(e.to_string(), None))?
        .map_err(|e| McpError::internal_error(e.to_string(), None))?;
        Ok(ListResourcesResult::with_all_items(list))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(
            self.resource_templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        self.read(&request.uri).await.map(Into::into)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let args: BTreeMap<String, String> = request
            .arguments
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect();
        // The prompt starts the session with the refreshed spec and its digest, so the
        // agent need not call fetch_llms_txt (which then does not repeat the digest).
        let digest = if request.name == "create_pipeline" {
            match self.state.services().await {
                Ok(svc) => {
                    let start = pipelines_tools::docs::session_start(&svc.docs).await;
                    self.session.digest_seen(&start.digest);
                    Some(start.text)
                }
                Err(_) => None,
            }
        } else {
            None
        };
        match prompts(&self.state).get(&request.name, &args, digest.as_deref()) {
            Ok(r) => Ok(r.into()),
            Err(e) => Err(McpError::invalid_params(e.to_string(), None)),
        }
    }
}
