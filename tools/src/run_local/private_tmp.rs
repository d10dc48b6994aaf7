//! A run's own `/tmp` (Linux mount namespace): the sandboxed child sees its private tmp dir
//! at `/tmp`, so pipelines that write `/tmp/out.png` (as the spec's examples do, and as the
//! runtime allows) keep working, while the host's shared `/tmp` — other programs' files,
//! other runs — is out of sight. Paths the run needs that lie under the real `/tmp` (a
//! checkout, cache or venv there) are bound back at the same place inside it.
//!
//! `/dev/shm` is a fresh tmpfs in that namespace, so shared memory is the run's own as well.
//!
//! Entering a mount namespace needs `CAP_SYS_ADMIN` (a root server, a container); without
//! it the run still gets no `/tmp` at all from the Landlock rules, only its private
//! `TMPDIR`. The namespace is entered by the spawning thread only (`unshare(CLONE_NEWNS)`
//! affects the calling thread), so the server's own threads keep the host's mounts.

use std::os::fd::AsRawFd as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};

const TMP: &str = "/tmp";
const SHM: &str = "/dev/shm";

/// Whether this process may give runs their own `/tmp`; probed once, on a throwaway thread
/// that does all [`enter`] does (a security module may refuse a mount `unshare` allowed).
pub(crate) fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let Ok(probe) = tempfile::Builder::new()
            .prefix("mcp-pipelines-probe-")
            .tempdir()
        else {
            return false;
        };
        let dir = probe.path().to_path_buf();
        match std::thread::spawn(move || enter(&dir, &[])).join() {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::debug!("runs get no private /tmp: {e}");
                false
            }
            Err(_) => false,
        }
    })
}

fn make_mounts_private() -> nix::Result<()> {
    // Nothing mounted here may propagate back to the host's namespace.
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
}

/// Moves the calling thread into a new mount namespace where `/tmp` is `private` and each
/// of `keep` (dirs the run needs) that lies under the real `/tmp` is still at its path.
pub(crate) fn enter(private: &Path, keep: &[PathBuf]) -> std::io::Result<()> {
    let under_tmp = needed_under_tmp(keep);
    unshare(CloneFlags::CLONE_NEWNS)?;
    make_mounts_private()?;
    // Opened in the new namespace (a bind source must belong to it) before `/tmp` is
    // covered: these are the mount sources.
    let sources = under_tmp
        .iter()
        .map(|p| std::fs::File::open(p).map(|f| (p, f)))
        .collect::<std::io::Result<Vec<_>>>()?;
    mount(
        Some(private),
        TMP,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )?;
    // Shared memory too (Python's multiprocessing semaphores): a fresh tmpfs, gone with the
    // run, instead of the host's /dev/shm.
    if Path::new(SHM).is_dir() {
        mount(
            Some("tmpfs"),
            SHM,
            Some("tmpfs"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
            Some("mode=1777"),
        )?;
    }
    for (path, source) in &sources {
        // The mount point is made in the private tmp (now `/tmp`).
        std::fs::create_dir_all(path)?;
        let from = format!("/proc/thread-self/fd/{}", source.as_raw_fd());
        mount(
            Some(from.as_str()),
            path.as_path(),
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )?;
    }
    Ok(())
}

/// The dirs of `keep` under the real `/tmp` (canonical), outermost only.
fn needed_under_tmp(keep: &[PathBuf]) -> Vec<PathBuf> {
    let tmp = std::fs::canonicalize(TMP).unwrap_or_else(|_| PathBuf::from(TMP));
    let mut found: Vec<PathBuf> = keep
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .filter(|p| p.is_dir())
        .filter_map(|p| {
            let rel = p.strip_prefix(&tmp).ok()?.to_path_buf();
            (!rel.as_os_str().is_empty()).then(|| Path::new(TMP).join(rel))
        })
        .collect();
    found.sort();
    found.dedup();
    let mut outermost: Vec<PathBuf> = Vec::new();
    for path in found {
        if !outermost.iter().any(|o| path.starts_with(o)) {
            outermost.push(path);
        }
    }
    outermost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_outermost_dirs_under_tmp_are_bound_back() {
        let base = tempfile::tempdir_in(TMP).unwrap();
        let run = base.path().join("run");
        let nested = run.join("project");
        std::fs::create_dir_all(&nested).unwrap();
        let found = needed_under_tmp(&[
            nested.clone(),
            run.clone(),
            PathBuf::from("/usr"),
            base.path().join("missing"),
        ]);
        let run = std::fs::canonicalize(&run).unwrap();
        assert_eq!(found, vec![run]);
    }

    #[test]
    fn a_thread_in_its_namespace_sees_its_own_tmp_and_the_paths_kept() {
        if !available() {
            eprintln!("skipped: no mount namespaces here (needs CAP_SYS_ADMIN)");
            return;
        }
        let secret = tempfile::NamedTempFile::new_in(TMP).unwrap();
        let kept = tempfile::tempdir_in(TMP).unwrap();
        std::fs::write(kept.path().join("venv.txt"), "kept").unwrap();
        let private =
            tempfile::tempdir_in(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")).unwrap();
        let shm_marker = tempfile::NamedTempFile::new_in(SHM).ok();
        let (saw_secret, kept_text, wrote, shm_entries) = std::thread::scope(|s| {
            s.spawn(|| {
                enter(private.path(), &[kept.path().to_path_buf()]).unwrap();
                (
                    secret.path().exists(),
                    std::fs::read_to_string(kept.path().join("venv.txt")).ok(),
                    std::fs::write("/tmp/out.png", "x").is_ok(),
                    std::fs::read_dir("/dev/shm").map(|d| d.count()).ok(),
                )
            })
            .join()
            .unwrap()
        });
        assert!(!saw_secret, "the host's /tmp was visible");
        assert_eq!(kept_text.as_deref(), Some("kept"));
        assert!(wrote);
        if shm_marker.is_some() {
            assert_eq!(shm_entries, Some(0), "the host's /dev/shm was visible");
        }
        // The write landed in the private dir; the host's /tmp and this thread are untouched.
        assert!(private.path().join("out.png").is_file());
        assert!(secret.path().exists());
    }
}
