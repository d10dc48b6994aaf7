//! Running the recursive parts of validation (parsing, tree walks) on a thread with a known
//! large stack and a time budget, so that no input can overflow a small (e.g. tokio worker)
//! stack or stall the caller.

use std::{
    sync::{Mutex, mpsc},
    time::Duration,
};

/// The stack of the thread that parses and walks a project: far more than the
/// [`super::python::NESTING_LIMIT`]-deep trees the pre-scan lets through need.
pub const BIG_STACK_BYTES: usize = 64 * 1024 * 1024;

/// How long loading (reading and parsing) a project may take.
pub const PARSE_BUDGET: Duration = Duration::from_secs(10);

/// The most bytes (all files together) of an inline project loaded on the caller's thread.
pub const SMALL_PROJECT_BYTES: usize = 16 * 1024;

/// The nesting ([`super::python::is_shallow`]: expression depth, indentation columns) up to
/// which an inline project is loaded on the caller's thread.
pub const SHALLOW_NESTING: usize = 24;

/// Whether inline `files` are small and shallow enough to be loaded (read, parsed and
/// walked) on the caller's thread, any thread with a default-sized stack (a tokio worker's
/// 2 MiB; a test checks the worst case these limits let through on a quarter of it), and
/// so quickly that [`PARSE_BUDGET`] cannot run out: the hand-off to a big-stack thread
/// costs more than loading such a project. Every other project loads on a big-stack thread.
pub fn small_and_shallow(files: &std::collections::BTreeMap<String, String>) -> bool {
    is_small(files)
        && files
            .values()
            .all(|text| super::python::is_shallow(text, SHALLOW_NESTING))
}

/// Whether inline `files` hold at most [`SMALL_PROJECT_BYTES`] in all (the first half of
/// [`small_and_shallow`]; `Project::here` asks the second of each file it parses).
pub(crate) fn is_small(files: &std::collections::BTreeMap<String, String>) -> bool {
    files.values().map(String::len).sum::<usize>() <= SMALL_PROJECT_BYTES
}

/// Why a bounded job produced no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BoundedError {
    /// It ran past its budget (it is left to finish in the background).
    #[error("did not finish within {0:?}")]
    Budget(Duration),
    /// The thread could not be started or the job panicked.
    #[error("the worker thread failed")]
    Thread,
}

/// Runs `job` on a thread with a [`BIG_STACK_BYTES`] stack and waits at most
/// `budget` for it (blocking the caller).
pub fn on_big_stack<T, F>(budget: Duration, job: F) -> Result<T, BoundedError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    spawn(move || {
        // The receiver may be gone after a timeout; the result is then dropped.
        let _ = tx.send(job());
    })?;
    match rx.recv_timeout(budget) {
        Ok(value) => Ok(value),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(BoundedError::Budget(budget)),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(BoundedError::Thread),
    }
}

/// [`on_big_stack`] for async callers: the job runs on its own thread, the caller's task
/// awaits it without blocking a runtime worker.
pub async fn on_big_stack_async<T, F>(budget: Duration, job: F) -> Result<T, BoundedError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    spawn(move || {
        let _ = tx.send(job());
    })?;
    match tokio::time::timeout(budget, rx).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(_)) => Err(BoundedError::Thread),
        Err(_) => Err(BoundedError::Budget(budget)),
    }
}

/// A job for a big-stack thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// Idle big-stack threads kept for the next job (a thread per job cost more than the
/// validation of a small project: a 64 MB mapping, a clone, an unmap).
const MAX_IDLE: usize = 4;

/// Senders to the idle big-stack threads, each waiting for one job.
static IDLE: Mutex<Vec<mpsc::Sender<Job>>> = Mutex::new(Vec::new());

/// Runs `f` on an idle big-stack thread, or a new one when none is idle (a job past its
/// budget keeps its thread busy; it never delays the next).
fn spawn(f: impl FnOnce() + Send + 'static) -> Result<(), BoundedError> {
    let mut job: Job = Box::new(f);
    loop {
        let idle = IDLE.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let Some(worker) = idle else { break };
        match worker.send(job) {
            Ok(()) => return Ok(()),
            // That thread is gone (it cannot be, but then try the next).
            Err(mpsc::SendError(back)) => job = back,
        }
    }
    std::thread::Builder::new()
        .name("validate".into())
        .stack_size(BIG_STACK_BYTES)
        .spawn(move || worker(job))
        .map(drop)
        .map_err(|_| BoundedError::Thread)
}

