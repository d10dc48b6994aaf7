//! Finding a Python ≥ 3.12: an explicit interpreter, else `python3.13`, `python3.12`,
//! `python3` on PATH, else interpreters installed by pyenv.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::process::Command;

use super::error::RunError;

/// The oldest Python that replicate 1.1.0b3 imports on.
pub const MIN_PYTHON: PythonVersion = PythonVersion {
    major: 3,
    minor: 12,
    patch: 0,
};

const NAMES_ON_PATH: [&str; 3] = ["python3.13", "python3.12", "python3"];
const PROBE: &str = "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])";
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);

/// A Python version, e.g. 3.12.1.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
pub struct PythonVersion {
    /// Major version (3).
    pub major: u32,
    /// Minor version (12).
    pub minor: u32,
    /// Patch version (1).
    pub patch: u32,
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl PythonVersion {
    /// Parses `3.12.1` (also `3.12`).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        Some(Self {
            major,
            minor,
            patch,
        })
    }
}

/// A working interpreter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Python {
    /// The real interpreter (`sys.executable`, not a pyenv shim).
    pub path: PathBuf,
    /// Its version.
    pub version: PythonVersion,
}

/// Where to look for Python. Build it with [`PythonSearch::from_env`]; the server reads
/// `MCP_PIPELINES_PYTHON` and passes it as `explicit`.
#[derive(Debug, Clone, Default)]
pub struct PythonSearch {
    /// An interpreter the user chose (`MCP_PIPELINES_PYTHON`). When set, nothing else is tried.
    pub explicit: Option<PathBuf>,
    /// The `PATH` to search for `python3.13`, `python3.12`, `python3`.
    pub path_var: Option<OsString>,
    /// `PYENV_ROOT`, if set.
    pub pyenv_root: Option<PathBuf>,
    /// The home directory (for `~/.pyenv`).
    pub home: Option<PathBuf>,
}

impl PythonSearch {
    /// Reads `PATH`, `PYENV_ROOT` and `HOME` from this process's environment.
    pub fn from_env(explicit: Option<PathBuf>) -> Self {
        Self {
            explicit,
            path_var: std::env::var_os("PATH"),
            pyenv_root: std::env::var_os("PYENV_ROOT").map(PathBuf::from),
            home: std::env::var_os("HOME").map(PathBuf::from),
        }
    }
}

/// Interpreters found so far in this process, by search: probing pyenv shims costs ~1 s.
static FOUND: Mutex<Vec<(String, Python)>> = Mutex::new(Vec::new());

/// The Python a search under `key` found earlier in this process, while it still exists.
fn remembered(key: &str) -> Option<Python> {
    let found = FOUND.lock().ok()?;
    let (_, python) = found.iter().find(|(k, _)| k == key)?;
    python.path.is_file().then(|| python.clone())
}

/// Remembers what a search under `key` found (replacing an earlier answer).
fn remember(key: String, python: &Python) {
    if let Ok(mut found) = FOUND.lock() {
        found.retain(|(k, _)| *k != key);
        found.push((key, python.clone()));
    }
}

/// Finds a Python ≥ 3.12, or says everything that was tried. A successful search is
/// remembered for the life of the process (while the interpreter still exists).
pub async fn find_python(search: &PythonSearch) -> Result<Python, RunError> {
    let key = format!("{search:?}");
    if let Some(python) = remembered(&key) {
        return Ok(python);
    }
    let python = search_uncached(search).await?;
    remember(key, &python);
    Ok(python)
}

/// Finds Python `want` (major, minor) — the runtime's — when one is installed here (on
/// PATH as `python3.N` or under pyenv), else any Python ≥ 3.12 as [`find_python`] does;
/// the note says when the version differs from the one wanted. An explicit interpreter
/// (`MCP_PIPELINES_PYTHON`) is always used as is.
pub async fn find_python_preferring(
    search: &PythonSearch,
    want: Option<(u32, u32)>,
) -> Result<(Python, Option<String>), RunError> {
    let Some((major, minor)) = want else {
        return Ok((find_python(search).await?, None));
    };
    let matches = |p: &Python| p.version.major == major && p.version.minor == minor;
    if search.explicit.is_none() {
        let key = format!("{search:?} want {major}.{minor}");
        if let Some(python) = remembered(&key) {
            return Ok((python, None));
        }
        let mut candidates: Vec<PathBuf> =
            which(&format!("python{major}.{minor}"), search.path_var.as_ref())
                .into_iter()
                .collect();
        let mut installed = pyenv_versions(&pyenv_root(search).await);
        installed.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
        candidates.extend(
            installed
                .into_iter()
                .filter(|(v, _)| v.major == major && v.minor == minor)
                .map(|(_, path)| path),
        );
        for path in candidates {
            if let Ok(python) = probe(&path).await
                && matches(&python)
            {
                remember(key, &python);
                return Ok((python, None));
            }
        }
    }
    let python = find_python(search).await?;
    let note = (!matches(&python)).then(|| {
        format!(
            "Replicate's runtime uses Python {major}.{minor}, which is not installed here: this run uses Python {} (the nearest found){}",
            python.version,
            if search.explicit.is_some() {
                " from MCP_PIPELINES_PYTHON"
            } else {
                ""
            }
        )
    });
    Ok((python, note))
}

