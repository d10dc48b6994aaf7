//! Runs that keep to themselves (issues 11 and 13), through the real binary on real cog:
//! the Landlock sandbox (no reading `~/.ssh` or the cache's other dirs, no writing outside
//! the run's dir), normal pipelines still working inside it (Pillow, requests, subprocess),
//! the project never written to, output files named by their content, `ModuleNotFoundError`
//! advice, file inputs confined to the roots, nothing left running after SIGTERM/SIGKILL of
//! the CLI, and venvs built with uv and with pip.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fakes::Fakes;
use crate::py::{is_error, tool_text as text};
use crate::run_tools::{
    CHAIN_MAIN, COG_YAML, REQUIREMENTS, run_call, run_sandbox, stdio_run, write_project,
};
use crate::support::{self, Sandbox};

/// Reads the files it is told to, writes where it is told to, reports what worked.
const PROBE_MAIN: &str = include_str!("pipelines/sandbox_probe.py");

/// Pillow, requests and a subprocess inside the sandbox; returns WebP bytes in a `.png`.
const MEDIA_MAIN: &str = r#"import shutil
import subprocess
import tempfile

import requests
from cog import Input, Path
from PIL import Image


def run(base_url: str = Input(description="An HTTP server to fetch from.")) -> Path:
    status = requests.get(base_url + "/v1/models/acme/pixel-forge", timeout=10).status_code
    print(f"e2e-media: http {status}", flush=True)
    echoed = subprocess.run(["echo", "from a subprocess"], capture_output=True, text=True)
    print(f"e2e-media: {echoed.stdout.strip()}", flush=True)
    if shutil.which("ffmpeg"):
        subprocess.run(["ffmpeg", "-hide_banner", "-version"], check=True, capture_output=True)
        print("e2e-media: ffmpeg ran", flush=True)
    image = Image.new("RGB", (8, 8), (200, 30, 30))
    with tempfile.NamedTemporaryFile(suffix=".jpg") as scratch:
        image.save(scratch.name)
        print(f"e2e-media: pillow temp file {Image.open(scratch.name).size}", flush=True)
    out = Path("picture.png")
    image.save(out, format="WEBP")
    return out
"#;

/// Imports a package the runtime provides but requirements.txt does not list.
const MISSING_MODULE_MAIN: &str = r#"from cog import Input
from PIL import Image


def run(prompt: str = Input(description="Anything.")) -> str:
    return prompt
"#;

/// Takes a file input.
const FILE_INPUT_MAIN: &str = r#"from cog import Input, Path


def run(image: Path = Input(description="Any file.")) -> str:
    return str(len(Path(image).read_bytes()))
"#;

/// Starts a child in a new session that must not outlive the run.
const SESSION_MAIN: &str = r#"import subprocess
import time

from cog import Input


def run(seconds: int = Input(description="How long to wait.", default=600)) -> str:
    subprocess.Popen(["sleep", str(seconds)], start_new_session=True)
    print("e2e-session: sleeping", flush=True)
    time.sleep(seconds)
    return "woke up"
"#;

fn landlock_or_skip(what: &str) -> bool {
    if pipelines_tools::run_local::landlock_abi().is_none() {
        eprintln!("skipped {what}: this kernel has no Landlock");
        return false;
    }
    true
}

/// Every file under `dir` (relative paths), sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            found.push(path.strip_prefix(dir).unwrap().display().to_string());
        }
    }
    found.sort();
    found
}

/// A CLI run's JSON result (exit code checked by the caller).
fn cli_json(sandbox: &Sandbox, args: &[&str]) -> (Option<i32>, Value, String) {
    let run = support::cli(sandbox, args);
    let value = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
    (run.code, value, run.stderr)
}

