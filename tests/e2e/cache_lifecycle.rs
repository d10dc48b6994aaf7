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

const DAY: std::time::Duration = std::time::Duration::from_secs(86_400);

/// Sets the modification time of `path` and everything under it to `days` ago.
fn age(path: &Path, days: u64) {
    let then = std::time::SystemTime::now() - DAY * days as u32;
    if path.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            age(&entry.unwrap().path(), days);
        }
    }
    fs::File::open(path).unwrap().set_modified(then).unwrap();
}

fn make_dir_with_file(dir: &Path, bytes: usize, days: u64) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("data.bin"), vec![7u8; bytes]).unwrap();
    age(dir, days);
}

/// outputs: run-old (10 days), run-new; venvs: busy (40 days, leased by this test
/// process), stale (40 days), fresh.
fn populate(cache: &Path) -> fs::File {
    make_dir_with_file(&cache.join("outputs/run-old"), 1000, 10);
    make_dir_with_file(&cache.join("outputs/run-new"), 500, 0);
    let venvs = cache.join("venvs");
    for (key, days) in [("busy", 40), ("stale", 40), ("fresh", 1)] {
        make_dir_with_file(&venvs.join(key), 2000, days);
        let lock = venvs.join(format!("{key}.lock"));
        fs::write(&lock, b"").unwrap();
        age(&lock, days);
    }
    // A run holding its shared lease on `busy` (what run_local's venv lock does).
    let lease = fs::File::open(venvs.join("busy.lock")).unwrap();
    lease.lock_shared().unwrap();
    lease
}

#[test]
fn cache_info_and_prune_keep_what_is_in_use() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();
    let refresh = cli(&sandbox, &["docs", "refresh", "--format", "json"]);
    assert_eq!(refresh.code, Some(0), "{}", refresh.stderr);
    let cache = sandbox.cache_dir();
    let _lease = populate(&cache);

    let info = cli(&sandbox, &["cache", "info", "--format", "json"]);
    assert_eq!(info.code, Some(0), "{}", info.stderr);
    let info = info.json();
    assert_eq!(info["docs"]["entries"], 3, "{info}");
    assert!(info["docs"]["bytes"].as_u64().unwrap() > 0);
    assert_eq!(info["schemas"]["entries"], 0);
    assert_eq!(
        info["venvs"],
        serde_json::json!({"entries": 3, "bytes": 6000})
    );
    assert_eq!(
        info["outputs"],
        serde_json::json!({"entries": 2, "bytes": 1500})
    );
    let busy = info["venv_list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["key"] == "busy")
        .unwrap();
    assert_eq!(busy["in_use"], true, "{info}");
    assert!(info["total_bytes"].as_u64().unwrap() >= 7500);
    let text = cli(&sandbox, &["cache", "info"]);
    assert!(text.stdout.contains("(in use)"), "{}", text.stdout);

    let pruned = cli(&sandbox, &["cache", "prune", "--format", "json"]);
    assert_eq!(pruned.code, Some(0), "{}", pruned.stderr);
    let report = pruned.json();
    let removed: Vec<&str> = report["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(removed.len(), 2, "{report}");
    assert!(
        removed.contains(&"run-old") && removed.contains(&"stale"),
        "{report}"
    );
    assert_eq!(report["freed_bytes"], 3000);
    assert!(report["kept_in_use"][0].as_str().unwrap().ends_with("busy"));
    assert!(
        cache.join("venvs/busy").is_dir(),
        "a venv in use is never removed"
    );
    assert!(cache.join("venvs/fresh").is_dir() && cache.join("outputs/run-new").is_dir());
    assert!(!cache.join("outputs/run-old").exists() && !cache.join("venvs/stale").exists());

    // --outputs with an explicit age: only outputs, even fresh ones.
    let outputs_only = cli(
        &sandbox,
        &[
            "cache",
            "prune",
            "--outputs",
            "--older-than",
            "0s",
            "--format",
            "json",
        ],
    );
    assert_eq!(outputs_only.code, Some(0), "{}", outputs_only.stderr);
    assert!(!cache.join("outputs/run-new").exists());
    assert!(cache.join("venvs/fresh").is_dir());
}

#[test]
fn a_run_prunes_old_outputs_first() {
    let sandbox = Sandbox::new()
        .var("MCP_PIPELINES_OUTPUTS_MAX_AGE", "2d")
        // No Python: the run stops after the clean-up, before starting anything.
        .var("MCP_PIPELINES_PYTHON", "/nonexistent/python3");
    let project = sandbox.scratch().join("clean");
    write_project(&project, CLEAN_MAIN);
    let cache = sandbox.cache_dir();
    let _lease = populate(&cache);
    let run = cli(
        &sandbox,
        &["run", project.to_str().unwrap(), "-i", "text=hi"],
    );
    assert_eq!(run.code, Some(2), "{}\n{}", run.stdout, run.stderr);
    assert!(!cache.join("outputs/run-old").exists(), "{}", run.stderr);
    assert!(cache.join("outputs/run-new").is_dir());
    assert!(!cache.join("venvs/stale").exists(), "unused for 40 days");
    assert!(cache.join("venvs/busy").is_dir() && cache.join("venvs/fresh").is_dir());
}
