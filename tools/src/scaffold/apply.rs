//! Writing a plan to disk without clobbering: differing files are left alone and reported
//! with a diff unless `overwrite`; writes are atomic (temp file in the same directory, then
//! rename).

use std::io::Write as _;
use std::path::Path;

use crate::diff::unified_diff;

use super::ScaffoldPlan;
use super::error::WriteError;
use super::report::{FileReport, FileStatus, ScaffoldReport};

/// Writes `plan` into `dir` (created when missing). With `dry_run` nothing is written and
/// every file comes back with its content and, when one exists on disk, its diff.
pub fn apply(
    plan: &ScaffoldPlan,
    dir: &Path,
    overwrite: bool,
    dry_run: bool,
) -> Result<ScaffoldReport, WriteError> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(WriteError::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !dry_run {
                std::fs::create_dir_all(dir).map_err(|source| WriteError::Io {
                    action: "creating",
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
        }
        Err(source) => {
            return Err(WriteError::Io {
                action: "reading",
                path: dir.to_path_buf(),
                source,
            });
        }
    }
    let mut files = Vec::with_capacity(plan.files.len());
    for file in &plan.files {
        let path = dir.join(&file.path);
        let existing = read_existing(&path)?;
        let status = match (&existing, dry_run) {
            (Some(old), _) if *old == file.content => FileStatus::Unchanged,
            (None, true) => FileStatus::WouldCreate,
            (None, false) => {
                write_atomic(&path, &file.content, None)?;
                FileStatus::Created
            }
            (Some(_), _) if !overwrite => FileStatus::SkippedExists,
            (Some(_), true) => FileStatus::WouldUpdate,
            (Some(_), false) => {
                let perms = std::fs::metadata(&path).ok().map(|m| m.permissions());
                write_atomic(&path, &file.content, perms)?;
                FileStatus::Updated
            }
        };
        let diff = match (&existing, status) {
            (
                Some(old),
                FileStatus::SkippedExists | FileStatus::WouldUpdate | FileStatus::Updated,
            ) => Some(unified_diff(&file.path, old, &file.content, 3)),
            _ => None,
        };
        files.push(FileReport {
            path: file.path.clone(),
            status,
            diff,
            content: dry_run.then(|| file.content.clone()),
        });
    }
    Ok(ScaffoldReport {
        dir: Some(dir.display().to_string()),
        dry_run,
        files,
        notes: plan.notes.clone(),
        main_py: plan.main_py(),
        steps: plan.steps.clone(),
        placeholders: plan.placeholders.clone(),
    })
}

/// The inline answer (hosted mode): nothing is written, every file comes back.
pub fn inline(plan: &ScaffoldPlan) -> ScaffoldReport {
    ScaffoldReport {
        dir: None,
        dry_run: true,
        files: plan
            .files
            .iter()
            .map(|f| FileReport {
                path: f.path.clone(),
                status: FileStatus::WouldCreate,
                diff: None,
                content: Some(f.content.clone()),
            })
            .collect(),
        notes: plan.notes.clone(),
        main_py: plan.main_py(),
        steps: plan.steps.clone(),
        placeholders: plan.placeholders.clone(),
    }
}

fn read_existing(path: &Path) -> Result<Option<String>, WriteError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(WriteError::Io {
            action: "reading",
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn write_atomic(
    path: &Path,
    content: &str,
    permissions: Option<std::fs::Permissions>,
) -> Result<(), WriteError> {
    let io = |action: &'static str| {
        move |source| WriteError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    };
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".scaffold-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(io("creating a temporary file for"))?;
    tmp.write_all(content.as_bytes()).map_err(io("writing"))?;
    tmp.as_file().sync_all().map_err(io("syncing"))?;
    if let Some(p) = permissions {
        std::fs::set_permissions(tmp.path(), p).map_err(io("setting permissions of"))?;
    }
    tmp.persist(path).map_err(|e| io("replacing")(e.error))?;
    Ok(())
}