#[test]
fn a_sandboxed_pipeline_cannot_read_secrets_or_write_outside_its_dir() {
    if !landlock_or_skip("the sandbox test") {
        return;
    }
    let fakes = Fakes::start();
    let work = tempfile::tempdir_in(support::target_dir()).unwrap();
    // Left in the shared /tmp by another program.
    let tmp_secret = tempfile::NamedTempFile::new_in("/tmp").unwrap();
    std::fs::write(tmp_secret.path(), "TMP SECRET").unwrap();
    let tmp_out = std::path::Path::new("/tmp").join(format!(
        "e2e-probe-out-{}.txt",
        work.path().file_name().unwrap().to_string_lossy()
    ));
    let home = work.path().join("home");
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    let secret = home.join(".ssh/id_rsa");
    std::fs::write(&secret, "PRIVATE KEY").unwrap();
    let cache_file = crate::run_tools::shared_cache().join("other-dir-secret.txt");
    std::fs::create_dir_all(cache_file.parent().unwrap()).unwrap();
    std::fs::write(&cache_file, "cache secret").unwrap();
    let outside = work.path().join("outside.txt");
    let project = write_project(work.path(), "probe", PROBE_MAIN);
    std::fs::write(project.join("helper.py"), "NAME = 'helper imported'\n").unwrap();
    let before = files_under(&project);
    // pyenv is found through HOME: name the interpreter explicitly.
    let sandbox = run_sandbox(&fakes)
        .var("HOME", &home.display().to_string())
        .var("MCP_PIPELINES_PYTHON", &base_python().display().to_string());
    let args = |extra: &[&str]| {
        let mut a = vec![
            "run".to_string(),
            project.display().to_string(),
            "-i".into(),
            format!("secret={}", secret.display()),
            "-i".into(),
            format!("cache_file={}", cache_file.display()),
            "-i".into(),
            format!("outside={}", outside.display()),
            "-i".into(),
            format!("tmp_secret={}", tmp_secret.path().display()),
            "-i".into(),
            format!("tmp_out={}", tmp_out.display()),
            "--format".into(),
            "json".into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let confined = args(&[]);
    let confined: Vec<&str> = confined.iter().map(String::as_str).collect();
    let (code, run, stderr) = cli_json(&sandbox, &confined);
    assert_eq!(code, Some(0), "{run:#}\n{stderr}");
    let report: Value = serde_json::from_str(run["output"].as_str().unwrap()).unwrap();
    // Refused by Landlock, or (for paths under /tmp, e.g. in a checkout there) not even
    // there in the run's own /tmp.
    let refused = |key: &str| {
        assert!(
            ["PermissionError", "FileNotFoundError"].contains(&report[key].as_str().unwrap_or("")),
            "{key}: {report:#}"
        );
    };
    refused("read_secret");
    refused("read_cache");
    refused("read_tmp_secret");
    refused("write_outside");
    assert_eq!(report["tmp_lists_secret"], false, "{report:#}");
    assert_eq!(report["read_shadow"], "PermissionError", "{report:#}");
    assert_eq!(report["write_own_dir"], "ok", "{report:#}");
    assert_eq!(report["write_tmp"], "ok", "{report:#}");
    assert_eq!(report["tempdir_is_private"], true, "{report:#}");
    // No capabilities, even when the server runs as root; no signals out of the run (ABI 6).
    assert_eq!(
        report["capabilities"],
        json!(["0000000000000000", "0000000000000000", "0000000000000000"]),
        "{report:#}"
    );
    if pipelines_tools::run_local::landlock_abi().is_some_and(|abi| abi >= 6) {
        assert_eq!(report["signal_server"], "PermissionError", "{report:#}");
    }
    // `/tmp/x` is the run's own /tmp where the host allows a mount namespace, else refused
    // (and said so); never the host's /tmp.
    let no_private_tmp = run["warnings"].as_array().is_some_and(|w| {
        w.iter()
            .any(|w| w.as_str().unwrap_or("").contains("no private /tmp"))
    });
    let expected = if no_private_tmp {
        "PermissionError"
    } else {
        "ok"
    };
    assert_eq!(report["write_tmp_path"], expected, "{run:#}");
    assert!(!tmp_out.exists(), "wrote to the host's /tmp");
    assert!(!outside.exists());
    // The pipeline ran in a copy: the project is exactly as it was (no __pycache__/, no scratch).
    assert_ne!(report["cwd"], json!(project.display().to_string()));
    assert_eq!(files_under(&project), before);
    assert!(
        run["logs"]
            .as_str()
            .unwrap()
            .contains("e2e-probe: helper imported"),
        "{run:#}"
    );
    assert!(run["harness_logs"].is_string(), "{run:#}");
    assert!(
        !run["logs"]
            .as_str()
            .unwrap()
            .contains("ExperimentalFeatureWarning"),
        "{run:#}"
    );

    // --no-sandbox opts out: the same pipeline reads the file.
    let open = args(&["--no-sandbox"]);
    let open: Vec<&str> = open.iter().map(String::as_str).collect();
    let (code, run, stderr) = cli_json(&sandbox, &open);
    assert_eq!(code, Some(0), "{run:#}\n{stderr}");
    let report: Value = serde_json::from_str(run["output"].as_str().unwrap()).unwrap();
    assert_eq!(report["read_secret"], "ok", "{report:#}");
    assert_eq!(files_under(&project), before, "still not written to");
}

#[test]
fn pillow_requests_and_subprocesses_work_in_the_sandbox_and_webp_comes_back_as_webp() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes).var("MCP_PIPELINES_UV", &uv().display().to_string());
    let work = tempfile::tempdir().unwrap();
    let project = write_project(work.path(), "media", MEDIA_MAIN);
    std::fs::write(
        project.join("requirements.txt"),
        format!("{REQUIREMENTS}pillow==11.1.0\nrequests==2.32.3\n"),
    )
    .unwrap();
    let has_ffmpeg = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("ffmpeg").is_file()));
    if !has_ffmpeg {
        eprintln!("note: ffmpeg is not installed here; the ffmpeg subprocess step is skipped");
    }
    let base = fakes.replicate.base_url.clone();
    let (code, run, stderr) = cli_json(
        &sandbox,
        &[
            "run",
            &project.display().to_string(),
            "-i",
            &format!("base_url={base}"),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(0), "{run:#}\n{stderr}");
    let logs = run["logs"].as_str().unwrap();
    assert!(logs.contains("e2e-media: http"), "{logs}");
    assert!(logs.contains("e2e-media: from a subprocess"), "{logs}");
    assert!(
        logs.contains("e2e-media: pillow temp file (8, 8)"),
        "{logs}"
    );
    let file = PathBuf::from(run["files"][0].as_str().unwrap());
    assert_eq!(file.extension().unwrap(), "webp", "{run:#}");
    assert_eq!(&std::fs::read(&file).unwrap()[8..12], b"WEBP");
}