async fn search_uncached(search: &PythonSearch) -> Result<Python, RunError> {
    let mut tried = Vec::new();
    if let Some(explicit) = &search.explicit {
        return match probe(explicit).await {
            Ok(python) if python.version >= MIN_PYTHON => Ok(python),
            Ok(python) => Err(RunError::PythonNotFound {
                tried: vec![format!(
                    "{} (MCP_PIPELINES_PYTHON): Python {} is too old",
                    explicit.display(),
                    python.version
                )],
            }),
            Err(why) => Err(RunError::PythonNotFound {
                tried: vec![format!(
                    "{} (MCP_PIPELINES_PYTHON): {why}",
                    explicit.display()
                )],
            }),
        };
    }
    for name in NAMES_ON_PATH {
        let Some(path) = which(name, search.path_var.as_ref()) else {
            tried.push(format!("{name}: not on PATH"));
            continue;
        };
        match probe(&path).await {
            Ok(python) if python.version >= MIN_PYTHON => return Ok(python),
            Ok(python) => tried.push(format!(
                "{}: Python {} is too old",
                path.display(),
                python.version
            )),
            Err(why) => tried.push(format!("{}: {why}", path.display())),
        }
    }
    let root = pyenv_root(search).await;
    let mut installed = pyenv_versions(&root);
    if installed.is_empty() {
        tried.push(format!(
            "{}/versions/*/bin/python3: none installed",
            root.display()
        ));
    }
    installed.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    for (_, path) in installed {
        match probe(&path).await {
            Ok(python) if python.version >= MIN_PYTHON => return Ok(python),
            Ok(python) => tried.push(format!(
                "{}: Python {} is too old",
                path.display(),
                python.version
            )),
            Err(why) => tried.push(format!("{}: {why}", path.display())),
        }
    }
    Err(RunError::PythonNotFound { tried })
}

/// Runs the interpreter and reads its real path and version.
pub async fn probe(path: &Path) -> Result<Python, String> {
    let mut command = Command::new(path);
    command
        .args(["-E", "-s", "-c", PROBE])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = match tokio::time::timeout(PROBE_TIMEOUT, command.output()).await {
        Err(_) => {
            return Err(format!(
                "did not answer within {} s",
                PROBE_TIMEOUT.as_secs()
            ));
        }
        Ok(Err(e)) => return Err(format!("cannot run: {e}")),
        Ok(Ok(output)) => output,
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(format!("fails ({}): {}", output.status, first.trim()));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines = stdout.lines();
    let executable = lines.next().map(str::trim).unwrap_or("");
    let version = lines
        .next()
        .and_then(PythonVersion::parse)
        .ok_or_else(|| format!("unexpected answer {stdout:?}"))?;
    let path = if executable.is_empty() {
        path.to_path_buf()
    } else {
        PathBuf::from(executable)
    };
    Ok(Python { path, version })
}

fn which(name: &str, path_var: Option<&OsString>) -> Option<PathBuf> {
    std::env::split_paths(path_var?)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

async fn pyenv_root(search: &PythonSearch) -> PathBuf {
    if let Some(root) = &search.pyenv_root {
        return root.clone();
    }
    if let Some(pyenv) = which("pyenv", search.path_var.as_ref()) {
        let mut command = Command::new(pyenv);
        command
            .arg("root")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Ok(Ok(output)) = tokio::time::timeout(PROBE_TIMEOUT, command.output()).await {
            let root = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            if output.status.success() && !root.is_empty() {
                return PathBuf::from(root);
            }
        }
    }
    search.home.clone().unwrap_or_default().join(".pyenv")
}

/// `<root>/versions/<v>/bin/python3` for every installed CPython version ≥ 3.12.
fn pyenv_versions(root: &Path) -> Vec<(PythonVersion, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(root.join("versions")) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            let version = PythonVersion::parse(name.to_str()?)?;
            let python = entry.path().join("bin").join("python3");
            (version >= MIN_PYTHON && python.is_file()).then_some((version, python))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(
            PythonVersion::parse("3.12.1"),
            Some(PythonVersion {
                major: 3,
                minor: 12,
                patch: 1
            })
        );
        assert_eq!(PythonVersion::parse("3.13").map(|v| v.minor), Some(13));
        assert_eq!(PythonVersion::parse("3.13.0a1"), None);
        assert_eq!(PythonVersion::parse("system"), None);
    }

    #[test]
    fn pyenv_versions_skip_old_and_odd_names() {
        let root = tempfile::tempdir().unwrap();
        for v in ["3.11.7", "3.12.1", "3.13.0", "miniconda3"] {
            let bin = root.path().join("versions").join(v).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            std::fs::write(bin.join("python3"), "").unwrap();
        }
        let mut found: Vec<_> = pyenv_versions(root.path())
            .into_iter()
            .map(|(v, _)| v.to_string())
            .collect();
        found.sort();
        assert_eq!(found, ["3.12.1", "3.13.0"]);
    }
}
