//! `--stdio`: MCP over stdin/stdout. Exits cleanly on stdin EOF, even before a handshake.
//! Each line in is one message of at most `--max-message-bytes`; a line that is not a
//! message the service can take gets a JSON-RPC error answer instead of silence.

mod lines;
mod transport;

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use rmcp::{ServiceExt, service::ServerInitializeError};

use crate::{handler::PipelinesServer, state::AppState};

/// How long queued output may take to reach stdout once the session has ended.
const DRAIN: Duration = Duration::from_secs(5);

/// Serves one client over stdio until it disconnects.
pub async fn serve(state: Arc<AppState>, max_message_bytes: usize) -> anyhow::Result<()> {
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        max_message_bytes,
        "serving MCP over stdio"
    );
    let (out, writer) = transport::writer(tokio::io::stdout());
    let stdin = tokio::io::BufReader::with_capacity(64 * 1024, tokio::io::stdin());
    let lines = transport::LineTransport::new(stdin, max_message_bytes, out);
    let result = session(state, lines).await;
    // The transport (and with it the last sender) is gone: let queued answers out.
    if tokio::time::timeout(DRAIN, writer).await.is_err() {
        tracing::warn!("stdout did not take the last messages within {DRAIN:?}");
    }
    result
}

async fn session<R>(state: Arc<AppState>, lines: transport::LineTransport<R>) -> anyhow::Result<()>
where
    R: tokio::io::AsyncBufRead + Unpin + Send + 'static,
{
    let service = match PipelinesServer::new(state).serve(lines).await {
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
