//! Opens sled on one long-lived thread per process. Opening allocates sled's page table (a
//! 4 MB and a 2 MB zeroed block) and its I/O buffers (512 KB each); glibc serves them from
//! the malloc arena of the opening thread and keeps that memory for the arena's next use
//! once the store closes. Opened from whichever blocking thread ran the operation, every
//! such thread's arena kept a copy (≈ 3 MB each, several per session); opened from this
//! one thread, a single copy is reused by every operation. Only the open runs here: the
//! operation itself and the waits for another process's lock stay on the caller's thread.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, mpsc};
use std::thread;

type Open = Box<dyn FnOnce() -> sled::Result<sled::Db> + Send>;
type Reply = mpsc::Sender<thread::Result<sled::Result<sled::Db>>>;

/// The opener thread's queue, started on first use.
static OPENER: Mutex<Option<mpsc::Sender<(Open, Reply)>>> = Mutex::new(None);

/// Runs `open` on the opener thread and returns its result. A panic inside it is resumed
/// here, so the caller's recovery sees it as before. Runs `open` on the calling thread
/// when the opener thread cannot be started.
pub(super) fn open_on_opener_thread(
    open: impl FnOnce() -> sled::Result<sled::Db> + Send + 'static,
) -> sled::Result<sled::Db> {
    let (reply, answer) = mpsc::channel();
    if let Err(open) = submit(Box::new(open), reply) {
        return open();
    }
    match answer.recv() {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => panic::resume_unwind(panic),
        // The thread catches every panic, so it never drops a job unanswered.
        Err(mpsc::RecvError) => Err(sled::Error::Io(std::io::Error::other(
            "the docs store's opener thread stopped",
        ))),
    }
}

/// Queues one open, starting the thread if there is none; gives `open` back when no
/// thread can take it.
fn submit(open: Open, reply: Reply) -> Result<(), Open> {
    let mut queue = OPENER.lock().unwrap_or_else(|e| e.into_inner());
    let job = match queue.as_ref() {
        Some(tx) => match tx.send((open, reply)) {
            Ok(()) => return Ok(()),
            Err(mpsc::SendError(job)) => job,
        },
        None => (open, reply),
    };
    *queue = None;
    let (tx, rx) = mpsc::channel::<(Open, Reply)>();
    let spawned = thread::Builder::new()
        .name("docs-store-open".into())
        .spawn(move || {
            for (open, reply) in rx {
                let _ = reply.send(panic::catch_unwind(AssertUnwindSafe(open)));
            }
        });
    if spawned.is_err() {
        return Err(job.0);
    }
    tx.send(job).map_err(|mpsc::SendError((open, _))| open)?;
    *queue = Some(tx);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::open_on_opener_thread;

    #[test]
    fn opens_on_one_thread_and_hands_back_results_and_panics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let names: Vec<String> = (0..3)
            .map(|_| {
                let path = path.clone();
                let db = open_on_opener_thread(move || {
                    assert_eq!(
                        std::thread::current().name(),
                        Some("docs-store-open"),
                        "opened on the opener thread"
                    );
                    sled::Config::new().path(path).open()
                })
                .unwrap();
                db.insert("k", "v").unwrap();
                drop(db);
                std::thread::current().name().unwrap_or_default().to_owned()
            })
            .collect();
        assert!(names.iter().all(|n| n != "docs-store-open"));
        let err = open_on_opener_thread(|| Err(sled::Error::Unsupported("no".into())));
        assert!(matches!(err, Err(sled::Error::Unsupported(_))));
        let caught =
            std::panic::catch_unwind(|| open_on_opener_thread(|| std::panic::panic_any("corrupt")));
        let payload = caught.err().unwrap();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"corrupt"));
        // The thread survived the panic: the next open still works.
        let db = open_on_opener_thread(move || sled::Config::new().path(path).open()).unwrap();
        assert_eq!(db.get("k").unwrap().as_deref(), Some(&b"v"[..]));
    }
}
