//! The run's own directory: a copy of the project (the user's project is never written to:
//! no `__pycache__/`, no files the pipeline writes) and a private tmp, removed after the run.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::error::RunError;

/// Directories not copied: caches, VCS data and local environments.
const SKIP: &[&str] = &[
    ".git",
    "__pycache__",
    ".venv",
    "venv",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
];
/// Prints the traceback when the predict function raises (cog gives only the message).
const TRACEBACK_HOOK: &str = include_str!("traceback_hook.py");
/// The most a project copy may hold.
const MAX_COPY_BYTES: u64 = 256 * 1024 * 1024;

/// `<tmp>/mcp-pipelines-run-XXXX/{project,tmp}`.
#[derive(Debug)]
pub(crate) struct RunDir {
    pub(crate) project: PathBuf,
    pub(crate) tmp: PathBuf,
    /// Holds `sitecustomize.py`, which prints the traceback of a failed prediction.
    pub(crate) harness: PathBuf,
    _root: TempDir,
}

impl RunDir {
    /// Copies `project` into a fresh dir under `temp_root` (default: the system temp dir).
    pub(crate) fn copy_of(project: &Path, temp_root: Option<&Path>) -> Result<Self, RunError> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("mcp-pipelines-run-");
        let root = match temp_root {
            Some(root) => builder.tempdir_in(root),
            None => builder.tempdir(),
        }
        .map_err(|e| RunError::io("creating the run's directory", e))?;
        let copy = root.path().join("project");
        let tmp = root.path().join("tmp");
        std::fs::create_dir(&tmp).map_err(|e| RunError::io("creating the run's tmp", e))?;
        let harness = tmp.join(".mcp-pipelines-harness");
        std::fs::create_dir(&harness)
            .and_then(|()| std::fs::write(harness.join("sitecustomize.py"), TRACEBACK_HOOK))
            .map_err(|e| RunError::io("writing the run's traceback hook", e))?;
        let mut budget = MAX_COPY_BYTES;
        copy_tree(project, &copy, &mut budget)?;
        Ok(Self {
            project: copy,
            tmp,
            harness,
            _root: root,
        })
    }
}

fn copy_tree(from: &Path, to: &Path, budget: &mut u64) -> Result<(), RunError> {
    std::fs::create_dir_all(to)
        .map_err(|e| RunError::io(format!("creating {}", to.display()), e))?;
    let entries = std::fs::read_dir(from)
        .map_err(|e| RunError::io(format!("reading {}", from.display()), e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let source = entry.path();
        let target = to.join(&name);
        if kind.is_dir() {
            if !SKIP.iter().any(|s| name == *s) {
                copy_tree(&source, &target, budget)?;
            }
        } else if kind.is_file() {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            if size > *budget {
                return Err(RunError::Project {
                    path: from.to_path_buf(),
                    message: format!(
                        "the project holds more than {} MiB of files; runs use a copy of it — move large files out",
                        MAX_COPY_BYTES / 1024 / 1024
                    ),
                });
            }
            *budget -= size;
            std::fs::copy(&source, &target)
                .map_err(|e| RunError::io(format!("copying {}", source.display()), e))?;
        }
        // Symlinks are not followed: a link out of the project is not part of it.
    }
    Ok(())
}

/// Everything that keeps a run to itself: its directory, its sandbox and its reaper.
pub(crate) struct Isolation {
    pub(crate) dir: RunDir,
    pub(crate) sandbox: Option<super::sandbox::SandboxSpec>,
    pub(crate) reaper: super::reaper::Reaper,
    pub(crate) warnings: Vec<String>,
}

impl Isolation {
    /// Copies the project; confines the run when `sandbox` is asked for and Landlock is
    /// available (else says so in `warnings`).
    pub(crate) fn prepare(
        project: &Path,
        venv: &Path,
        temp_root: Option<&Path>,
        sandbox: bool,
        connect_ports: Option<&[u16]>,
    ) -> Result<Self, RunError> {
        let dir = RunDir::copy_of(project, temp_root)?;
        let mut warnings = Vec::new();
        let sandbox = match (sandbox, super::sandbox::landlock_abi()) {
            (false, _) => None,
            (true, Some(_)) => {
                let mut spec = super::sandbox::SandboxSpec::for_run(venv, &dir.project, &dir.tmp);
                spec.connect_ports = connect_ports.map(<[u16]>::to_vec);
                if super::private_tmp::available() {
                    spec.private_tmp = Some(dir.tmp.clone());
                } else {
                    warnings.push(
                        "no private /tmp: this server may not create a mount namespace (it needs CAP_SYS_ADMIN), so the sandboxed pipeline cannot use /tmp at all; paths such as /tmp/out.png fail with PermissionError here (they work on Replicate) — write to tempfile.mkdtemp() or the working directory instead"
                            .to_owned(),
                    );
                }
                Some(spec)
            }
            (true, None) => {
                warnings.push(
                    "not sandboxed: Landlock is not available on this kernel, so the pipeline ran with this user's full access"
                        .to_owned(),
                );
                None
            }
        };
        Ok(Self {
            dir,
            sandbox,
            reaper: super::reaper::Reaper::new(),
            warnings,
        })
    }

    /// Adds the run's own variables: no bytecode files, the private tmp (`TMPDIR`, `TEMP`,
    /// `TMP`; and home, when sandboxed), the reaper's marker, the traceback hook for `predict` (`main.py:run`).
    pub(crate) fn add_env(
        &self,
        env: &mut Vec<(std::ffi::OsString, std::ffi::OsString)>,
        predict: &str,
    ) {
        let (marker, id) = self.reaper.marker();
        // `file.py:function`, or `file.py:Class` whose method runs.
        let target = predict.rsplit_once(':').map_or("run", |(_, t)| t);
        let funcs = if target.starts_with(|c: char| c.is_ascii_uppercase()) {
            "predict,run".to_owned()
        } else {
            target.to_owned()
        };
        let mut own: Vec<(std::ffi::OsString, std::ffi::OsString)> = vec![
            ("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
            ("TMPDIR".into(), self.dir.tmp.clone().into()),
            ("TEMP".into(), self.dir.tmp.clone().into()),
            ("TMP".into(), self.dir.tmp.clone().into()),
            (marker.into(), id.into()),
            ("PYTHONPATH".into(), self.dir.harness.clone().into()),
            (
                "PIPELINES_TRACE_ROOT".into(),
                self.dir.project.clone().into(),
            ),
            ("PIPELINES_TRACE_FUNCS".into(), funcs.into()),
        ];
        if self.sandbox.is_some() {
            own.push(("HOME".into(), self.dir.tmp.clone().into()));
        }
        env.retain(|(k, _)| !own.iter().any(|(o, _)| o == k));
        env.extend(own);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_the_project_without_caches() {
        let project = tempfile::tempdir().unwrap();
        std::fs::write(project.path().join("main.py"), "x = 1\n").unwrap();
        std::fs::create_dir_all(project.path().join("lib/__pycache__")).unwrap();
        std::fs::write(project.path().join("lib/util.py"), "").unwrap();
        std::fs::write(project.path().join("lib/__pycache__/util.pyc"), "").unwrap();
        let run = RunDir::copy_of(project.path(), None).unwrap();
        assert!(run.project.join("main.py").is_file());
        assert!(run.project.join("lib/util.py").is_file());
        assert!(!run.project.join("lib/__pycache__").exists());
        assert!(run.tmp.is_dir());
        let root = run.project.parent().unwrap().to_path_buf();
        drop(run);
        assert!(!root.exists());
    }
}
