//! Admission of tool calls: at most `--max-in-flight` run at once; beyond that a call waits
//! in a bounded FIFO queue (`--max-queued`, default 4 × in-flight) for up to
//! `--queue-timeout` (default 2 s). Only a full queue or a wait that runs out is refused
//! (503 with `Retry-After`), so a short burst waits instead of being shed. Other requests
//! (`initialize`, `tools/list`, `/healthz`, `/metrics`) never queue.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why a call was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Every slot busy and the queue full.
    QueueFull,
    /// Waited `--queue-timeout` without getting a slot.
    TimedOut,
}

impl Refused {
    /// A label for metrics and the audit line.
    pub fn label(self) -> &'static str {
        match self {
            Refused::QueueFull => "queue_full",
            Refused::TimedOut => "queue_timeout",
        }
    }
}

/// The slots and the queue.
pub struct Admission {
    slots: Arc<Semaphore>,
    /// Configured slots.
    pub max_in_flight: usize,
    queued: AtomicUsize,
    /// Most calls waiting at once.
    pub max_queued: usize,
    /// Longest wait.
    pub timeout: Duration,
}

/// Leaves the queue when dropped (also when the waiting request is abandoned).
struct InQueue<'a>(&'a AtomicUsize);

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
        metrics::gauge!("mcp_pipelines_queued_requests").decrement(1.0);
    }
}

impl Admission {
    /// `max_in_flight` slots (at least 1), a queue of `max_queued`, waits of `timeout`.
    pub fn new(max_in_flight: usize, max_queued: usize, timeout: Duration) -> Admission {
        let max_in_flight = max_in_flight.max(1);
        Admission {
            slots: Arc::new(Semaphore::new(max_in_flight)),
            max_in_flight,
            queued: AtomicUsize::new(0),
            max_queued,
            timeout,
        }
    }

    /// A slot now, or after waiting in the queue; the permit frees it when dropped.
    pub async fn admit(&self) -> Result<OwnedSemaphorePermit, Refused> {
        if let Ok(p) = self.slots.clone().try_acquire_owned() {
            return Ok(p);
        }
        let before = self.queued.fetch_add(1, Ordering::AcqRel);
        if before >= self.max_queued {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            return Err(Refused::QueueFull);
        }
        metrics::gauge!("mcp_pipelines_queued_requests").increment(1.0);
        let _in_queue = InQueue(&self.queued);
        // Tokio's semaphore is fair: waiters get slots in arrival order.
        match tokio::time::timeout(self.timeout, self.slots.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            _ => Err(Refused::TimedOut),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_waits_then_a_full_queue_or_a_long_wait_is_refused() {
        let a = Arc::new(Admission::new(1, 1, Duration::from_millis(300)));
        let held = a.admit().await.expect("free slot");
        // One may wait...
        let waiter = {
            let a = a.clone();
            tokio::spawn(async move { a.admit().await.map(drop) })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        // ...a second finds the queue full at once.
        assert_eq!(a.admit().await.err(), Some(Refused::QueueFull));
        drop(held);
        assert_eq!(
            waiter.await.ok(),
            Some(Ok(())),
            "the waiter got the freed slot"
        );
        // A wait that runs out.
        let held = a.admit().await.expect("free again");
        assert_eq!(a.admit().await.err(), Some(Refused::TimedOut));
        drop(held);
        assert_eq!(a.queued.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn no_queue_means_shedding_at_once() {
        let a = Admission::new(1, 0, Duration::from_secs(5));
        let _held = a.admit().await.expect("free slot");
        assert_eq!(a.admit().await.err(), Some(Refused::QueueFull));
    }
}
