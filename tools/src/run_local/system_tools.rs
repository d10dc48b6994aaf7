//! The runtime's system tools on the run's PATH: those this machine has are on it already;
//! ffmpeg comes from the runtime's `imageio-ffmpeg` package when the system has none. A
//! tool the pipeline runs that this machine lacks gets a warning: the run cannot show how
//! that code behaves on Replicate.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::error::RunError;

/// What the run's PATH offers of the runtime's system tools.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OfferedTools {
    /// A directory to put first on PATH (links to tools from runtime packages), if any.
    pub(crate) bin: Option<PathBuf>,
    /// The runtime's tools this run has, e.g. `curl`, `ffmpeg (from imageio-ffmpeg)`.
    pub(crate) present: Vec<String>,
    /// The runtime's tools this machine lacks.
    pub(crate) missing: Vec<String>,
}

/// Looks up every tool of `runtime` on `path`; links ffmpeg from the venv's imageio-ffmpeg
/// into `<dir>/bin` when the system has none.
pub(crate) fn offer(
    runtime: &[String],
    path: Option<&OsStr>,
    venv: &Path,
    dir: &Path,
) -> Result<OfferedTools, RunError> {
    let mut offered = OfferedTools::default();
    for tool in runtime {
        if on_path(tool, path) {
            offered.present.push(tool.clone());
            continue;
        }
        if tool == "ffmpeg"
            && let Some(exe) = imageio_ffmpeg_exe(venv)
        {
            let bin = dir.join("bin");
            std::fs::create_dir_all(&bin)
                .and_then(|()| std::os::unix::fs::symlink(&exe, bin.join("ffmpeg")))
                .map_err(|e| RunError::io("linking imageio-ffmpeg's ffmpeg for the run", e))?;
            offered.bin = Some(bin);
            offered.present.push("ffmpeg (from imageio-ffmpeg)".into());
            continue;
        }
        offered.missing.push(tool.clone());
    }
    Ok(offered)
}

/// The warnings for tools the pipeline runs (`used`) that this run does not have.
pub(crate) fn warnings(offered: &OfferedTools, used: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tool in used {
        if offered.missing.contains(tool) && !out.iter().any(|w| w.starts_with(tool.as_str())) {
            out.push(format!(
                "{tool} is in Replicate's runtime but not on this machine: this run does not show how that code behaves there"
            ));
        }
    }
    out
}

fn on_path(tool: &str, path: Option<&OsStr>) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Some(path) = path else {
        return false;
    };
    std::env::split_paths(path).any(|dir| {
        std::fs::metadata(dir.join(tool))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// `<venv>/lib/python3.*/site-packages/imageio_ffmpeg/binaries/ffmpeg-*`, executable.
fn imageio_ffmpeg_exe(venv: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    lib.flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("python"))
        .filter_map(|e| {
            std::fs::read_dir(e.path().join("site-packages/imageio_ffmpeg/binaries")).ok()
        })
        .flat_map(|dir| dir.flatten())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("ffmpeg"))
                && std::fs::metadata(p)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn executable(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn offers_ffmpeg_from_imageio_ffmpeg_and_names_what_is_missing() {
        let system = tempfile::tempdir().unwrap();
        executable(&system.path().join("curl"));
        let venv = tempfile::tempdir().unwrap();
        executable(&venv.path().join(
            "lib/python3.13/site-packages/imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v7.0.2",
        ));
        let run = tempfile::tempdir().unwrap();
        let runtime: Vec<String> = ["curl", "ffmpeg", "ffprobe"].map(String::from).to_vec();
        let offered = offer(
            &runtime,
            Some(system.path().as_os_str()),
            venv.path(),
            run.path(),
        )
        .unwrap();
        assert_eq!(offered.present, ["curl", "ffmpeg (from imageio-ffmpeg)"]);
        assert_eq!(offered.missing, ["ffprobe"]);
        assert!(offered.bin.as_ref().unwrap().join("ffmpeg").exists());
        let used: Vec<String> = ["ffprobe", "ffmpeg", "ffprobe"].map(String::from).to_vec();
        assert_eq!(
            warnings(&offered, &used),
            [
                "ffprobe is in Replicate's runtime but not on this machine: this run does not show how that code behaves there"
            ]
        );
    }
}
