//! Where a tool may touch the user's disk: the client's MCP roots when it offers them,
//! else the server's working directory. Hosted (HTTP) servers take no paths at all.

use std::path::{Path, PathBuf};

use pipelines_tools::validate::confine;
use rmcp::{RoleServer, service::RequestContext};

use super::PipelinesServer;

impl PipelinesServer {
    /// The directories a path argument must stay inside. (MCP roots are deprecated by
    /// SEP-2577 in the newest protocol, but the clients we serve still offer them.)
    #[allow(deprecated)]
    pub(crate) async fn roots(&self, ctx: &RequestContext<RoleServer>) -> Vec<PathBuf> {
        let offers_roots = ctx
            .client_capabilities()
            .is_some_and(|c| c.roots.is_some());
        if offers_roots {
            match ctx.peer.list_roots().await {
                Ok(list) => {
                    let roots: Vec<PathBuf> = list
                        .roots
                        .iter()
                        .filter_map(|r| url::Url::parse(&r.uri).ok())
                        .filter(|u| u.scheme() == "file")
                        .filter_map(|u| u.to_file_path().ok())
                        .collect();
                    if !roots.is_empty() {
                        return roots;
                    }
                }
                Err(e) => tracing::debug!(error = %e, "roots/list failed; using the working directory"),
            }
        }
        std::env::current_dir().map(|d| vec![d]).unwrap_or_default()
    }

    /// Resolves a client-supplied path inside the roots, or says why not.
    pub(crate) async fn confined(
        &self,
        path: &str,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<PathBuf, String> {
        if self.state.hosted {
            return Err(
                "this server is hosted over HTTP and cannot read your disk: pass the project's files inline in `files` instead of `path`"
                    .to_string(),
            );
        }
        let roots = self.roots(ctx).await;
        confine(Path::new(path), &roots).map_err(|e| e.to_string())
    }
}
