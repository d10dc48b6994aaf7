//! The open connections, for eviction under pressure: each connection's [`Activity`] says
//! whether a request is in flight and since when it has been waiting for a request head
//! (since it was accepted, or since its last response). When the pool is full the accept
//! loop evicts the one that has waited longest, so slow or idle clients cannot keep real
//! requests (and `/healthz`) out.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use tokio_util::sync::CancellationToken;

/// Per-connection bookkeeping: requests in flight, when it last became idle, its request
/// count, and the eviction signal.
pub struct Activity {
    active: AtomicUsize,
    since: Mutex<Instant>,
    seq: AtomicU64,
    evict: CancellationToken,
}

impl Activity {
    /// A connection just accepted: waiting for its first request head.
    pub fn new() -> Activity {
        Activity {
            active: AtomicUsize::new(0),
            since: Mutex::new(Instant::now()),
            seq: AtomicU64::new(0),
            evict: CancellationToken::new(),
        }
    }

    fn touch(&self) {
        if let Ok(mut t) = self.since.lock() {
            *t = Instant::now();
        }
    }

    /// A request head arrived: the request is active until the guard drops. Returns the
    /// guard and the request's 1-based position on the connection.
    pub fn begin(self: &Arc<Self>) -> (Active, u64) {
        self.active.fetch_add(1, Ordering::AcqRel);
        let seq = self.seq.fetch_add(1, Ordering::AcqRel) + 1;
        (Active(self.clone()), seq)
    }

    /// How long the connection has been waiting for a request head (None while a request is
    /// in flight).
    pub fn idle_for(&self) -> Option<Duration> {
        if self.active.load(Ordering::Acquire) > 0 {
            return None;
        }
        self.since.lock().ok().map(|t| t.elapsed())
    }

    /// Resolves once the connection was chosen for eviction.
    pub async fn evicted(&self) {
        self.evict.cancelled().await;
    }
}

/// Ends a request's activity when dropped (also when the request is abandoned).
pub struct Active(Arc<Activity>);

impl Drop for Active {
    fn drop(&mut self) {
        self.0.touch();
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// All open connections.
#[derive(Default)]
pub struct Pool {
    next_id: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<Activity>>>,
}

/// Removes a connection from the pool when dropped.
pub struct Registered {
    pool: Arc<Pool>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut conns) = self.pool.conns.lock() {
            conns.remove(&self.id);
        }
    }
}

impl Pool {
    /// Adds a connection; it leaves the pool when the returned guard drops.
    pub fn register(self: &Arc<Self>, activity: Arc<Activity>) -> Registered {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut conns) = self.conns.lock() {
            conns.insert(id, activity);
        }
        Registered {
            pool: self.clone(),
            id,
        }
    }

    /// Signals the connection that has waited longest for a request head (and is not being
    /// evicted already) to close. False when every connection has a request in flight.
    pub fn evict_longest_waiting(&self) -> bool {
        let Ok(conns) = self.conns.lock() else {
            return false;
        };
        let victim = conns
            .values()
            .filter(|a| !a.evict.is_cancelled())
            .filter_map(|a| a.idle_for().map(|d| (d, a)))
            .max_by_key(|(d, _)| *d)
            .map(|(_, a)| a.clone());
        drop(conns);
        match victim {
            Some(a) => {
                a.evict.cancel();
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_waiting_idle_connection_is_chosen_and_busy_ones_never() {
        let pool = Arc::new(Pool::default());
        let oldest = Arc::new(Activity::new());
        let _r1 = pool.register(oldest.clone());
        std::thread::sleep(Duration::from_millis(20));
        let busy = Arc::new(Activity::new());
        let _r2 = pool.register(busy.clone());
        let newer = Arc::new(Activity::new());
        let _r3 = pool.register(newer.clone());
        // `busy` is the oldest but has a request in flight after this.
        let (guard, seq) = busy.begin();
        assert_eq!(seq, 1);
        assert!(pool.evict_longest_waiting());
        assert!(oldest.evict.is_cancelled());
        assert!(!newer.evict.is_cancelled());
        assert!(pool.evict_longest_waiting());
        assert!(newer.evict.is_cancelled());
        assert!(!busy.evict.is_cancelled());
        // Only a busy connection left: nothing to evict.
        assert!(!pool.evict_longest_waiting());
        drop(guard);
        assert!(pool.evict_longest_waiting());
    }
}
