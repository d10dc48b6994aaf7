//! Child processes in their own process group: the environment is given in full (cleared
//! first), stdout and stderr are drained concurrently into capped tail buffers, and the
//! whole group is killed on `finish` or on drop — grandchildren included.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// The longest single line kept; the rest of a longer line is dropped.
const MAX_LINE: usize = 64 * 1024;
/// How long readers may keep draining after the group was killed.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// Which stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// Called for every complete line the child prints.
pub(crate) type LineFn = Arc<dyn Fn(Stream, &str) + Send + Sync>;

/// What to start.
#[derive(Debug, Clone)]
pub(crate) struct ChildSpec {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
    pub(crate) cwd: PathBuf,
    pub(crate) env: Vec<(OsString, OsString)>,
}

/// Keeps the last `cap` bytes of lines.
#[derive(Debug, Default)]
pub(crate) struct TailBuffer {
    lines: VecDeque<String>,
    bytes: usize,
    cap: usize,
    dropped: usize,
}

impl TailBuffer {
    fn new(cap: usize) -> Self {
        Self {
            cap,
            ..Self::default()
        }
    }

    fn push(&mut self, line: String) {
        self.bytes += line.len() + 1;
        self.lines.push_back(line);
        while self.bytes > self.cap {
            let Some(old) = self.lines.pop_front() else {
                break;
            };
            self.bytes -= old.len() + 1;
            self.dropped += old.len() + 1;
        }
    }

    /// The kept text, with a note when the head was dropped.
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        if self.dropped > 0 {
            out.push_str(&format!("[… {} earlier bytes dropped]\n", self.dropped));
        }
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

type Shared = Arc<Mutex<TailBuffer>>;

/// The last `max` bytes of `text`, cut at a character boundary.
pub(crate) fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("[…]{}", &text[start..])
}

/// A running child that leads its own process group.
pub(crate) struct GroupChild {
    child: Child,
    pgid: Option<Pid>,
    stdout: Shared,
    stderr: Shared,
    readers: Vec<JoinHandle<()>>,
}

impl GroupChild {
    /// Starts `spec` as the leader of a new process group, stdin closed, output captured.
    pub(crate) fn spawn(
        spec: &ChildSpec,
        cap: usize,
        on_line: Option<LineFn>,
    ) -> std::io::Result<Self> {
        let mut command = Command::new(&spec.program);
        command
            .args(&spec.args)
            .current_dir(&spec.cwd)
            .env_clear()
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command.spawn()?;
        let pgid = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw);
        let stdout = Arc::new(Mutex::new(TailBuffer::new(cap)));
        let stderr = Arc::new(Mutex::new(TailBuffer::new(cap)));
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            readers.push(tokio::spawn(drain(
                out,
                stdout.clone(),
                Stream::Stdout,
                on_line.clone(),
            )));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(tokio::spawn(drain(
                err,
                stderr.clone(),
                Stream::Stderr,
                on_line,
            )));
        }
        Ok(Self {
            child,
            pgid,
            stdout,
            stderr,
            readers,
        })
    }

    /// The process group id (the leader's pid).
    pub(crate) fn pgid(&self) -> Option<i32> {
        self.pgid.map(Pid::as_raw)
    }

    /// Whether the leader has exited, without waiting.
    pub(crate) fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits for the leader to exit.
    pub(crate) async fn wait(&mut self) -> std::io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// The captured stdout so far.
    pub(crate) fn stdout_text(&self) -> String {
        self.stdout.lock().map(|b| b.text()).unwrap_or_default()
    }

    /// The captured stderr so far.
    pub(crate) fn stderr_text(&self) -> String {
        self.stderr.lock().map(|b| b.text()).unwrap_or_default()
    }

    /// Kills the whole group, reaps the leader and lets the readers drain what is left
    /// (the captured text stays readable).
    pub(crate) async fn finish(&mut self) -> Option<ExitStatus> {
        self.kill_group();
        let status = self.child.wait().await.ok();
        for reader in std::mem::take(&mut self.readers) {
            let abort = reader.abort_handle();
            if tokio::time::timeout(DRAIN_GRACE, reader).await.is_err() {
                abort.abort();
            }
        }
        status
    }

    fn kill_group(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            match killpg(pgid, Signal::SIGKILL) {
                Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
                Err(e) => tracing::warn!(pgid = pgid.as_raw(), "killpg failed: {e}"),
            }
        }
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        self.kill_group();
        for reader in &self.readers {
            reader.abort();
        }
    }
}

/// Reads until EOF, splitting lines, never holding more than `MAX_LINE` of one line.
async fn drain(
    mut source: impl AsyncRead + Unpin,
    sink: Shared,
    stream: Stream,
    on_line: Option<LineFn>,
) {
    let mut chunk = vec![0u8; 8192];
    let mut line: Vec<u8> = Vec::new();
    let emit = |line: &mut Vec<u8>| {
        let text = String::from_utf8_lossy(line)
            .trim_end_matches('\r')
            .to_owned();
        line.clear();
        if let Some(on_line) = &on_line {
            on_line(stream, &text);
        }
        if let Ok(mut sink) = sink.lock() {
            sink.push(text);
        }
    };
    loop {
        let n = match source.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &byte in &chunk[..n] {
            if byte == b'\n' {
                emit(&mut line);
            } else if line.len() < MAX_LINE {
                line.push(byte);
            }
        }
    }
    if !line.is_empty() {
        emit(&mut line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_buffer_keeps_the_end() {
        let mut buffer = TailBuffer::new(10);
        for line in ["aaaa", "bbbb", "cccc"] {
            buffer.push(line.into());
        }
        assert_eq!(buffer.text(), "[… 5 earlier bytes dropped]\nbbbb\ncccc\n");
    }

    #[tokio::test]
    async fn kills_grandchildren_and_drains_big_output() {
        let spec = ChildSpec {
            program: "/bin/sh".into(),
            args: vec![
                "-c".into(),
                "head -c 3000000 /dev/zero | tr '\\0' 'x'; echo; echo done; sleep 600 & sleep 600"
                    .into(),
            ],
            cwd: std::env::temp_dir(),
            env: vec![("PATH".into(), "/usr/bin:/bin".into())],
        };
        let mut child = GroupChild::spawn(&spec, 1024, None).unwrap();
        let pgid = child.pgid().unwrap();
        // The output is far larger than the pipe buffer: the child only gets to "done" if we drain.
        while !child.stdout_text().contains("done") {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(child.try_wait().is_none());
        child.finish().await;
        assert!(crate::run_local::testing::live_processes_in_group(pgid).is_empty());
    }
}
