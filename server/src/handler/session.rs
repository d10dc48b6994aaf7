//! What one MCP session has already read, so a tool does not repeat it: the rules digest
//! (from the `create_pipeline` prompt or an earlier `fetch_llms_txt`). Stateless HTTP
//! requests each get a fresh handler, so they always get the whole digest.

use std::{
    collections::hash_map::DefaultHasher,
    hash::{Hash, Hasher},
    sync::Mutex,
};

/// The memory of one session.
#[derive(Debug, Default)]
pub(crate) struct Session {
    /// A hash of the last rules digest the session was given.
    digest: Mutex<Option<u64>>,
}

fn hash(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

impl Session {
    /// Records that the session was given `digest`; true when it was given the very same
    /// digest before.
    pub(crate) fn digest_seen(&self, digest: &str) -> bool {
        let now = hash(digest);
        match self.digest.lock() {
            Ok(mut last) => last.replace(now) == Some(now),
            Err(_) => false, // a poisoned lock only costs a repeated digest
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_digest_is_seen_the_second_time_only() {
        let s = Session::default();
        assert!(!s.digest_seen("a"));
        assert!(s.digest_seen("a"));
        assert!(!s.digest_seen("b"), "a changed digest is new");
        assert!(s.digest_seen("b"));
    }
}
