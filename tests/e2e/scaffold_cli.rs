//! The `scaffold` and `validate` CLI verbs of the real binary agree: a scaffolded project
//! validates clean (exit 0), and `--dry-run` over it changes nothing.

use serde_json::Value;

use crate::{
    fakes::Fakes,
    scaffold_tools::{IMAGE, LLM, PROJECT_FILES, all_with, assert_clean, read, statuses},
    support,
};

#[test]
fn cli_scaffold_then_validate_exits_zero() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();
    let dir = sandbox.scratch().join("cli-proj");
    let dir_arg = dir.display().to_string();
    let out = support::run_to_end(
        &mut sandbox.command(&[
            "scaffold",
            &dir_arg,
            "--name",
            "cli-pipeline",
            "--model",
            IMAGE,
            "--model",
            LLM,
            "--input",
            "prompt:str",
            "--output",
            "Output",
        ]),
        b"",
        "mcp-pipelines scaffold",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "scaffold: {stdout}\n{stderr}");
    for f in PROJECT_FILES {
        assert!(dir.join(f).is_file(), "{f} written:\n{stdout}");
        assert!(stdout.contains(f), "{stdout}");
    }

    let out = support::run_to_end(
        &mut sandbox.command(&["validate", &dir_arg, "--format", "json"]),
        b"",
        "mcp-pipelines validate",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "validate: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let validation: Value = serde_json::from_str(&stdout).unwrap();
    assert_clean(&validation, "CLI project");

    // Again, with --dry-run: nothing changes and the exit status is still 0.
    let before = read(&dir, "main.py");
    let out = support::run_to_end(
        &mut sandbox.command(&[
            "scaffold",
            &dir_arg,
            "--name",
            "cli-pipeline",
            "--model",
            IMAGE,
            "--model",
            LLM,
            "--input",
            "prompt:str",
            "--output",
            "Output",
            "--dry-run",
            "--format",
            "json",
        ]),
        b"",
        "mcp-pipelines scaffold --dry-run",
    );
    assert!(out.status.success());
    let again: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(statuses(&again), all_with("unchanged"), "{again:#}");
    assert_eq!(read(&dir, "main.py"), before);
}
