//! `--stdio`: MCP over stdin/stdout. Exits cleanly on stdin EOF, even before a handshake.

use std::sync::Arc;

use anyhow::Context;
use rmcp::{ServiceExt, service::ServerInitializeError, transport::stdio};

use crate::{handler::PipelinesServer, state::AppState};

/// Serves one client over stdio until it disconnects.
pub async fn serve(state: Arc<AppState>) -> anyhow::Result<()> {
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        "serving MCP over stdio"
    );
    let service = match PipelinesServer::new(state).serve(stdio()).await {
        Ok(s) => s,
        Err(ServerInitializeError::ConnectionClosed(during)) => {
            tracing::info!(%during, "stdin closed before the handshake; exiting");
            return Ok(());
        }
        Err(e) => return Err(e).context("MCP handshake over stdio failed"),
    };
    let reason = service
        .waiting()
        .await
        .context("MCP stdio session failed")?;
    tracing::info!(?reason, "stdio session ended");
    Ok(())
}