#[test]
fn a_missing_runtime_package_gets_advice() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes);
    let work = tempfile::tempdir().unwrap();
    let project = write_project(work.path(), "nopil", MISSING_MODULE_MAIN);
    let run = support::cli(
        &sandbox,
        &["run", &project.display().to_string(), "-i", "prompt=hi"],
    );
    assert_ne!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("No module named 'PIL'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("add `pillow` to requirements.txt") && run.stderr.contains("REQ005"),
        "{}",
        run.stderr
    );
}

#[test]
fn file_inputs_outside_the_roots_are_refused() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes);
    let work = tempfile::tempdir().unwrap();
    let project = write_project(work.path(), "files", FILE_INPUT_MAIN);
    std::fs::write(project.join("in.bin"), "four").unwrap();
    let dir = project.display().to_string();
    // CLI: the working and project dirs are the roots.
    let refused = support::cli(&sandbox, &["run", &dir, "-i", "image=@/etc/passwd"]);
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert!(refused.stderr.contains("image"), "{}", refused.stderr);
    // run_locally: the MCP roots (here the working dir).
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([
            run_call(json!({"path": "files", "inputs": {"image": "/etc/passwd"}})),
            run_call(json!({"path": "files", "inputs": {"image": "in.bin"}})),
        ]),
    );
    let result = crate::py::result(&doc, 0);
    assert!(is_error(result), "{result:#}");
    assert!(text(result).contains("image"), "{}", text(result));
    let inside = crate::py::result(&doc, 1);
    assert!(!is_error(inside), "{}", text(inside));
    assert_eq!(inside["structuredContent"]["output"], "4");
}

