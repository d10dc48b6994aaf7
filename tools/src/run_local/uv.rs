//! Building venvs with uv when it is available (`MCP_PIPELINES_UV` names the binary, else
//! `uv` on `PATH`; `MCP_PIPELINES_UV=off` forces pip). Same cache layout as with pip: only
//! the commands differ.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// The uv binary to use: `explicit` (the value of `MCP_PIPELINES_UV`) when set — `off`,
/// `false`, `0` or empty mean none — else `uv` found on `path` (the value of `PATH`).
pub(crate) fn find_uv(explicit: Option<&OsStr>, path: Option<&OsStr>) -> Option<PathBuf> {
    if let Some(explicit) = explicit {
        let text = explicit.to_string_lossy();
        if matches!(text.trim(), "" | "off" | "false" | "0" | "no") {
            return None;
        }
        let named = PathBuf::from(explicit);
        if named.components().count() > 1 {
            return Some(named);
        }
        return search(&named, path);
    }
    search(Path::new("uv"), path)
}

fn search(name: &Path, path: Option<&OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `uv venv --python PYTHON DIR`.
pub(crate) fn venv_args(python: &Path, dir: &Path) -> Vec<OsString> {
    vec![
        "venv".into(),
        "--quiet".into(),
        "--no-config".into(),
        "--python".into(),
        python.into(),
        dir.into(),
    ]
}

/// `uv pip install --python VENV_PYTHON -r REQUIREMENTS [-c CONSTRAINTS]`, compiling bytecode as pip does:
/// runs set `PYTHONDONTWRITEBYTECODE`, so without it every run would compile cog, pydantic
/// and replicate from source while the server starts. With constraints (the runtime's
/// whole list: scipy, scikit-learn…) compiling everything takes ten times the install, so
/// the builder compiles what a run imports at start instead (see `venv::build`).
pub(crate) fn install_args(
    venv_python: &Path,
    requirements: &Path,
    constraints: Option<&Path>,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "pip".into(),
        "install".into(),
        "--no-config".into(),
        "--no-progress".into(),
        "--python".into(),
        venv_python.into(),
        "-r".into(),
        requirements.into(),
    ];
    match constraints {
        Some(constraints) => args.extend(["-c".into(), constraints.into()]),
        None => args.push("--compile-bytecode".into()),
    }
    args
}

/// Environment for uv: never download an interpreter (we name one), and trust the
/// platform's certificate store as pip does (a TLS-intercepting proxy's CA lives there),
/// unless the user configured these.
pub(crate) fn env_overrides() -> Vec<(OsString, OsString)> {
    [
        ("UV_PYTHON_DOWNLOADS", "never"),
        // uv >= 0.9 reads UV_SYSTEM_CERTS; older releases UV_NATIVE_TLS.
        ("UV_SYSTEM_CERTS", "true"),
        ("UV_NATIVE_TLS", "true"),
    ]
    .into_iter()
    .filter(|(name, _)| std::env::var_os(name).is_none())
    .map(|(name, value)| (name.into(), value.into()))
    .collect()
}

/// The uv output lines worth showing as progress.
pub(crate) fn is_progress_line(line: &str) -> bool {
    ["Resolved", "Prepared", "Installed", "error:", " + "]
        .iter()
        .any(|p| line.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_uv_explicitly_on_path_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let uv = dir.path().join("uv");
        std::fs::write(&uv, "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&uv, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.path().as_os_str();
        assert_eq!(find_uv(None, Some(path)), Some(uv.clone()));
        assert_eq!(find_uv(Some(OsStr::new("off")), Some(path)), None);
        assert_eq!(
            find_uv(Some(OsStr::new("uv")), Some(path)),
            Some(uv.clone())
        );
        assert_eq!(
            find_uv(Some(uv.as_os_str()), None),
            Some(uv.clone()),
            "an explicit path is taken as is"
        );
        assert_eq!(find_uv(None, Some(OsStr::new("/nonexistent"))), None);
    }
}
