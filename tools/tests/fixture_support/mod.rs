//! Loads the rule fixture projects under `tests/fixtures/<CODE>/{fail,pass}*/`.
//!
//! A fixture holds only the files its case needs: one without its own `cog.yaml` or
//! `requirements.txt` takes the one in `tests/fixtures/_default/`. A fixture that must lack
//! such a file names it in a `.absent` file (one name a line), which is not part of the project.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pipelines_tools::validate::Project;

/// The files a fixture takes from `_default/` when it has none of its own.
const DEFAULTED: &[&str] = &["cog.yaml", "requirements.txt"];
/// The marker naming defaulted files the fixture must not have.
const ABSENT: &str = ".absent";

/// `tools/tests/fixtures`.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The fixture project in `dir`, with the default files it does not hold itself.
pub fn project(dir: &Path) -> Project {
    Project::from_files(&files(dir)).unwrap()
}

/// The fixture's files by name, defaults included.
pub fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        assert!(
            entry.file_type().unwrap().is_file(),
            "{name}: fixtures are flat"
        );
        files.insert(name, std::fs::read_to_string(entry.path()).unwrap());
    }
    let absent = files.remove(ABSENT).unwrap_or_default();
    let absent: Vec<&str> = absent.lines().map(str::trim).collect();
    for name in DEFAULTED {
        if !files.contains_key(*name) && !absent.contains(name) {
            let text = std::fs::read_to_string(root().join("_default").join(name)).unwrap();
            files.insert((*name).to_string(), text);
        }
    }
    files
}
