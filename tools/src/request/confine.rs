//! The security check on client-supplied paths: a path must resolve (symlinks and `..`
//! followed) inside one of the allowed roots. The validator's project loading, the runner's
//! file inputs and the server's `path` arguments all go through it.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use crate::validate::ProjectError;
use crate::validate::project::io_error;

/// Resolves `path` against `roots` and refuses anything that lands outside them: `..`
/// escapes and symlinks pointing out. A relative path is tried against each root in turn.
/// Returns the canonical path.
pub fn confine(path: &Path, roots: &[PathBuf]) -> Result<PathBuf, ProjectError> {
    let canonical_roots: Vec<PathBuf> =
        roots.iter().filter_map(|r| r.canonicalize().ok()).collect();
    let outside = || ProjectError::OutsideRoots {
        path: path.to_path_buf(),
        roots: roots
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    };
    let candidates: Vec<PathBuf> = if path.is_absolute() {
        vec![path.to_path_buf()]
    } else {
        canonical_roots.iter().map(|r| r.join(path)).collect()
    };
    let mut found_any = false;
    for candidate in candidates {
        match candidate.canonicalize() {
            Ok(real) => {
                found_any = true;
                if canonical_roots.iter().any(|r| real.starts_with(r)) {
                    return Ok(real);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&candidate, e)),
        }
    }
    let climbs = path.components().any(|c| c == Component::ParentDir);
    if found_any || climbs || canonical_roots.is_empty() {
        Err(outside())
    } else {
        Err(ProjectError::NotFound {
            path: path.to_path_buf(),
        })
    }
}

/// Why a directory that may not exist yet cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum NewDirRefused {
    /// Its nearest existing ancestor is outside the roots or does not resolve.
    #[error(transparent)]
    Confine(#[from] ProjectError),
    /// A relative path, with no root to resolve it against.
    #[error("no root directory to resolve a relative path")]
    NoRoot,
    /// The path climbs (`..`) below its nearest existing ancestor.
    #[error("{0}: only plain directory names may follow an existing directory (no `..`)")]
    Climbs(String),
}

/// Like [`confine`] for a directory that may not exist yet: its nearest existing ancestor
/// must be inside the roots, and the rest may hold only plain names (no `..`). A relative
/// path is resolved against the first root.
pub fn confine_new(path: &str, roots: &[PathBuf]) -> Result<PathBuf, NewDirRefused> {
    let p = Path::new(path);
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        roots.first().ok_or(NewDirRefused::NoRoot)?.join(p)
    };
    let mut existing = p.as_path();
    let mut tail: Vec<OsString> = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(Component::Normal(name))) => {
                tail.push(name.to_os_string());
                existing = parent;
            }
            _ => return Err(NewDirRefused::Climbs(path.to_owned())),
        }
    }
    let mut base = confine(existing, roots)?;
    for name in tail.into_iter().rev() {
        base.push(name);
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_dir_stays_under_an_existing_ancestor_inside_the_roots() {
        let root = tempfile::tempdir().unwrap();
        let roots = vec![root.path().to_path_buf()];
        let real = root.path().canonicalize().unwrap();
        assert_eq!(confine_new("a/b", &roots).unwrap(), real.join("a/b"));
        assert!(matches!(
            confine_new("a/../../x", &roots),
            Err(NewDirRefused::Climbs(_))
        ));
        assert!(matches!(
            confine_new("../x", &roots),
            Err(NewDirRefused::Confine(ProjectError::OutsideRoots { .. }))
        ));
        assert!(matches!(confine_new("x", &[]), Err(NewDirRefused::NoRoot)));
    }
}
