//! The stdio transport: one JSON-RPC message per line, read with a size limit, with an answer
//! for every line that is not a message the service can take — a parse error, an invalid
//! request, invalid params or a message over the limit — carrying the message's id whenever
//! the bytes still show one. Everything written to stdout goes through one writer task, so
//! these answers never interleave with the service's own messages.

use std::io;

use rmcp::{
    RoleServer,
    service::{RxJsonRpcMessage, TxJsonRpcMessage},
    transport::Transport,
};
use serde_json::Value;
use tokio::{
    io::{AsyncBufRead, AsyncWrite, AsyncWriteExt},
    sync::mpsc,
};

use super::lines::{Line, LineReader};
use crate::jsonrpc::{
    INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR, error_message, id_from_bytes, invalid_reason,
    recover_id,
};

/// Lines waiting for stdout; the service waits when stdout is this far behind.
const OUT_QUEUE: usize = 64;

/// The server side of MCP over a line-delimited byte stream.
pub struct LineTransport<R> {
    lines: LineReader<R>,
    out: mpsc::Sender<Vec<u8>>,
    /// An error answer decided but not yet queued (kept across a cancelled `receive`).
    pending: Option<Vec<u8>>,
}

impl<R: AsyncBufRead + Unpin + Send> LineTransport<R> {
    /// Reads messages from `read` (lines of at most `max_bytes`) and queues output on `out`.
    pub fn new(read: R, max_bytes: usize, out: mpsc::Sender<Vec<u8>>) -> Self {
        Self {
            lines: LineReader::new(read, max_bytes),
            out,
            pending: None,
        }
    }
}

/// A queue for stdout and the task that drains it into `write`; the task ends when every
/// sender is gone and all queued lines are written, or when `write` fails.
pub fn writer<W: AsyncWrite + Unpin + Send + 'static>(
    mut write: W,
) -> (mpsc::Sender<Vec<u8>>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(OUT_QUEUE);
    let task = tokio::spawn(async move {
        while let Some(line) = rx.recv().await {
            if let Err(e) = async {
                write.write_all(&line).await?;
                write.flush().await
            }
            .await
            {
                tracing::error!(error = %e, "cannot write to stdout; ending the session");
                return;
            }
        }
    });
    (tx, task)
}

fn line_of(v: &impl serde::Serialize) -> io::Result<Vec<u8>> {
    let mut line = serde_json::to_vec(v).map_err(io::Error::other)?;
    line.push(b'\n');
    Ok(line)
}

/// What one line read from the client is.
enum Verdict {
    Message(Box<RxJsonRpcMessage<RoleServer>>),
    /// Answer this (a JSON-RPC error) and read on.
    Answer(Vec<u8>),
    /// Nothing to deliver and nothing to answer (a notification the service does not know).
    Skip,
}

fn answer(id: Value, code: i64, message: &str) -> Verdict {
    tracing::warn!(%id, code, "{message}");
    match line_of(&error_message(id, code, message)) {
        Ok(l) => Verdict::Answer(l),
        Err(_) => Verdict::Skip,
    }
}

fn judge(line: &[u8]) -> Verdict {
    let value: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => {
            let id = id_from_bytes(line).unwrap_or(Value::Null);
            return answer(
                id,
                PARSE_ERROR,
                &format!("Parse error: the line is not a JSON value ({e})"),
            );
        }
    };
    if value.is_array() {
        return answer(
            Value::Null,
            INVALID_REQUEST,
            "Invalid Request: batches (JSON arrays) are not part of MCP; send one message per line",
        );
    }
    if let Some(reason) = invalid_reason(&value) {
        return answer(recover_id(&value), INVALID_REQUEST, reason);
    }
    // What an answer needs, taken before the value is consumed (it may be megabytes).
    let id = value.get("id").map(|_| recover_id(&value));
    let method = value
        .get("method")
        .and_then(Value::as_str)
        .map(str::to_owned);
    match serde_json::from_value::<RxJsonRpcMessage<RoleServer>>(value) {
        Ok(msg) => Verdict::Message(Box::new(msg)),
        Err(e) => match (id, method) {
            (Some(id), Some(method)) => answer(
                id,
                INVALID_PARAMS,
                &format!("Invalid params for `{method}`: {e}"),
            ),
            // A notification or a response nobody waits for: nothing may answer it.
            (_, method) => {
                tracing::warn!(error = %e, ?method, "ignoring a message that fits no MCP shape");
                Verdict::Skip
            }
        },
    }
}

fn oversized(len: u64, max: usize, prefix: &[u8]) -> Verdict {
    let message = format!(
        "Invalid Request: the message is {len} bytes, over the limit of {max} bytes \
         (--max-message-bytes); it was dropped and the session goes on"
    );
    match id_from_bytes(prefix) {
        Some(id) => answer(id, INVALID_REQUEST, &message),
        None => {
            tracing::error!(
                "{message}; no id could be read from its first bytes, so no answer is sent"
            );
            Verdict::Skip
        }
    }
}

impl<R: AsyncBufRead + Unpin + Send + 'static> Transport<RoleServer> for LineTransport<R> {
    type Error = io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let out = self.out.clone();
        let line = line_of(&item);
        async move {
            out.send(line?)
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "stdout is closed"))
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            if self.pending.is_some() {
                // `reserve` is cancel-safe: the answer stays pending until it is queued.
                let permit = self.out.reserve().await.ok()?;
                if let Some(line) = self.pending.take() {
                    permit.send(line);
                }
            }
            let max = self.lines.max();
            let verdict = match self.lines.next_line().await {
                Line::Complete(bytes) => {
                    if bytes.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    judge(bytes)
                }
                Line::Oversized { len, prefix } => oversized(len, max, prefix),
                Line::Eof => return None,
                Line::Failed(e) => {
                    tracing::error!(error = %e, "cannot read stdin; ending the session");
                    return None;
                }
            };
            match verdict {
                Verdict::Message(m) => return Some(*m),
                Verdict::Answer(line) => self.pending = Some(line),
                Verdict::Skip => {}
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}
