//! Audit lines: one structured log line per tool call on a host (target `audit`, level
//! INFO): who (the token's `sub`, or `static-token-N` for the N-th static token, or
//! `anonymous` without auth), which tool, the outcome and the duration. Never the token,
//! the arguments or file contents.
//!
//! The request path does not format: it hands a small record (shared strings, a static
//! outcome, the duration) to the `audit` thread, which emits the same `tracing` event to
//! the same subscriber (stderr). Nothing is dropped: when the bounded channel is full or
//! the thread is gone, the line is emitted in place, as before; `flush` waits until every
//! record handed over has been written (the server calls it before exiting). The writer
//! gathers the lines it finds queued and writes them with one `write` ([`LogWriter`]).

use std::{
    cell::RefCell,
    io::Write,
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
/// Most lines written with one `write`.
const MAX_BATCH: usize = 512;
/// The writer's pause after each batch (the most a line waits behind a batch).
const PAUSE: Duration = Duration::from_millis(2);

thread_local! {
    /// On the `audit` thread while it writes a batch: where its log lines gather.
    static BATCH: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// The log's writer (`with_writer(|| LogWriter)`): stderr, except for the lines the
/// `audit` thread writes, which are gathered and written to stderr together.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let gathered = BATCH.with(|b| match b.borrow_mut().as_mut() {
            Some(batch) => {
                batch.extend_from_slice(buf);
                true
            }
            None => false,
        });
        if gathered {
            Ok(buf.len())
        } else {
            std::io::stderr().write(buf)
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        // One locked write of the whole line, as `Stderr` does.
        if BATCH.with(|b| b.borrow().is_some()) {
            self.write(buf).map(drop)
        } else {
            std::io::stderr().write_all(buf)
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

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
                .spawn(move || write_batches(&rx));
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

/// The writer's loop: waits for a line, takes every line queued behind it, writes them
/// with one `write` to stderr, then pauses briefly so that, under load, senders queue
/// without waking it for each line.
fn write_batches(rx: &mpsc::Receiver<Message>) {
    while let Ok(first) = rx.recv() {
        BATCH.with(|b| *b.borrow_mut() = Some(Vec::with_capacity(16 * 1024)));
        let mut acks = Vec::new();
        let mut next = Some(first);
        let mut lines = 0;
        while let Some(message) = next {
            match message {
                Message::Line(record) => emit(&record),
                Message::Flush(done) => acks.push(done),
            }
            lines += 1;
            next = if lines < MAX_BATCH {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if let Some(batch) = BATCH.with(|b| b.borrow_mut().take()) {
            let _ = std::io::stderr().write_all(&batch);
        }
        for done in acks {
            let _ = done.send(());
        }
        std::thread::sleep(PAUSE);
    }
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

/// Writes one line (on the `audit` thread, or in place), as the log's formatter writes an
/// INFO event of target `audit` with these fields (`main.rs`: the default format, no ANSI):
/// time, level, target, message, then each field, text quoted. Formatted here because the
/// generic formatter cost about as much as a cached tool call; a test holds the two equal.
fn emit(r: &Record) {
    let mut line = String::with_capacity(192);
    line_of(r, std::time::SystemTime::now(), &mut line);
    let _ = LogWriter.write_all(line.as_bytes());
}

/// The line [`emit`] writes for `r` at `now`.
fn line_of(r: &Record, now: std::time::SystemTime, out: &mut String) {
    use std::fmt::Write as _;
    let subject = r.subject.as_deref().unwrap_or("anonymous");
    let tool = truncate(&r.tool);
    let _ = write!(
        out,
        "{}  INFO audit: tool call subject={subject:?} tool={tool} ",
        humantime::format_rfc3339_micros(now)
    );
    let _ = match r.reason {
        None => write!(
            out,
            "outcome={:?} duration_ms={:?}",
            r.outcome,
            millis(r.duration)
        ),
        Some(reason) => write!(out, "outcome=\"refused\" reason={reason:?} duration_ms=0.0"),
    };
    out.push('\n');
}

/// A duration in milliseconds to the microsecond (`0.221`, not `0.22079700000000002`).
fn millis(d: Duration) -> f64 {
    // Exact below 2^53 µs (285 years); beyond, a nearby float is fine.
    #[allow(clippy::cast_precision_loss)]
    let micros = d.as_micros() as f64;
    micros / 1000.0
}

/// A client-supplied tool name, cut to a sane length for the log.
fn truncate(tool: &str) -> String {
    tool.chars().take(64).filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the log's formatter (as `main.rs` sets it up) writes for the same event.
    fn formatted_by_tracing(r: &Record) -> String {
        #[derive(Clone, Default)]
        struct Buffer(Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Buffer {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let subject = r.subject.as_deref().unwrap_or("anonymous");
            let tool = truncate(&r.tool);
            match r.reason {
                None => tracing::info!(target: "audit", subject, tool = %tool,
                    outcome = r.outcome, duration_ms = millis(r.duration), "tool call"),
                Some(reason) => tracing::info!(target: "audit", subject, tool = %tool,
                    outcome = "refused", reason, duration_ms = 0.0, "tool call"),
            }
        });
        String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn lines_read_as_the_log_formatter_writes_them() {
        let records = [
            Record {
                subject: Some("static-token-1".into()),
                tool: "get_docs".into(),
                outcome: "ok",
                reason: None,
                duration: Duration::from_micros(221),
            },
            Record {
                subject: None,
                tool: "validate\u{7}_pipeline \"x\"".into(),
                outcome: "tool_error",
                reason: None,
                duration: Duration::from_millis(1500),
            },
            Record {
                subject: Some("user \"quoted\" \\ é".into()),
                tool: "run_locally".into(),
                outcome: "refused",
                reason: Some("insufficient_scope"),
                duration: Duration::ZERO,
            },
        ];
        for r in &records {
            let theirs = formatted_by_tracing(r);
            let mut ours = String::new();
            line_of(r, std::time::SystemTime::now(), &mut ours);
            // The same line after the timestamp (each took its own clock reading).
            let (their_time, their_rest) = theirs.split_once(' ').unwrap();
            let (our_time, our_rest) = ours.split_once(' ').unwrap();
            assert_eq!(our_rest, their_rest);
            assert_eq!(
                our_time.len(),
                their_time.len(),
                "{our_time} / {their_time}"
            );
            assert!(our_time.ends_with('Z') && their_time.ends_with('Z'));
        }
    }

    #[test]
    fn durations_read_in_milliseconds_to_the_microsecond() {
        assert_eq!(millis(Duration::from_nanos(220_797)).to_string(), "0.22");
        assert_eq!(millis(Duration::from_micros(221)).to_string(), "0.221");
        assert_eq!(millis(Duration::from_millis(1500)).to_string(), "1500");
        assert_eq!(millis(Duration::ZERO).to_string(), "0");
    }
}
