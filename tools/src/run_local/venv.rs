//! The venv cache: one virtualenv per (requirements, Python version) under
//! `<cache_dir>/venvs/<key>`, built once under an exclusive file lock and used under a
//! shared one, with a completion marker; a venv without a valid marker or whose
//! interpreter fails is rebuilt.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::child::{ChildSpec, GroupChild, LineFn, Stream};
use super::env::{EnvFor, child_env};
use super::error::RunError;
use super::progress::{Reporter, Stage};
use super::python::{Python, PythonVersion};
use super::requirements::ResolvedRequirements;

const MARKER: &str = ".mcp-pipelines-ready.json";
const CHECK: &str = "import importlib.util as u, sys; sys.exit(0 if u.find_spec('cog') and u.find_spec('replicate') else 1)";
const COG_VERSION: &str = "import importlib.metadata as m; print(m.version('cog'))";
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);
const LOG_CAP: usize = 256 * 1024;

/// The virtualenv a run used.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct VenvInfo {
    /// The venv directory.
    pub path: PathBuf,
    /// True when an existing venv was used and nothing was installed.
    pub reused: bool,
    /// The cache key (sha256 of the normalised requirements and the Python version).
    pub key: String,
    /// The Python version of the venv.
    pub python_version: PythonVersion,
    /// The installed cog version.
    pub cog_version: String,
}

impl VenvInfo {
    /// The venv's interpreter.
    pub fn python(&self) -> PathBuf {
        self.path.join("bin").join("python")
    }
}

/// What the marker file records.
#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    key: String,
    python_version: String,
    cog_version: String,
    requirements: Vec<String>,
}

/// Holds the shared lock on a venv while a run uses it, so nobody rebuilds it underneath.
#[derive(Debug)]
pub struct VenvLease {
    _lock: File,
}

/// Limits for building a venv.
#[derive(Debug, Clone)]
pub(crate) struct BuildLimits {
    pub(crate) timeout: Duration,
    pub(crate) cancel: CancellationToken,
    /// Build with this uv binary instead of `python -m venv` + pip.
    pub(crate) uv: Option<PathBuf>,
}

/// Returns a ready venv for `requirements`, building it if needed.
pub(crate) async fn ensure_venv(
    cache_dir: &Path,
    python: &Python,
    requirements: &ResolvedRequirements,
    reporter: &Reporter,
    limits: &BuildLimits,
) -> Result<(VenvInfo, VenvLease), RunError> {
    let key = requirements.venv_key(python.version);
    let venvs = cache_dir.join("venvs");
    std::fs::create_dir_all(&venvs)
        .map_err(|e| RunError::io(format!("creating {}", venvs.display()), e))?;
    let dir = venvs.join(&key);
    let lock_path = venvs.join(format!("{key}.lock"));
    reporter.stage(
        Stage::Venv,
        format!("checking virtualenv {}", dir.display()),
    );
    let mut built = false;
    let mut builds_tried = 0;
    // Bounded: a venv that another run is using while it fails its check can not be rebuilt.
    for _ in 0..600 {
        let shared = lock(&lock_path, true, &limits.cancel).await?;
        if let Some(marker) = ready(&dir, &key).await {
            // Last use, for pruning venvs unused for long (see `cache_lifecycle`).
            let _ = shared.set_modified(std::time::SystemTime::now());
            return Ok((
                VenvInfo {
                    path: dir,
                    reused: !built,
                    key,
                    python_version: python.version,
                    cog_version: marker.cog_version,
                },
                VenvLease { _lock: shared },
            ));
        }
        drop(shared);
        // Never *wait* for the exclusive lock: a caller holding a shared lease (in this
        // process or another) would block us forever. Whoever gets it builds; the others
        // wait on the shared lock, which they get once the build is done.
        match try_exclusive(&lock_path)? {
            Some(exclusive) => {
                if ready(&dir, &key).await.is_none() {
                    if builds_tried == 3 {
                        break;
                    }
                    builds_tried += 1;
                    build(&dir, &key, python, requirements, reporter, limits).await?;
                    built = true;
                }
                drop(exclusive);
            }
            None => {
                tokio::select! {
                    () = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
                    () = limits.cancel.cancelled() => return Err(RunError::Cancelled),
                }
            }
        }
    }
    Err(RunError::VenvBuild {
        venv: dir,
        message:
            "the venv does not pass its check and could not be rebuilt (is another run using it?)"
                .into(),
        log: String::new(),
    })
}

