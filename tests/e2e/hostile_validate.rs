//! Hostile inputs to the validator through the real binary (issue 13, "Bounded parsing"):
//! deep call chains, lambda chains, huge operator and attribute chains, deeply nested
//! `cog.yaml` flow sequences and a 150k-line requirements file each yield a finding quickly
//! — never a crash or a stall — through the CLI and the MCP tool, and the server still
//! answers afterwards (stdio and `serve --http`).

use std::{
    fs,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::{
    py,
    raw_http::Request,
    support::{HttpServer, Sandbox, cli},
};

const COG_YAML: &str =
    "build:\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n";
const REQUIREMENTS: &str = "replicate>=1.1.0b1,<2.0.0a1\n";
const CLEAN_MAIN: &str = "def run(text: str) -> str:\n    return text\n";
/// A hang guard for a debug binary, not a performance figure.
const GUARD: Duration = Duration::from_secs(30);

fn deep_calls(n: usize) -> String {
    format!("x = {}1{}\n", "f(".repeat(n), ")".repeat(n))
}

/// Every hostile `main.py` of the issue, by name.
fn hostile_mains() -> Vec<(&'static str, String)> {
    vec![
        ("100k-deep calls", deep_calls(100_000)),
        (
            "lambda chain",
            format!("g = {}0\n", "lambda: ".repeat(100_000)),
        ),
        ("1M-term sum", format!("x = {}a\n", "a+".repeat(1_000_000))),
        (
            "1M attribute chain",
            format!("x = a{}\n", ".b".repeat(1_000_000)),
        ),
    ]
}

fn diagnostics(report: &Value) -> &Vec<Value> {
    report["diagnostics"]
        .as_array()
        .unwrap_or_else(|| panic!("a validation report: {report}"))
}

fn nested_too_deeply(report: &Value) -> bool {
    diagnostics(report).iter().any(|d| {
        d["code"] == "PY000"
            && d["message"]
                .as_str()
                .unwrap_or_default()
                .contains("nested too deeply (limit 200)")
    })
}

fn write(dir: &std::path::Path, cog: &str, reqs: &str, main: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("cog.yaml"), cog).unwrap();
    fs::write(dir.join("requirements.txt"), reqs).unwrap();
    fs::write(dir.join("main.py"), main).unwrap();
}

#[test]
fn the_cli_reports_every_hostile_input_quickly() {
    let sandbox = Sandbox::new();
    for (what, main) in hostile_mains() {
        let dir = sandbox.scratch().join(what.replace(' ', "-"));
        write(&dir, COG_YAML, REQUIREMENTS, &main);
        let started = Instant::now();
        let out = cli(
            &sandbox,
            &["validate", dir.to_str().unwrap(), "--format", "json"],
        );
        assert!(
            started.elapsed() < GUARD,
            "{what} took {:?}",
            started.elapsed()
        );
        assert_eq!(out.code, Some(1), "{what}: {}\n{}", out.stdout, out.stderr);
        assert!(nested_too_deeply(&out.json()), "{what}: {}", out.stdout);
    }

    let yaml = sandbox.scratch().join("nested-yaml");
    let nested = format!("{}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    write(&yaml, &nested, REQUIREMENTS, CLEAN_MAIN);
    let started = Instant::now();
    let out = cli(
        &sandbox,
        &["validate", yaml.to_str().unwrap(), "--format", "json"],
    );
    assert!(started.elapsed() < GUARD, "{:?}", started.elapsed());
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    assert!(
        diagnostics(&out.json())
            .iter()
            .any(|d| d["code"] == "COG002"),
        "{}",
        out.stdout
    );

    let reqs = sandbox.scratch().join("huge-requirements");
    let lines: String = (0..150_000).map(|i| format!("pkg{i}\n")).collect();
    write(
        &reqs,
        COG_YAML,
        &format!("{REQUIREMENTS}{lines}"),
        CLEAN_MAIN,
    );
    let out = cli(
        &sandbox,
        &["validate", reqs.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stdout.len() < 200_000, "{} bytes", out.stdout.len());
    let report = out.json();
    let req003: Vec<&Value> = diagnostics(&report)
        .iter()
        .filter(|d| d["code"] == "REQ003")
        .collect();
    assert_eq!(req003.len(), 51, "50 findings and one summary");
    assert!(
        req003[50]["message"]
            .as_str()
            .unwrap()
            .starts_with("… and 149950 more REQ003 findings"),
        "{}",
        req003[50]
    );
}

#[test]
fn the_http_server_survives_deep_inline_files_and_still_answers() {
    let server = HttpServer::start(&[]);
    let files = |main: &str| json!({"cog.yaml": COG_YAML, "requirements.txt": REQUIREMENTS, "main.py": main});
    // The team-host crash: a 30 KB inline main.py with 10k nested calls.
    let calls = deep_calls(10_000);
    assert!(calls.len() > 30_000);
    let chain = format!("x = a{}\n", ".b".repeat(500_000));
    let doc = py::run_script(&py::http_script(
        &server,
        None,
        "auto",
        json!([
            {"op": "call_tool", "name": "validate_pipeline", "args": {"files": files(&calls)}},
            {"op": "call_tool", "name": "validate_pipeline", "args": {"files": files(&chain)}},
            {"op": "call_tool", "name": "validate_pipeline", "args": {"files": files(CLEAN_MAIN)}},
        ]),
    ));
    for i in [0, 1] {
        let r = py::result(&doc, i);
        assert!(!py::is_error(r), "{r}");
        assert!(nested_too_deeply(&r["structuredContent"]), "{r}");
    }
    let clean = py::result(&doc, 2);
    assert_eq!(clean["structuredContent"]["ok"], true, "{clean}");
    let health = Request::get("/healthz").send(server.addr);
    assert_eq!(health.status, 200, "the server still answers");
    let (_, stderr) = server.terminate();
    assert!(!stderr.contains("stack overflow"), "{stderr}");
}

#[test]
fn the_stdio_server_survives_hostile_files_and_still_answers() {
    let sandbox = Sandbox::new();
    let files = |main: &str| json!({"cog.yaml": COG_YAML, "requirements.txt": REQUIREMENTS, "main.py": main});
    let mut ops: Vec<Value> = hostile_mains()
        .into_iter()
        // One 2 MB body (the 1M-term sum) is enough for stdio; HTTP takes the long chain.
        .filter(|(what, _)| *what != "1M attribute chain")
        .map(|(_, main)| {
            json!({"op": "call_tool", "name": "validate_pipeline", "args": {"files": files(&main)}})
        })
        .collect();
    let count = ops.len();
    ops.push(json!({"op": "call_tool", "name": "validate_pipeline", "args": {"files": files(CLEAN_MAIN)}}));
    let doc = py::stdio(&sandbox, Value::Array(ops));
    for i in 0..count {
        let r = py::result(&doc, i);
        assert!(!py::is_error(r), "{r}");
        assert!(nested_too_deeply(&r["structuredContent"]), "{i}: {r}");
    }
    assert_eq!(py::result(&doc, count)["structuredContent"]["ok"], true);
}
