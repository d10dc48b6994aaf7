//! Audit lines: one structured log line per tool call on a host (target `audit`, level
//! INFO): who (the token's `sub`, or `static-token-N` for the N-th static token, or
//! `anonymous` without auth), which tool, the outcome and the duration. Never the token,
//! the arguments or file contents.
//!
//! The request path does not format: it hands a small record (shared strings, a static
//! outcome, the duration) to the `audit` thread, which emits the same `tracing` event to
//! the same subscriber (stderr). Nothing is dropped: when the bounded channel is full or
//! the thread is gone, the line is emitted in place, as before; `flush` waits until every
//! record handed over has been written (the server calls it before exiting).

use std::{
    sync::{
        Arc, OnceLock,
        atomic::{AtomicBool, Ordering},
        mpsc::{self, SyncSender, TrySendError},
    },
    time::Duration,
};

use super::auth::Principal;

/// Records waiting for the writer at most (beyond, lines are written in place).
const CAPACITY: usize = 8192;

/// One audit line, not yet formatted.
struct Record {
    subject: Option<Arc<str>>,
    tool: Arc<str>,
    outcome: &'static str,
    /// For a refused call: why.
    reason: Option<&'static str>,
    duration: Duration,
}

enum Message {
    Line(Record),
    /// Answered once every line sent before it is written.
    Flush(mpsc::Sender<()>),
}

fn writer() -> Option<&'static SyncSender<Message>> {
    static WRITER: OnceLock<Option<SyncSender<Message>>> = OnceLock::new();
    WRITER
        .get_or_init(|| {
            let (tx, rx) = mpsc::sync_channel::<Message>(CAPACITY);
            let spawned = std::thread::Builder::new()
                .name("audit".into())
                .spawn(move || {
                    for message in rx {
                        match message {
                            Message::Line(record) => emit(&record),
                            Message::Flush(done) => {
                                let _ = done.send(());
                            }
                        }
                    }
                });
            match spawned {
                Ok(_) => Some(tx),
                Err(e) => {
                    tracing::warn!("audit lines are written on the request path: {e}");
                    None
                }
            }
        })
        .as_ref()
}

/// Whether audit lines are wanted at all (`RUST_LOG` may leave INFO out).
fn enabled() -> bool {
    tracing::enabled!(target: "audit", tracing::Level::INFO)
}

/// Set by `flush`: later lines are written in place (the process is about to exit).
static IN_PLACE: AtomicBool = AtomicBool::new(false);

fn submit(record: Record) {
    if IN_PLACE.load(Ordering::Relaxed) {
        return emit(&record);
    }
    let Some(tx) = writer() else {
        return emit(&record);
    };
    match tx.try_send(Message::Line(record)) {
        Ok(()) => {}
        Err(
            TrySendError::Full(Message::Line(r)) | TrySendError::Disconnected(Message::Line(r)),
        ) => {
            emit(&r);
        }
        Err(_) => {}
    }
}

/// Waits until every audit line handed over so far is written; later ones are written in
/// place.
pub fn flush() {
    IN_PLACE.store(true, Ordering::Relaxed);
    let Some(tx) = writer() else { return };
    let (done, wait) = mpsc::channel();
    if tx.send(Message::Flush(done)).is_ok() {
        let _ = wait.recv();
    }
}

/// A tool call that was answered (`outcome`: ok, tool_error, rpc_error, http_error).
pub fn tool_call(
    principal: Option<&Principal>,
    tool: &Arc<str>,
    outcome: &'static str,
    duration: Duration,
) {
    if enabled() {
        submit(Record {
            subject: principal.map(|p| p.subject.clone()),
            tool: tool.clone(),
            outcome,
            reason: None,
            duration,
        });
    }
}

/// A tool call refused before it ran (`reason`: insufficient_scope, queue_full, ...).
pub fn refused(principal: Option<&Principal>, tool: &Arc<str>, reason: &'static str) {
    if enabled() {
        submit(Record {
            subject: principal.map(|p| p.subject.clone()),
            tool: tool.clone(),
            outcome: "refused",
            reason: Some(reason),
            duration: Duration::ZERO,
        });
    }
}

/// Writes one line (on the `audit` thread, or in place).
fn emit(r: &Record) {
    let subject = r.subject.as_deref().unwrap_or("anonymous");
    let tool = truncate(&r.tool);
    match r.reason {
        None => tracing::info!(
            target: "audit",
            subject,
            tool = %tool,
            outcome = r.outcome,
            duration_ms = r.duration.as_secs_f64() * 1000.0,
            "tool call"
        ),
        Some(reason) => tracing::info!(
            target: "audit",
            subject,
            tool = %tool,
            outcome = "refused",
            reason,
            duration_ms = 0.0,
            "tool call"
        ),
    }
}

/// A client-supplied tool name, cut to a sane length for the log.
fn truncate(tool: &str) -> String {
    tool.chars().take(64).filter(|c| !c.is_control()).collect()
}
