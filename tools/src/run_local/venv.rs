//! The venv cache: one virtualenv per (requirements, Python version) under
//! `<cache_dir>/venvs/<key>`, built once under an exclusive file lock and used under a
//! shared one, with a completion marker; a venv without a valid marker or whose
//! interpreter fails is rebuilt.
//! `lock` holds the lock-file logic; `build` creates and installs a venv.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::error::RunError;
use super::progress::{Reporter, Stage};
use super::python::{Python, PythonVersion};
use super::requirements::ResolvedRequirements;

mod build;
mod conflict;
mod lock;

use build::build;
use lock::{lock, try_exclusive};
pub(crate) use lock::{try_lock_venv_for_removal, venv_in_use};

const MARKER: &str = ".mcp-pipelines-ready.json";
const CHECK: &str = "import importlib.util as u, sys; sys.exit(0 if u.find_spec('cog') and u.find_spec('replicate') else 1)";
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// The prediction server the run uses: cog's own (and its coglet), or the runtime
    /// list's coglet, and why.
    pub server: String,
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
    #[serde(default)]
    constraints: Vec<String>,
    #[serde(default)]
    server: String,
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
                    server: if marker.server.is_empty() {
                        format!("cog {}'s own server", marker.cog_version)
                    } else {
                        marker.server
                    },
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
                    let started = std::time::Instant::now();
                    let outcome = build(&dir, &key, python, requirements, reporter, limits).await;
                    metrics::counter!("mcp_pipelines_venv_builds_total",
                        "outcome" => if outcome.is_ok() { "ok" } else { "error" })
                    .increment(1);
                    metrics::histogram!("mcp_pipelines_venv_build_duration_seconds")
                        .record(started.elapsed().as_secs_f64());
                    outcome?;
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