/// Opens (creating) the lock file of a venv.
fn open_lock_file(path: &Path) -> Result<File, RunError> {
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| RunError::io(format!("opening {}", path.display()), e))
}

/// The exclusive lock if it is free right now.
fn try_exclusive(path: &Path) -> Result<Option<File>, RunError> {
    let file = open_lock_file(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(RunError::io(format!("locking {}", path.display()), e))
        }
    }
}

/// The venv's exclusive lock, to remove it, if no run holds (or builds) it right now.
pub(crate) fn try_lock_venv_for_removal(lock_path: &Path) -> Result<Option<File>, RunError> {
    try_exclusive(lock_path)
}

/// Whether a run holds (or builds) the venv whose lock file is `lock_path`.
pub(crate) fn venv_in_use(lock_path: &Path) -> bool {
    matches!(try_exclusive(lock_path), Ok(None))
}

/// Takes the lock file in a blocking thread; cancellable.
async fn lock(path: &Path, shared: bool, cancel: &CancellationToken) -> Result<File, RunError> {
    let file = open_lock_file(path)?;
    let task = tokio::task::spawn_blocking(move || {
        if shared {
            file.lock_shared()
        } else {
            file.lock()
        }
        .map(|()| file)
    });
    tokio::select! {
        joined = task => match joined {
            Ok(Ok(file)) => Ok(file),
            Ok(Err(e)) => Err(RunError::io(format!("locking {}", path.display()), e)),
            Err(e) => Err(RunError::io(format!("locking {}", path.display()), std::io::Error::other(e))),
        },
        () = cancel.cancelled() => Err(RunError::Cancelled),
    }
}

/// The marker, if the venv is complete and its interpreter works.
async fn ready(dir: &Path, key: &str) -> Option<Marker> {
    let text = std::fs::read_to_string(dir.join(MARKER)).ok()?;
    let marker: Marker = serde_json::from_str(&text).ok()?;
    if marker.key != key {
        return None;
    }
    let python = dir.join("bin").join("python");
    let mut command = tokio::process::Command::new(&python);
    command
        .args(["-E", "-s", "-c", CHECK])
        .env_clear()
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    match tokio::time::timeout(CHECK_TIMEOUT, command.status()).await {
        Ok(Ok(status)) if status.success() => Some(marker),
        _ => {
            tracing::warn!(venv = %dir.display(), "venv check failed; rebuilding");
            None
        }
    }
}

