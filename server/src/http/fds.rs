//! File descriptors for a host under pressure: at start the soft `RLIMIT_NOFILE` is raised
//! to the hard limit, and the default `--max-connections` follows the limit, leaving room for
//! runs (venv builds, cog, the per-run proxy), the store and the listener.

/// Descriptors kept out of the connection pool: at least this many...
const MIN_RESERVE: u64 = 64;
/// ...or this fraction of the limit (1/4), whichever is more.
const RESERVE_DIVISOR: u64 = 4;
/// Default pool size when the limit cannot be read.
const FALLBACK_CONNECTIONS: usize = 512;
/// Never more than this by default (each connection also costs memory).
const MAX_DEFAULT_CONNECTIONS: u64 = 16_384;

/// Raises the soft open-file limit to the hard limit; returns the soft limit now in force
/// (`None` when it cannot be read).
pub fn raise_nofile_limit() -> Option<u64> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    if soft >= hard {
        return Some(soft);
    }
    match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
        Ok(()) => {
            tracing::debug!(from = soft, to = hard, "raised the open-file limit");
            Some(hard)
        }
        Err(e) => {
            tracing::warn!(soft, hard, error = %e, "cannot raise the open-file limit");
            Some(soft)
        }
    }
}

/// The default `--max-connections` for an open-file limit.
pub fn default_max_connections(limit: Option<u64>) -> usize {
    let Some(limit) = limit else {
        return FALLBACK_CONNECTIONS;
    };
    let reserve = MIN_RESERVE.max(limit / RESERVE_DIVISOR);
    let n = limit
        .saturating_sub(reserve)
        .clamp(16, MAX_DEFAULT_CONNECTIONS);
    usize::try_from(n).unwrap_or(FALLBACK_CONNECTIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_leaves_room_under_the_limit() {
        assert_eq!(default_max_connections(Some(256)), 192);
        assert_eq!(default_max_connections(Some(1024)), 768);
        assert_eq!(default_max_connections(Some(1 << 20)), 16_384);
        assert_eq!(default_max_connections(Some(40)), 16);
        assert_eq!(default_max_connections(None), 512);
    }
}