/// Runs `first`, then offers itself for more jobs while fewer than [`MAX_IDLE`] threads
/// are idle. A job that panics ends its thread (its caller sees the result channel close).
fn worker(first: Job) {
    first();
    loop {
        let (tx, rx) = mpsc::channel::<Job>();
        {
            let mut idle = IDLE.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() >= MAX_IDLE {
                return;
            }
            idle.push(tx);
        }
        match rx.recv() {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn results_come_back_and_slow_jobs_hit_the_budget() {
        assert_eq!(on_big_stack(Duration::from_secs(5), || 41 + 1), Ok(42));
        let slow = on_big_stack(Duration::from_millis(10), || {
            std::thread::sleep(Duration::from_millis(500));
        });
        assert_eq!(slow, Err(BoundedError::Budget(Duration::from_millis(10))));
        let panicked: Result<(), _> = on_big_stack(Duration::from_secs(5), || panic!("boom"));
        assert_eq!(panicked, Err(BoundedError::Thread));
    }

    /// The deepest project of each shape that [`small_and_shallow`] lets onto the caller's
    /// thread loads on a 512 KiB stack (a quarter of a tokio worker's), in this unoptimised
    /// build; one level deeper is refused.
    #[test]
    fn the_deepest_small_and_shallow_projects_load_on_a_small_stack() {
        let block = |i: usize, line: &str| format!("{}{line}\n", " ".repeat(i));
        let shapes: Vec<Box<dyn Fn(usize) -> String>> = vec![
            Box::new(|k| format!("x = {}x{}\n", "f(".repeat(k), ")".repeat(k))),
            Box::new(|k| format!("x = {}x{}\n", "[".repeat(k), "]".repeat(k))),
            Box::new(|k| format!("x = {}a[0]{}\n", "{1: ".repeat(k), "}".repeat(k))),
            Box::new(|k| format!("g = {}0\n", "lambda: ".repeat(k))),
            Box::new(|k| format!("x = {}a\n", "a+".repeat(k))),
            Box::new(|k| format!("x = {}a\n", "-".repeat(k))),
            Box::new(|k| format!("x = a{}\n", ".b()".repeat(k))),
            Box::new(|k| format!("x = {}a\n", "not ".repeat(k))),
            Box::new(|k| format!("{}pass\n", "while a: ".repeat(k))),
            Box::new(move |k| {
                let body: String = (1..=k).map(|i| block(i, "if x: y = lambda z: z")).collect();
                format!("def run():\n{body}")
            }),
            Box::new(move |k| {
                let defs: String = (0..k).map(|i| block(i, "def f(x=[[1]]):")).collect();
                format!("{defs}{}return 1\n", " ".repeat(k))
            }),
        ];
        let project = |main: &str| -> BTreeMap<String, String> {
            [
                (
                    "cog.yaml",
                    "build:\n  python_requirements: r.txt\npredict: \"main.py:run\"\n",
                ),
                ("r.txt", "replicate>=1.1.0b1,<2.0.0a1\n"),
                ("main.py", main),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
        };
        for shape in &shapes {
            let deepest = (1..=4 * SHALLOW_NESTING)
                .take_while(|k| small_and_shallow(&project(&shape(*k))))
                .last()
                .unwrap_or(0);
            assert!((3..4 * SHALLOW_NESTING).contains(&deepest), "{}", shape(3));
            let files = project(&shape(deepest));
            // Parsed on this thread by the loader (`Project::here`), and by a full parse.
            let here = files.clone();
            let loaded = std::thread::Builder::new()
                .stack_size(512 * 1024)
                .spawn(move || {
                    let loaded = crate::validate::Project::here(&here).map(|p| p.is_some());
                    let full = crate::validate::Project::from_files(&files).is_ok();
                    loaded.ok() == Some(true) && full
                })
                .unwrap()
                .join();
            assert_eq!(loaded.ok(), Some(true), "{}", shape(deepest));
            // One level deeper is left to a big stack.
            let deeper = project(&shape(deepest + 1));
            assert!(
                matches!(crate::validate::Project::here(&deeper), Ok(None)),
                "{}",
                shape(deepest + 1)
            );
        }
        let big = project(&format!("# {}\n", "x".repeat(SMALL_PROJECT_BYTES)));
        assert!(!small_and_shallow(&big));
    }
}
