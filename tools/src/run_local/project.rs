//! The project to run: a directory, or inline files copied into a fresh temp dir (hosted
//! mode). Reads the predict target from cog.yaml and the requirements.txt text.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use tempfile::TempDir;

use super::error::RunError;

/// Where the pipeline's files come from.
#[derive(Debug, Clone)]
pub enum ProjectSource {
    /// A project directory on disk (run in place).
    Dir(PathBuf),
    /// Files by relative path (`main.py`, `cog.yaml`, …), written to a fresh temp dir that is
    /// removed after the run. Paths must be relative and stay inside the project.
    Inline(BTreeMap<String, String>),
}

/// A project ready to run.
#[derive(Debug)]
pub(crate) struct PreparedProject {
    pub(crate) dir: PathBuf,
    /// `main.py:run`.
    pub(crate) predict: String,
    pub(crate) requirements: Option<String>,
    _temp: Option<TempDir>,
}

#[derive(Deserialize)]
struct CogYaml {
    predict: Option<String>,
}

impl PreparedProject {
    pub(crate) fn prepare(
        source: &ProjectSource,
        temp_root: Option<&Path>,
    ) -> Result<Self, RunError> {
        let (dir, temp) = match source {
            ProjectSource::Dir(dir) => {
                let dir = std::fs::canonicalize(dir).map_err(|e| RunError::Project {
                    path: dir.clone(),
                    message: format!("cannot open the project directory: {e}"),
                })?;
                (dir, None)
            }
            ProjectSource::Inline(files) => {
                let temp = write_inline(files, temp_root)?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let cog_yaml = dir.join("cog.yaml");
        let text = std::fs::read_to_string(&cog_yaml).map_err(|_| RunError::Project {
            path: cog_yaml.clone(),
            message: "cog.yaml not found; call scaffold_pipeline to create the project".into(),
        })?;
        let parsed: CogYaml = yaml_serde::from_str(&text).map_err(|e| RunError::Project {
            path: cog_yaml.clone(),
            message: format!("cog.yaml does not parse: {e}; run validate_pipeline"),
        })?;
        let predict =
            parsed
                .predict
                .filter(|p| p.contains(':'))
                .ok_or_else(|| RunError::Project {
                    path: cog_yaml.clone(),
                    message: "cog.yaml has no `predict: \"main.py:run\"` entry".into(),
                })?;
        let requirements = std::fs::read_to_string(dir.join("requirements.txt")).ok();
        Ok(Self {
            dir,
            predict,
            requirements,
            _temp: temp,
        })
    }
}

fn write_inline(
    files: &BTreeMap<String, String>,
    temp_root: Option<&Path>,
) -> Result<TempDir, RunError> {
    let builder = {
        let mut b = tempfile::Builder::new();
        b.prefix("mcp-pipelines-run-");
        b
    };
    let temp = match temp_root {
        Some(root) => builder.tempdir_in(root),
        None => builder.tempdir(),
    }
    .map_err(|e| RunError::io("creating a temp dir for inline files", e))?;
    for (name, content) in files {
        let relative = Path::new(name);
        let safe = !name.is_empty()
            && relative
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !safe {
            return Err(RunError::Project {
                path: relative.to_path_buf(),
                message: "inline file names must be relative paths inside the project (no `..`, no leading `/`)".into(),
            });
        }
        let path = temp.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| RunError::io(format!("creating {}", parent.display()), e))?;
        }
        std::fs::write(&path, content)
            .map_err(|e| RunError::io(format!("writing {}", path.display()), e))?;
    }
    Ok(temp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn inline_files_land_in_a_temp_dir_that_goes_away() {
        let source = ProjectSource::Inline(files(&[
            ("cog.yaml", "predict: \"main.py:run\"\n"),
            ("main.py", "def run() -> str:\n    return 'x'\n"),
            ("lib/helper.py", ""),
        ]));
        let project = PreparedProject::prepare(&source, None).unwrap();
        let dir = project.dir.clone();
        assert_eq!(project.predict, "main.py:run");
        assert!(dir.join("lib/helper.py").is_file());
        assert_eq!(project.requirements, None);
        drop(project);
        assert!(!dir.exists());
    }

    #[test]
    fn inline_paths_cannot_escape() {
        for bad in ["../x.py", "/etc/x", "a/../../b", ""] {
            let source = ProjectSource::Inline(files(&[(bad, "")]));
            assert!(
                matches!(
                    PreparedProject::prepare(&source, None),
                    Err(RunError::Project { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn missing_cog_yaml_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let err =
            PreparedProject::prepare(&ProjectSource::Dir(dir.path().into()), None).unwrap_err();
        assert!(err.to_string().contains("scaffold_pipeline"), "{err}");
    }
}