async fn build(
    dir: &Path,
    key: &str,
    python: &Python,
    requirements: &ResolvedRequirements,
    reporter: &Reporter,
    limits: &BuildLimits,
) -> Result<(), RunError> {
    let fail = |message: String, log: String| RunError::VenvBuild {
        venv: dir.to_path_buf(),
        message,
        log,
    };
    if dir.exists() {
        reporter.line(format!("removing incomplete virtualenv {}", dir.display()));
        let doomed = dir.to_path_buf();
        tokio::task::spawn_blocking(move || std::fs::remove_dir_all(doomed))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
            .map_err(|e| RunError::io(format!("removing {}", dir.display()), e))?;
    }
    reporter.line(format!(
        "creating virtualenv with Python {} ({}), installing with {}",
        python.version,
        python.path.display(),
        if limits.uv.is_some() { "uv" } else { "pip" }
    ));
    let cwd = dir.parent().unwrap_or(dir).to_path_buf();
    let (program, args, what) = match &limits.uv {
        Some(uv) => (
            uv.clone(),
            super::uv::venv_args(&python.path, dir),
            "uv venv",
        ),
        None => (
            python.path.clone(),
            vec!["-m".into(), "venv".into(), dir.into()],
            "python -m venv",
        ),
    };
    step(
        ChildSpec {
            program,
            args,
            cwd: cwd.clone(),
            env: install_env(),
        },
        None,
        limits,
    )
    .await
    .map_err(|(m, l)| fail(format!("{what} {m}"), l))?;

    let requirements_file = dir.join("requirements.txt");
    std::fs::write(&requirements_file, requirements.to_file_text())
        .map_err(|e| RunError::io(format!("writing {}", requirements_file.display()), e))?;
    reporter.stage(
        Stage::Install,
        format!(
            "installing {} (first run with these requirements)",
            requirements.lines.join(", ")
        ),
    );
    let venv_python = dir.join("bin").join("python");
    let line_reporter = reporter.clone();
    let on_line: LineFn = Arc::new(move |stream, line| {
        let uv_line = super::uv::is_progress_line(line);
        let line = line.trim();
        let pip_line = stream == Stream::Stdout
            && ["Collecting", "Installing", "Successfully", "ERROR"]
                .iter()
                .any(|p| line.starts_with(p));
        if pip_line || uv_line {
            line_reporter.line(line.to_owned());
        }
    });
    let (program, args, what) = match &limits.uv {
        Some(uv) => (
            uv.clone(),
            super::uv::install_args(&venv_python, &requirements_file),
            "uv pip install",
        ),
        None => (
            venv_python.clone(),
            [
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "-r",
            ]
            .iter()
            .map(Into::into)
            .chain([requirements_file.into_os_string()])
            .collect(),
            "pip install",
        ),
    };
    step(
        ChildSpec {
            program,
            args,
            cwd: cwd.clone(),
            env: install_env(),
        },
        Some(on_line),
        limits,
    )
    .await
    .map_err(|(m, l)| fail(format!("{what} {m}"), l))?;

    let cog_version = query(&venv_python, COG_VERSION, &cwd).await.map_err(|m| {
        fail(
            format!("reading the installed cog version: {m}"),
            String::new(),
        )
    })?;
    let marker = Marker {
        key: key.to_owned(),
        python_version: python.version.to_string(),
        cog_version,
        requirements: requirements.lines.clone(),
    };
    let text = serde_json::to_string_pretty(&marker)
        .map_err(|e| RunError::io("writing the venv marker", e.into()))?;
    let tmp = dir.join(format!("{MARKER}.tmp"));
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, dir.join(MARKER)))
        .map_err(|e| RunError::io(format!("writing the marker in {}", dir.display()), e))?;
    reporter.line(format!("virtualenv ready: {}", dir.display()));
    Ok(())
}

fn install_env() -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    child_env(
        std::env::vars_os(),
        super::uv::env_overrides(),
        EnvFor::Install,
    )
}

/// Runs one build step to completion; on failure returns (what, output tail).
async fn step(
    spec: ChildSpec,
    on_line: Option<LineFn>,
    limits: &BuildLimits,
) -> Result<(), (String, String)> {
    let mut child = GroupChild::spawn(&spec, LOG_CAP, on_line)
        .map_err(|e| (format!("could not start: {e}"), String::new()))?;
    let outcome = tokio::select! {
        status = child.wait() => Ok(status),
        () = tokio::time::sleep(limits.timeout) => Err(format!("timed out after {} s", limits.timeout.as_secs())),
        () = limits.cancel.cancelled() => Err("cancelled".to_owned()),
    };
    child.finish().await;
    let log = format!("{}{}", child.stdout_text(), child.stderr_text());
    match outcome {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err((format!("failed ({status})"), tail(&log, 4000))),
        Ok(Err(e)) => Err((format!("could not be waited for: {e}"), tail(&log, 4000))),
        Err(why) => Err((why, tail(&log, 4000))),
    }
}

