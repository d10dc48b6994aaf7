//! Replaces `data:` URIs in a prediction's output (at any depth) by files written under
//! the output directory, and returns the paths written.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::data_uri;
use super::error::RunError;

/// Writes every `data:` URI in `output` to a file in `dir`, replacing it by the file's path.
pub(crate) fn extract_files(output: &mut Value, dir: &Path) -> Result<Vec<PathBuf>, RunError> {
    let mut files = Vec::new();
    walk(output, dir, &mut files)?;
    Ok(files)
}

fn walk(value: &mut Value, dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), RunError> {
    match value {
        Value::String(text) => {
            if let Some(uri) = data_uri::decode(text) {
                let path = write(dir, files.len(), &uri)?;
                *text = path.display().to_string();
                files.push(path);
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, dir, files)?;
            }
        }
        Value::Object(map) => {
            for (_, item) in map.iter_mut() {
                walk(item, dir, files)?;
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

fn write(dir: &Path, index: usize, uri: &data_uri::DataUri) -> Result<PathBuf, RunError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| RunError::io(format!("creating {}", dir.display()), e))?;
    let ext = super::magic::extension(&uri.bytes, &uri.media_type);
    let name = if index == 0 {
        format!("output.{ext}")
    } else {
        format!("output-{index}.{ext}")
    };
    let path = dir.join(name);
    std::fs::write(&path, &uri.bytes)
        .map_err(|e| RunError::io(format!("writing {}", path.display()), e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_uris_become_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut output = json!({
            "image": "data:image/png;base64,iVBORw==",
            "frames": ["data:text/plain;base64,YQ==", "plain text", 3],
            "caption": "a cat",
        });
        let files = extract_files(&mut output, dir.path()).unwrap();
        assert_eq!(files.len(), 2);
        let frame = output["frames"][0].as_str().unwrap();
        assert_eq!(std::fs::read(frame).unwrap(), b"a");
        assert!(output["image"].as_str().unwrap().ends_with(".png"));
        assert_eq!(output["frames"][1], "plain text");
        assert_eq!(output["caption"], "a cat");
    }
}
