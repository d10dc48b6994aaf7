//! Nothing a run started outlives it. Every process of a run carries an environment
//! marker (`PIPELINES_RUN_ID=<id>`); when the run ends, its process group is killed and
//! `/proc` is swept for processes with the marker — so children that started a new session
//! (`start_new_session=True`) or left the group go too. A watchdog (`/bin/sh`, in its own
//! process group) does the same if this process dies without cleaning up (SIGKILL): it
//! waits on a pipe that only this process holds open.

use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// The name of the environment marker every process of a run carries.
pub(crate) const MARKER: &str = "PIPELINES_RUN_ID";

/// Kills the group, then sweeps `/proc` for the marker; run when the pipe closes without
/// `done` (this process died).
const WATCHDOG: &str = r#"read -r line
[ "$line" = done ] && exit 0
[ -n "$WATCH_PGID" ] && kill -9 -- "-$WATCH_PGID" 2>/dev/null
sweep() {
  for e in /proc/[0-9]*/environ; do
    if tr '\000' '\n' < "$e" 2>/dev/null | grep -qxF "$WATCH_MARK"; then
      p=${e#/proc/}; kill -9 "${p%/environ}" 2>/dev/null
    fi
  done
}
sweep; sweep
"#;

/// The reaper of one run.
pub(crate) struct Reaper {
    id: String,
    pgid: Option<i32>,
    watchdog: Option<(Child, ChildStdin)>,
}

impl Reaper {
    /// A reaper with a fresh run id.
    pub(crate) fn new() -> Self {
        Self {
            id: run_id(),
            pgid: None,
            watchdog: None,
        }
    }

    /// The marker variable every process of the run gets.
    pub(crate) fn marker(&self) -> (String, String) {
        (MARKER.to_owned(), self.id.clone())
    }

    /// Starts the watchdog for the run's process group `pgid`. Best effort: without
    /// `/bin/sh` the run still ends cleanly unless this process is killed.
    pub(crate) fn watch(&mut self, pgid: Option<i32>) {
        self.pgid = pgid;
        let mut command = Command::new("/bin/sh");
        command
            .args(["-c", WATCHDOG])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("WATCH_MARK", format!("{MARKER}={}", self.id))
            .env(
                "WATCH_PGID",
                pgid.map(|p| p.to_string()).unwrap_or_default(),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own group: a Ctrl-C at the terminal must not kill the watchdog first.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        match command.spawn() {
            Ok(mut child) => {
                if let Some(stdin) = child.stdin.take() {
                    self.watchdog = Some((child, stdin));
                }
            }
            Err(e) => tracing::warn!("could not start the run's watchdog: {e}"),
        }
    }

    /// Kills every process of the run and stands the watchdog down.
    pub(crate) fn finish(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
        }
        kill_marked(&self.id);
        if let Some((mut child, mut stdin)) = self.watchdog.take() {
            let _ = stdin.write_all(b"done\n");
            drop(stdin);
            // It exits at once; reap it without blocking for long.
            for _ in 0..50 {
                if matches!(child.try_wait(), Ok(Some(_)) | Err(_)) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Kills every process whose environment carries the marker of run `id`, until none is
/// left (a process may fork while it is being killed). A process in the middle of `exec`
/// shows no environment for an instant, so "none left" is believed only when a second look,
/// a moment later, agrees.
pub(crate) fn kill_marked(id: &str) {
    let me = std::process::id();
    let mut empty_looks = 0;
    for _ in 0..20 {
        let found = marked_processes(id);
        let found: Vec<u32> = found.into_iter().filter(|p| *p != me).collect();
        if found.is_empty() {
            empty_looks += 1;
            if empty_looks == 2 {
                return;
            }
        } else {
            empty_looks = 0;
        }
        for pid in found {
            if let Ok(pid) = i32::try_from(pid) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Live processes whose initial environment has `PIPELINES_RUN_ID=<id>`.
pub(crate) fn marked_processes(id: &str) -> Vec<u32> {
    let wanted = format!("{MARKER}={id}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let environ = std::fs::read(entry.path().join("environ")).ok()?;
            let marked = environ
                .split(|b| *b == 0)
                .any(|var| var == wanted.as_bytes());
            (marked && !is_zombie(&entry.path())).then_some(pid)
        })
        .collect()
}

fn is_zombie(proc_dir: &std::path::Path) -> bool {
    std::fs::read_to_string(proc_dir.join("stat"))
        .ok()
        .and_then(|stat| {
            let (_, rest) = stat.rsplit_once(')')?;
            rest.split_whitespace().next().map(|s| s == "Z" || s == "X")
        })
        .unwrap_or(false)
}

/// A run id: unique per process and call, unguessable enough to not collide.
fn run_id() -> String {
    use sha2::Digest;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let seed = format!(
        "{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    hex::encode(&sha2::Sha256::digest(seed.as_bytes())[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kills_marked_processes_in_new_sessions() {
        let reaper = Reaper::new();
        let (key, value) = reaper.marker();
        // setsid: a new session and group, out of reach of killpg.
        let mut child = Command::new("setsid")
            .args(["sleep", "600"])
            .env(&key, &value)
            .spawn()
            .unwrap();
        // Seen once is enough: a second look may fall in `setsid`'s exec of `sleep`, when
        // the process shows no environment for an instant.
        let seen = (0..500).any(|_| {
            let seen = !marked_processes(&value).is_empty();
            if !seen {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            seen
        });
        assert!(seen);
        drop(reaper);
        let _ = child.wait();
        assert!(marked_processes(&value).is_empty());
    }

    #[test]
    fn the_watchdog_sweeps_when_the_pipe_closes_without_done() {
        let mut reaper = Reaper::new();
        let (key, value) = reaper.marker();
        let mut child = Command::new("setsid")
            .args(["sleep", "600"])
            .env(&key, &value)
            .spawn()
            .unwrap();
        reaper.watch(None);
        // As if this process died: the pipe closes without `done`.
        let (mut watchdog, stdin) = reaper.watchdog.take().unwrap();
        drop(stdin);
        watchdog.wait().unwrap();
        let _ = child.wait();
        assert!(marked_processes(&value).is_empty());
    }
}