/// Runs a one-line Python script in the venv and returns its trimmed stdout.
async fn query(python: &Path, script: &str, cwd: &Path) -> Result<String, String> {
    let mut command = tokio::process::Command::new(python);
    command
        .args(["-E", "-s", "-c", script])
        .current_dir(cwd)
        .env_clear()
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    match tokio::time::timeout(CHECK_TIMEOUT, command.output()).await {
        Ok(Ok(output)) if output.status.success() => {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        }
        Ok(Ok(output)) => Err(String::from_utf8_lossy(&output.stderr).trim().to_owned()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// A stand-in interpreter: `-m venv DIR` copies itself to DIR/bin/python and logs the
    /// build next to itself; pip is a no-op; `-c` scripts answer like a healthy venv.
    const FAKE_PYTHON: &str = r#"#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  /bin/mkdir -p "$3/bin" && /bin/cp "$0" "$3/bin/python" && echo built >> "${0%/*}/builds.log"
  exit $?
fi
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
  echo "Collecting cog==0.15.3"
  echo "Successfully installed cog-0.15.3"
  exit 0
fi
case "$4" in
  *metadata*) echo 0.15.3 ;;
esac
exit 0
"#;

    fn fake_python(dir: &Path) -> Python {
        let path = dir.join("python");
        std::fs::write(&path, FAKE_PYTHON).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        Python {
            path,
            version: PythonVersion {
                major: 3,
                minor: 12,
                patch: 1,
            },
        }
    }

    fn limits() -> BuildLimits {
        BuildLimits {
            timeout: Duration::from_secs(60),
            cancel: CancellationToken::new(),
            uv: None,
        }
    }

    fn builds(dir: &Path) -> usize {
        std::fs::read_to_string(dir.join("builds.log"))
            .unwrap_or_default()
            .lines()
            .count()
    }

    #[tokio::test]
    async fn builds_once_reuses_and_rebuilds_broken_venvs() {
        let base = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let python = fake_python(base.path());
        let reqs = ResolvedRequirements::resolve(None, &["cog==0.15.3".into()]);
        let reporter = Reporter::new(None);

        let (first, lease) = ensure_venv(cache.path(), &python, &reqs, &reporter, &limits())
            .await
            .unwrap();
        drop(lease);
        assert!(!first.reused);
        assert_eq!(first.cog_version, "0.15.3");
        assert_eq!(first.path, cache.path().join("venvs").join(&first.key));

        let (second, lease) = ensure_venv(cache.path(), &python, &reqs, &reporter, &limits())
            .await
            .unwrap();
        // While a run holds its lease, nobody may rebuild underneath it.
        drop(lease);
        assert!(second.reused);
        assert_eq!(builds(base.path()), 1);

        // Marker gone (an interrupted build) → rebuilt.
        std::fs::remove_file(first.path.join(MARKER)).unwrap();
        let (third, lease) = ensure_venv(cache.path(), &python, &reqs, &reporter, &limits())
            .await
            .unwrap();
        drop(lease);
        assert!(!third.reused);
        assert_eq!(builds(base.path()), 2);

        // Interpreter fails (its base Python was removed) → rebuilt.
        std::fs::write(first.python(), "#!/bin/sh\nexit 1\n").unwrap();
        let (fourth, _lease) = ensure_venv(cache.path(), &python, &reqs, &reporter, &limits())
            .await
            .unwrap();
        assert!(!fourth.reused);
        assert_eq!(builds(base.path()), 3);
    }

    #[tokio::test]
    async fn concurrent_callers_build_once() {
        let base = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let python = fake_python(base.path());
        let reqs = ResolvedRequirements::resolve(None, &["cog==0.15.3".into()]);
        let reporter = Reporter::new(None);
        let limits = limits();
        let calls = (0..4).map(|_| ensure_venv(cache.path(), &python, &reqs, &reporter, &limits));
        let results = futures::future::join_all(calls).await;
        let reused: Vec<bool> = results.into_iter().map(|r| r.unwrap().0.reused).collect();
        assert_eq!(builds(base.path()), 1);
        assert_eq!(reused.iter().filter(|r| !**r).count(), 1, "{reused:?}");
    }

    #[tokio::test]
    async fn a_failing_install_reports_its_output() {
        let base = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let python = fake_python(base.path());
        let script = std::fs::read_to_string(&python.path).unwrap().replace(
            "exit 0\nfi",
            "echo 'ERROR: No matching distribution found for nosuchpkg' >&2; exit 1\nfi",
        );
        std::fs::write(&python.path, script).unwrap();
        let reqs = ResolvedRequirements::resolve(Some("nosuchpkg==1"), &[]);
        let err = ensure_venv(
            cache.path(),
            &python,
            &reqs,
            &Reporter::new(None),
            &limits(),
        )
        .await
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("pip install failed"), "{text}");
        assert!(
            text.contains("No matching distribution found for nosuchpkg"),
            "{text}"
        );
    }
}
