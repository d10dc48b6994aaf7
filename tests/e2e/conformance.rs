//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
//! tests/e2e/node, run with Node 22) against `serve --http`: its transport and protocol
//! scenarios, each at the wire version(s) it applies to, with the checked-in baseline
//! `tests/conformance/expected-failures.yaml`. The suite fails a run on any unexpected failure
//! and on a stale baseline entry (a listed check that now passes).
//!
//! The server reads its docs from the loopback fake docs host. The suite sends no bearer token, so the server runs with `--insecure-no-auth` on loopback;
//! auth is tested in `http_security`.

use crate::{
    fakes::Fakes,
    node,
    support::{self, HttpServer, Sandbox, run_to_end},
};

fn baseline() -> std::path::PathBuf {
    support::workspace_root().join("tests/conformance/expected-failures.yaml")
}

fn run_scenario(scenario: &str, spec_version: &str) {
    // Resources (the docs) are read from the fake docs host, as a real host reads the web.
    let fakes = Fakes::start();
    let server = HttpServer::start_in(fakes.sandbox(), &["--insecure-no-auth"]);
    let scratch = Sandbox::new();
    let results = scratch.scratch().join("results");
    let mut cmd = node::conformance(scratch.scratch());
    cmd.current_dir(scratch.scratch())
        .args(["server", "--url", &server.url()])
        .args(["--scenario", scenario, "--spec-version", spec_version])
        .arg("--expected-failures")
        .arg(baseline())
        .arg("--output-dir")
        .arg(&results);
    let out = run_to_end(&mut cmd, b"", "conformance suite");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "conformance scenario {scenario} at {spec_version} failed ({:?}).\n\
         An unexpected failure is a server bug; a stale baseline entry means a listed check now \
         passes: delete it from tests/conformance/expected-failures.yaml.\n\
         stdout:\n{stdout}\nstderr:\n{stderr}\nserver stderr:\n{}",
        out.status,
        server.stderr()
    );
    assert!(
        !stdout.contains("SKIPPED: scenario"),
        "scenario {scenario} did not run at {spec_version}:\n{stdout}"
    );
}

macro_rules! scenarios {
    ($($test:ident => $scenario:literal @ $version:literal;)*) => {
        $(
            #[test]
            fn $test() {
                run_scenario($scenario, $version);
            }
        )*
    };
}

scenarios! {
    server_initialize_2025_11_25 => "server-initialize" @ "2025-11-25";
    server_stateless_2026_07_28 => "server-stateless" @ "2026-07-28";
    dns_rebinding_protection_2025_11_25 => "dns-rebinding-protection" @ "2025-11-25";
    dns_rebinding_protection_2026_07_28 => "dns-rebinding-protection" @ "2026-07-28";
    http_header_validation_2026_07_28 => "http-header-validation" @ "2026-07-28";
    caching_2026_07_28 => "caching" @ "2026-07-28";
    tools_list_2025_11_25 => "tools-list" @ "2025-11-25";
    tools_list_2026_07_28 => "tools-list" @ "2026-07-28";
}
