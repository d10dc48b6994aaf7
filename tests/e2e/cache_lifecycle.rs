//! The cache's lifecycle through the real binary: `validate` with a read-only cache dir
//! (a warning, the cached rules, exit 0/1 — never 2), `cache info` and `cache prune`.

use std::{fs, path::Path, process::Command};

use crate::{
    fakes::Fakes,
    support::{Sandbox, cli},
};

const COG_YAML: &str =
    "build:\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n";
const CLEAN_MAIN: &str = "from cog import Input\n\n\ndef run(text: str = Input(description=\"Text\")) -> str:\n    return text\n";
const BAD_MAIN: &str = "from cog import Input\n\n\ndef run(text: str) -> dict:\n    return {}\n";

fn write_project(dir: &Path, main_py: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("cog.yaml"), COG_YAML).unwrap();
    fs::write(dir.join("main.py"), main_py).unwrap();
    fs::write(dir.join("requirements.txt"), "").unwrap();
}

/// Makes a directory tree read-only for this process (root ignores modes, so as root the
/// files are made immutable); restored on drop.
struct ReadOnly<'a>(&'a Path, bool);

impl<'a> ReadOnly<'a> {
    fn make(dir: &'a Path) -> Self {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let status = if root {
            Command::new("chattr").args(["-R", "+i"]).arg(dir).status()
        } else {
            Command::new("chmod").args(["-R", "a-w"]).arg(dir).status()
        };
        assert!(
            status.unwrap().success(),
            "cannot make {} read-only",
            dir.display()
        );
        let guard = ReadOnly(dir, root);
        assert!(
            fs::write(dir.join("probe"), b"x").is_err(),
            "{} is still writable: this file system cannot simulate a read-only cache",
            dir.display()
        );
        guard
    }
}

impl Drop for ReadOnly<'_> {
    fn drop(&mut self) {
        let _ = if self.1 {
            Command::new("chattr")
                .args(["-R", "-i"])
                .arg(self.0)
                .status()
        } else {
            Command::new("chmod")
                .args(["-R", "u+w"])
                .arg(self.0)
                .status()
        };
    }
}

#[test]
fn validate_with_a_read_only_cache_dir_warns_and_uses_the_cached_rules() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();
    let clean = sandbox.scratch().join("clean");
    write_project(&clean, CLEAN_MAIN);
    let bad = sandbox.scratch().join("bad");
    write_project(&bad, BAD_MAIN);
    let refresh = cli(&sandbox, &["docs", "refresh", "--format", "json"]);
    assert_eq!(refresh.code, Some(0), "{}", refresh.stderr);

    let cache = sandbox.cache_dir();
    let _read_only = ReadOnly::make(&cache);
    let ok = cli(
        &sandbox,
        &["validate", clean.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(ok.code, Some(0), "{}\n{}", ok.stdout, ok.stderr);
    assert!(
        ok.stderr.contains("WARN") && ok.stderr.contains("cannot be used"),
        "{}",
        ok.stderr
    );
    let report = ok.json();
    assert!(
        report["rules_from"]
            .as_str()
            .unwrap()
            .starts_with("cached spec"),
        "the cached rules are read from a copy: {report}"
    );
    let failing = cli(
        &sandbox,
        &["validate", bad.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(
        failing.code,
        Some(1),
        "{}\n{}",
        failing.stdout,
        failing.stderr
    );
    assert_eq!(failing.json()["ok"], false);
    assert!(!cache.join("probe").exists());
}

#[test]
fn validate_with_an_unusable_empty_cache_dir_uses_built_in_rules() {
    let sandbox = Sandbox::new();
    let clean = sandbox.scratch().join("clean");
    write_project(&clean, CLEAN_MAIN);
    let cache = sandbox.cache_dir();
    fs::create_dir_all(&cache).unwrap();
    let _read_only = ReadOnly::make(&cache);
    let ok = cli(
        &sandbox,
        &["validate", clean.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(ok.code, Some(0), "{}\n{}", ok.stdout, ok.stderr);
    assert!(ok.stderr.contains("cannot be used"), "{}", ok.stderr);
    assert!(
        ok.json()["rules_from"]
            .as_str()
            .unwrap()
            .starts_with("built-in")
    );
}
