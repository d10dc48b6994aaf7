//! `--stdio`: MCP over stdin/stdout. Exits cleanly on stdin EOF.

use std::sync::Arc;

use anyhow::Context;
use rmcp::{ServiceExt, transport::stdio};

use crate::{handler::PipelinesServer, state::AppState};

/// Serves one client over stdio until it disconnects.
pub async fn serve(state: Arc<AppState>) -> anyhow::Result<()> {
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "serving MCP over stdio");
    let service = PipelinesServer::new(state)
        .serve(stdio())
        .await
        .context("MCP handshake over stdio failed")?;
    let reason = service.waiting().await.context("MCP stdio session failed")?;
    tracing::info!(?reason, "stdio session ended");
    Ok(())
}