#[test]
fn nothing_outlives_a_cli_killed_by_sigterm_or_sigkill() {
    let fakes = Fakes::start();
    for signal in ["-TERM", "-KILL"] {
        let work = tempfile::tempdir().unwrap();
        // The run's copy lives in the runs dir: every process of the run has its cwd there.
        let sandbox =
            run_sandbox(&fakes).var("MCP_PIPELINES_RUNS_DIR", &work.path().display().to_string());
        let project = write_project(work.path(), "session", SESSION_MAIN);
        let mut child: Child = sandbox
            .command(&["run", &project.display().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = seen.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let deadline = Instant::now() + Duration::from_secs(170);
        while !seen.lock().unwrap().contains("e2e-session: sleeping") {
            assert!(
                Instant::now() < deadline,
                "never started: {}",
                seen.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(!crate::run_tools::live_processes_under(work.path()).is_empty());
        let status = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let _ = support::wait_with_guard(&mut child, Duration::from_secs(30), "mcp-pipelines run");
        let mut left = crate::run_tools::live_processes_under(work.path());
        let deadline = Instant::now() + Duration::from_secs(15);
        while !left.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            left = crate::run_tools::live_processes_under(work.path());
        }
        assert!(
            left.is_empty(),
            "left running after kill {signal}: {left:#?}"
        );
    }
}

/// The uv from the e2e venv (scripts/test-setup installs it from PyPI).
fn uv() -> PathBuf {
    support::require_installed(&support::target_dir().join("e2e-venv/bin/uv"), "uv")
}

#[test]
fn venvs_are_built_with_uv_when_available_and_with_pip_otherwise() {
    let fakes = Fakes::start();
    for (uv_setting, installer) in [
        (uv().display().to_string(), "uv"),
        ("off".to_string(), "pip"),
    ] {
        // A fresh cache each: the venv is built now.
        let sandbox = fakes
            .sandbox()
            .var("MCP_PIPELINES_UV", &uv_setting)
            .var("REPLICATE_POLL_INTERVAL", "0");
        let work = tempfile::tempdir().unwrap();
        let project = write_project(work.path(), "fox", CHAIN_MAIN);
        std::fs::write(project.join("cog.yaml"), COG_YAML).unwrap();
        let (code, run, stderr) = cli_json(
            &sandbox,
            &[
                "run",
                &project.display().to_string(),
                "-i",
                "prompt=a fox",
                "--format",
                "json",
            ],
        );
        assert_eq!(code, Some(0), "{installer}: {run:#}\n{stderr}");
        assert_eq!(run["venv"]["reused"], false, "{run:#}");
        assert!(
            stderr.contains(&format!("installing with {installer}")),
            "{installer}: {stderr}"
        );
        let venv = PathBuf::from(run["venv"]["path"].as_str().unwrap());
        assert!(
            venv.starts_with(sandbox.cache_dir().join("venvs")),
            "same layout: {run:#}"
        );
        assert!(venv.join("bin/python").exists());
    }
}

/// The interpreter the e2e venv was built from (its `pyvenv.cfg` `home`).
fn base_python() -> PathBuf {
    let venv = support::target_dir().join("e2e-venv");
    let cfg = std::fs::read_to_string(venv.join("pyvenv.cfg")).expect("run scripts/test-setup");
    let home = cfg
        .lines()
        .find_map(|l| l.split_once('=').filter(|(k, _)| k.trim() == "home"))
        .map(|(_, v)| PathBuf::from(v.trim()))
        .expect("pyvenv.cfg names its home");
    home.join("python3")
}

#[test]
fn a_hosted_server_keeps_the_sandbox_and_reads_no_local_input_files() {
    let fakes = Fakes::start();
    let token = "e2e-isolation-token-5c1d";
    let server = support::HttpServer::start_in(
        run_sandbox(&fakes).var("MCP_PIPELINES_AUTH_TOKENS", token),
        &["--allow-run"],
    );
    let files = crate::run_tools::project_files(FILE_INPUT_MAIN);
    let mut script = crate::py::http_script(
        &server,
        Some(token),
        "auto",
        json!([
            run_call(
                json!({"files": files, "inputs": {"image": "/etc/hostname"}, "sandbox": false})
            ),
            run_call(json!({"files": files, "inputs": {"image": "/etc/passwd"}})),
        ]),
    );
    script["timeout_s"] = json!(crate::run_tools::CALL_TIMEOUT_S);
    let doc = crate::py::run_script(&script);
    let unsandboxed = crate::py::result(&doc, 0);
    assert!(is_error(unsandboxed), "{unsandboxed:#}");
    assert!(
        text(unsandboxed).contains("sandbox"),
        "{}",
        text(unsandboxed)
    );
    let local_file = crate::py::result(&doc, 1);
    assert!(is_error(local_file), "{local_file:#}");
    let said = text(local_file);
    assert!(said.contains("image") && said.contains("hosted"), "{said}");
    assert!(fakes.replicate.predictions().is_empty());
}
