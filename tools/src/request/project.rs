//! How a tool gets its project from its `path`/`files` arguments — one policy for
//! `validate_pipeline` and `run_locally`: exactly one of the two; a hosted server takes
//! inline files only. Pure: a path is returned as given, and the caller confines it (to the
//! client's roots, with [`super::confine`]) before reading it.

use std::collections::BTreeMap;

use super::Mode;

/// The project a tool's arguments name, before its path is confined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnconfinedProject {
    /// The files inline, by relative name: ready to load.
    Files(BTreeMap<String, String>),
    /// A directory on this machine, as the client wrote it. Not yet confined: the caller
    /// resolves it inside the roots, then reads it as
    /// [`crate::run_local::ProjectSource::Dir`].
    Path(String),
}

/// Why the arguments name no project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProjectArgsError {
    /// Both `path` and `files`.
    #[error("pass either `path` or `files`, not both")]
    Both,
    /// Neither (a blank `path` counts as none).
    #[error("pass `path` (the project directory holding cog.yaml) or `files` (the files inline)")]
    Neither,
    /// A `path` given to a hosted server, which cannot read the client's disk.
    #[error(
        "this server is hosted over HTTP and cannot read your disk: pass the project's files inline in `files` instead of `path`"
    )]
    HostedPath,
    /// No files given to a hosted server.
    #[error("this server is hosted over HTTP: pass the project's files inline in `files`")]
    HostedNoFiles,
}

impl UnconfinedProject {
    /// The project a tool's `path` and `files` arguments name: exactly one of them (a blank
    /// `path` counts as absent); hosted servers take `files` only.
    pub fn from_args(
        path: Option<String>,
        files: Option<BTreeMap<String, String>>,
        mode: Mode,
    ) -> Result<UnconfinedProject, ProjectArgsError> {
        let hosted = mode.is_hosted();
        match (path.filter(|p| !p.trim().is_empty()), files, hosted) {
            (Some(_), Some(_), _) => Err(ProjectArgsError::Both),
            (None, Some(files), _) => Ok(UnconfinedProject::Files(files)),
            (Some(_), None, true) => Err(ProjectArgsError::HostedPath),
            (Some(path), None, false) => Ok(UnconfinedProject::Path(path)),
            (None, None, true) => Err(ProjectArgsError::HostedNoFiles),
            (None, None, false) => Err(ProjectArgsError::Neither),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL: Mode = Mode::Local;
    const HOSTED: Mode = Mode::Hosted { allow_run: true };

    fn files() -> BTreeMap<String, String> {
        BTreeMap::from([("cog.yaml".to_owned(), "predict: main.py:run\n".to_owned())])
    }

    fn path() -> Option<String> {
        Some("proj".to_owned())
    }

    #[test]
    fn path_and_files_together_are_refused_local_and_hosted() {
        for (hosted, mode) in [(false, LOCAL), (true, HOSTED)] {
            assert_eq!(
                UnconfinedProject::from_args(path(), Some(files()), mode),
                Err(ProjectArgsError::Both),
                "hosted: {hosted}"
            );
        }
    }

    #[test]
    fn files_alone_are_used_as_given_local_and_hosted() {
        for (hosted, mode) in [(false, LOCAL), (true, HOSTED)] {
            assert_eq!(
                UnconfinedProject::from_args(None, Some(files()), mode),
                Ok(UnconfinedProject::Files(files())),
                "hosted: {hosted}"
            );
        }
    }

    #[test]
    fn a_path_is_returned_unconfined_locally_and_refused_when_hosted() {
        assert_eq!(
            UnconfinedProject::from_args(path(), None, LOCAL),
            Ok(UnconfinedProject::Path("proj".to_owned()))
        );
        let hosted = UnconfinedProject::from_args(path(), None, HOSTED);
        assert_eq!(hosted, Err(ProjectArgsError::HostedPath));
        let said = ProjectArgsError::HostedPath.to_string();
        assert!(
            said.contains("`files`") && said.contains("hosted"),
            "{said}"
        );
    }

    #[test]
    fn a_blank_path_counts_as_none() {
        for blank in ["", "  ", "\t\n"] {
            let blank = Some(blank.to_owned());
            assert_eq!(
                UnconfinedProject::from_args(blank.clone(), Some(files()), LOCAL),
                Ok(UnconfinedProject::Files(files()))
            );
            assert_eq!(
                UnconfinedProject::from_args(blank.clone(), None, LOCAL),
                Err(ProjectArgsError::Neither)
            );
            assert_eq!(
                UnconfinedProject::from_args(blank, None, HOSTED),
                Err(ProjectArgsError::HostedNoFiles)
            );
        }
    }

    #[test]
    fn neither_says_what_to_pass() {
        let local = UnconfinedProject::from_args(None, None, LOCAL).unwrap_err();
        assert_eq!(local, ProjectArgsError::Neither);
        let said = local.to_string();
        assert!(
            said.contains("`path`") && said.contains("`files`"),
            "{said}"
        );
        let hosted = UnconfinedProject::from_args(None, None, HOSTED).unwrap_err();
        assert_eq!(hosted, ProjectArgsError::HostedNoFiles);
        let said = hosted.to_string();
        assert!(
            said.contains("`files`") && !said.contains("`path`"),
            "{said}"
        );
    }
}
