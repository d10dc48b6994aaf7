//! A run gives up the server's privileges: when the server runs as root (or with any
//! capability), the thread that starts the run empties its capability sets — bounding set
//! included, so a root child gets none back at `exec` — after it entered its mount
//! namespace. Landlock confines files; this takes away what files do not cover (loading
//! kernel modules, rebooting, raw sockets that could read other users' loopback traffic,
//! reconfiguring the network, `CAP_DAC_OVERRIDE`). Capabilities are per thread: the server's
//! own threads keep theirs.

use caps::{CapSet, Capability};

/// Drops every capability of the calling thread (no-op when it holds none).
pub(crate) fn drop_all() -> Result<(), caps::errors::CapsError> {
    let held = caps::read(None, CapSet::Permitted)?;
    let bounding = caps::read(None, CapSet::Bounding)?;
    if held.is_empty() {
        return Ok(());
    }
    // The bounding set first: dropping from it needs CAP_SETPCAP, still held here.
    if held.contains(&Capability::CAP_SETPCAP) {
        for cap in bounding {
            caps::drop(None, CapSet::Bounding, cap)?;
        }
    }
    for set in [
        CapSet::Ambient,
        CapSet::Inheritable,
        CapSet::Effective,
        CapSet::Permitted,
    ] {
        caps::clear(None, set)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_that_drops_its_capabilities_starts_children_without_any() {
        if caps::read(None, CapSet::Permitted).unwrap().is_empty() {
            eprintln!("skipped: this process holds no capabilities to drop");
            return;
        }
        let (own, child) = std::thread::spawn(|| {
            drop_all().unwrap();
            let own = caps::read(None, CapSet::Effective).unwrap();
            let child = std::process::Command::new("/bin/sh")
                .args(["-c", "grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status"])
                .output()
                .unwrap();
            (own, String::from_utf8_lossy(&child.stdout).into_owned())
        })
        .join()
        .unwrap();
        assert!(own.is_empty());
        for line in child.lines() {
            assert!(line.ends_with("0000000000000000"), "{child}");
        }
        assert_eq!(child.lines().count(), 3, "{child}");
        // This thread is untouched.
        let here = caps::read(None, CapSet::Bounding).unwrap();
        assert!(!here.is_empty());
    }
}
