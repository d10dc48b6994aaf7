//! Where a tool may touch the user's disk: the client's MCP roots when it offers them,
//! else the server's working directory. Hosted (HTTP) servers take no paths at all. The
//! checks themselves are `pipelines_tools::request`'s; this file fetches the roots.

use std::path::{Path, PathBuf};

use pipelines_tools::{
    request::{
        ModeRefusal, NewDirRefused, ProjectArgsError, UnconfinedProject, confine, confine_new,
    },
    run_local::ProjectSource,
    validate::ProjectError,
};
use rmcp::{RoleServer, service::RequestContext};

use super::PipelinesServer;

/// Why a tool may not use the path (or project) it was given. The message says what to do.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PathRefused {
    /// The `path`/`files` arguments name no usable project (including a path sent to a
    /// hosted server).
    #[error(transparent)]
    Args(#[from] ProjectArgsError),
    /// The path is outside the roots or does not resolve.
    #[error(transparent)]
    Confine(#[from] ProjectError),
    /// A hosted server was asked to write to disk.
    #[error(transparent)]
    Mode(#[from] ModeRefusal),
    /// A new directory's path cannot be placed inside the roots.
    #[error(transparent)]
    NewDir(#[from] NewDirRefused),
}

impl PipelinesServer {
    /// The directories a path argument must stay inside. (MCP roots are deprecated by
    /// SEP-2577 in the newest protocol, but the clients we serve still offer them.)
    #[allow(deprecated)]
    pub(crate) async fn roots(&self, ctx: &RequestContext<RoleServer>) -> Vec<PathBuf> {
        let offers_roots = ctx.client_capabilities().is_some_and(|c| c.roots.is_some());
        if offers_roots {
            // Bounded: a client that advertises roots but never answers must not hang the tool.
            match tokio::time::timeout(std::time::Duration::from_secs(5), ctx.peer.list_roots())
                .await
            {
                Ok(Ok(list)) => {
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
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "roots/list failed; using the working directory")
                }
                Err(_) => tracing::warn!("roots/list timed out; using the working directory"),
            }
        }
        std::env::current_dir().map(|d| vec![d]).unwrap_or_default()
    }

    /// Resolves a client-supplied path inside the roots, or says why not.
    pub(crate) async fn confined(
        &self,
        path: &str,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<PathBuf, PathRefused> {
        if self.state.mode().is_hosted() {
            return Err(ProjectArgsError::HostedPath.into());
        }
        let roots = self.roots(ctx).await;
        Ok(confine(Path::new(path), &roots)?)
    }

    /// The project a tool's `path`/`files` arguments name
    /// ([`UnconfinedProject::from_args`]), with a path confined to the roots.
    pub(crate) async fn project_input(
        &self,
        path: Option<String>,
        files: Option<std::collections::BTreeMap<String, String>>,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<ProjectSource, PathRefused> {
        match UnconfinedProject::from_args(path, files, self.state.mode())? {
            UnconfinedProject::Files(files) => Ok(ProjectSource::Inline(files)),
            UnconfinedProject::Path(path) => {
                self.confined(&path, ctx).await.map(ProjectSource::Dir)
            }
        }
    }

    /// Like [`Self::confined`] for a directory that may not exist yet ([`confine_new`]).
    pub(crate) async fn confined_new(
        &self,
        path: &str,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<PathBuf, PathRefused> {
        self.state.mode().check_write()?;
        let roots = self.roots(ctx).await;
        Ok(confine_new(path, &roots)?)
    }
}
