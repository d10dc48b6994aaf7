//! End-to-end tests driving the real `mcp-pipelines` binary with real MCP clients.
//!
//! Needs the tools installed by `scripts/test-setup` (a Python venv with the `mcp` SDK in
//! `target/e2e-venv`, the MCP Inspector CLI, the conformance suite and Node 22 in
//! `target/e2e-node`). A test whose tool is missing fails and says to run the set-up; none is
//! skipped silently. `scripts/test` runs the set-up and then every test.
//!
//! Layout:
//! - `support`: paths, spawning the binary (stdio or `serve --http`), stderr capture.
//! - `raw_http`: a minimal HTTP/1.1 client over `TcpStream` (full control over Host/Origin).
//! - `py`: runs `tests/e2e/py/mcp_client.py` (the Python SDK harness) on a JSON script.
//! - `fakes`: the loopback docs host and Replicate API, on their own runtime.
//! - `node`: locates Node 22, the Inspector CLI and the conformance suite.
//! - the rest are the tests, one concern per file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A scenario test reads best in one piece: the 80-line rule is for src/.
#![allow(clippy::too_many_lines)]

mod fakes;
mod node;
mod py;
mod raw_http;
mod support;

mod cache_lifecycle;
mod conformance;
mod contract;
mod docs_cli;
mod docs_reading;
mod docs_rules;
mod docs_tools;
mod host_pressure;
mod hostile_bodies;
mod hostile_cli;
mod hostile_http;
mod hostile_stdio;
mod hostile_validate;
mod http_fast_path;
mod http_security;
mod http_server;
mod inspector;
mod metrics;
mod oauth;
mod output_kinds;
mod python_sdk;
mod request_checks;
mod run_args;
mod run_guards;
mod run_http_and_cli;
mod run_isolation;
mod run_least_privilege;
mod run_mocks;
mod run_proxy;
mod run_runtime;
mod run_runtime_conflict;
mod run_tools;
mod scaffold_cli;
mod scaffold_edits;
mod scaffold_heldout;
mod scaffold_tasks;
mod scaffold_tools;
mod scaffold_wiring;
mod schema_auth;
mod schema_cli;
mod schema_shapes;
mod schema_tools;
mod stdio;
mod validate_cli;
mod validate_file_list;
mod validate_flow;
mod validate_kept;
mod validate_rules;
mod validate_tools;
