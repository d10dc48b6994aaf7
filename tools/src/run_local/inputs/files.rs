//! Local files given as inputs, confined to the roots and sent as `data:` URIs.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{RunInputs, RunSignature, absolute, is_url};
use crate::run_local::data_uri;
use crate::run_local::error::RunError;
use crate::schema::InputType;

/// The largest local file sent as an input.
const MAX_INPUT_FILE: u64 = 100 * 1024 * 1024;

/// Replaces local files given for file parameters (or as `file://` URIs) by `data:` URIs.
/// Relative paths are relative to the project directory. With `roots`, a file must lie
/// inside one of them (the same confinement as project paths; none: no local files).
pub(crate) fn embed_files(
    inputs: &mut RunInputs,
    signature: Option<&RunSignature>,
    project_dir: &Path,
    roots: Option<&[PathBuf]>,
) -> Result<(), RunError> {
    let mut problems = Vec::new();
    for (name, value) in inputs.iter_mut() {
        let is_file_param = signature
            .and_then(|s| s.param(name))
            .is_some_and(|p| InputType::parse(&p.python_type).is_file());
        let at = Place {
            dir: project_dir,
            roots,
            name,
        };
        embed(value, is_file_param, &at, &mut problems);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RunError::InvalidInputs { problems })
    }
}

/// Where an input's files are looked up.
struct Place<'a> {
    dir: &'a Path,
    roots: Option<&'a [PathBuf]>,
    name: &'a str,
}

fn embed(value: &mut Value, is_file_param: bool, at: &Place<'_>, problems: &mut Vec<String>) {
    let name = at.name;
    match value {
        Value::Array(items) => {
            for item in items {
                embed(item, is_file_param, at, problems);
            }
        }
        Value::String(text) => {
            let local = match text.strip_prefix("file://") {
                Some(path) => Some(path.to_owned()),
                None if is_file_param && !is_url(text) => Some(text.clone()),
                None => None,
            };
            let Some(local) = local else {
                return;
            };
            let path = match resolve_local(&local, at.dir, at.roots) {
                Ok(path) => path,
                Err(why) => {
                    problems.push(format!("`{name}`: {why}"));
                    return;
                }
            };
            match read_limited(&path) {
                Ok(bytes) => {
                    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    let media_type = crate::run_local::magic::media_type(&bytes)
                        .unwrap_or_else(|| data_uri::media_type_for(file_name));
                    *text = data_uri::encode(media_type, &bytes);
                }
                Err(why) => {
                    problems.push(format!("`{name}`: cannot read {}: {why}", path.display()))
                }
            }
        }
        _ => {}
    }
}

/// Finds a local file given as `local`: an absolute path as it is; a relative one against
/// the project dir, then each root (the client's workspace). With `roots`, the file must lie
/// inside one of them (none: no local files at all). The error lists the paths tried.
pub(crate) fn resolve_local(
    local: &str,
    project_dir: &Path,
    roots: Option<&[PathBuf]>,
) -> Result<PathBuf, String> {
    let mut candidates = vec![absolute(project_dir, local)];
    if !Path::new(local).is_absolute() {
        for root in roots.unwrap_or_default() {
            let candidate = root.join(local);
            if !candidates.contains(&candidate) {
                candidates.push(candidate);
            }
        }
    }
    if roots.is_some_and(<[PathBuf]>::is_empty) {
        return Err(format!(
            "{} is a path on the server's disk, which this hosted server does not read; pass the file as a URL or a data: URI",
            candidates[0].display()
        ));
    }
    let mut outside = Vec::new();
    for candidate in &candidates {
        if !candidate.exists() {
            continue;
        }
        match roots {
            None => return Ok(candidate.clone()),
            Some(roots) => match crate::request::confine(candidate, roots) {
                Ok(real) => return Ok(real),
                Err(e) => outside.push(e.to_string()),
            },
        }
    }
    if let Some(first) = outside.first() {
        return Err(format!(
            "{first}; file inputs must lie inside the allowed directories (the project, the client's roots)"
        ));
    }
    let tried: Vec<String> = candidates.iter().map(|c| c.display().to_string()).collect();
    Err(format!(
        "no file `{local}`: tried {} (a relative path is looked up in the project dir, then in each of the client's roots)",
        tried.join(", ")
    ))
}

fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a file".into());
    }
    if meta.len() > MAX_INPUT_FILE {
        return Err(format!("larger than {} MiB", MAX_INPUT_FILE / 1024 / 1024));
    }
    std::fs::read(path).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::super::tests::sig;
    use super::*;
    use serde_json::json;

    #[test]
    fn local_files_are_embedded_as_data_uris() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("in.txt"), "hi").unwrap();
        let mut inputs = json!({"image": "in.txt", "prompt": "in.txt", "other": format!("file://{}/in.txt", dir.path().display())})
            .as_object()
            .unwrap()
            .clone();
        embed_files(&mut inputs, Some(&sig()), dir.path(), None).unwrap();
        assert_eq!(inputs["image"], "data:text/plain;base64,aGk=");
        assert_eq!(inputs["other"], "data:text/plain;base64,aGk=");
        assert_eq!(inputs["prompt"], "in.txt");
        let mut missing = json!({"image": "nope.png"}).as_object().unwrap().clone();
        assert!(embed_files(&mut missing, Some(&sig()), dir.path(), None).is_err());
        // Outside the roots: refused, whatever the file is.
        let mut outside = json!({"image": "/etc/passwd"}).as_object().unwrap().clone();
        let roots = [dir.path().to_path_buf()];
        let Err(RunError::InvalidInputs { problems }) =
            embed_files(&mut outside, Some(&sig()), dir.path(), Some(&roots))
        else {
            panic!("/etc/passwd was read")
        };
        assert!(problems[0].contains("image"), "{problems:?}");
        assert_eq!(outside["image"], "/etc/passwd");
        let mut inside = json!({"image": "in.txt"}).as_object().unwrap().clone();
        embed_files(&mut inside, Some(&sig()), dir.path(), Some(&roots)).unwrap();
        let mut hosted = json!({"image": "in.txt"}).as_object().unwrap().clone();
        assert!(embed_files(&mut hosted, Some(&sig()), dir.path(), Some(&[])).is_err());
    }

    #[test]
    fn relative_files_are_found_in_the_project_then_the_roots_and_errors_list_the_tries() {
        let workspace = tempfile::tempdir().unwrap();
        let project = workspace.path().join("proj");
        std::fs::create_dir(&project).unwrap();
        std::fs::write(workspace.path().join("song.wav"), "RIFF").unwrap();
        let roots = [workspace.path().to_path_buf()];
        let found = resolve_local("song.wav", &project, Some(&roots)).unwrap();
        assert_eq!(
            found,
            workspace.path().canonicalize().unwrap().join("song.wav")
        );
        std::fs::write(project.join("song.wav"), "RIFF").unwrap();
        let found = resolve_local("song.wav", &project, Some(&roots)).unwrap();
        assert!(found.ends_with("proj/song.wav"), "{found:?}");
        let err = resolve_local("nope.wav", &project, Some(&roots)).unwrap_err();
        assert!(
            err.contains(&project.join("nope.wav").display().to_string())
                && err.contains(&workspace.path().join("nope.wav").display().to_string()),
            "{err}"
        );
    }
}
