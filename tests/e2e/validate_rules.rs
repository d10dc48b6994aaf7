//! The second-level rules (PY026 legacy API, PY030 model call without inputs, REQ005 runtime
//! package not listed) and `# noqa` through the real binary: the CLI and the MCP tool.

use std::fs;

use serde_json::{Value, json};

use crate::{
    fakes::Fakes,
    py,
    support::cli,
    validate_tools::{COG_YAML, assert_complete, codes, find, inline_files, write_project},
};

/// API misuse the second-level rules catch: the pre-`use()` API (PY026, line 4), a model
/// called with no inputs (PY030 and PY018, line 11, once acme/pixel-forge's schema is
/// cached), PIL
/// imported but not listed (REQ005, line 2); line 12's `replicate.run` carries `# noqa`.
const MISUSE_MAIN: &str = r#"import cog
from PIL import Image
import replicate
legacy = cog.include("acme/echo-text")

forge = replicate.use("acme/pixel-forge")


def run(prompt: str) -> str:
    Image.new("RGB", (1, 1))
    images = forge()
    text = replicate.run("acme/echo-text", input={"text": prompt})  # noqa: PY027
    return str(images) + str(text) + str(legacy)
"#;

fn assert_misuse_found(report: &Value) {
    assert_complete(report);
    let at = |code: &str| {
        let d = find(report, code);
        (
            d["line"].as_u64().unwrap(),
            d["file"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(at("PY026"), (4, "main.py".to_string()), "{report}");
    assert_eq!(at("PY030"), (11, "main.py".to_string()), "{report}");
    assert_eq!(at("REQ005"), (2, "main.py".to_string()), "{report}");
    let py030 = find(report, "PY030")["message"].as_str().unwrap();
    assert!(py030.contains("`aspect_ratio` = \"1:1\""), "{py030}");
    let req005 = find(report, "REQ005");
    assert!(
        req005["edit"].as_str().unwrap().contains("+pillow"),
        "{req005}"
    );
    assert!(
        find(report, "PY026")["fix"]
            .as_str()
            .unwrap()
            .contains("replicate.use(\"acme/echo-text\")"),
        "{report}"
    );
    assert!(!codes(report).contains("PY027"), "noqa: {report}");
}

#[test]
fn second_level_rules_and_noqa_through_the_cli_and_the_mcp_tool() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();
    let project = sandbox.scratch().join("misuse");
    write_project(&project, COG_YAML, MISUSE_MAIN);
    let dir = project.to_str().unwrap();

    let schema = cli(
        &sandbox,
        &["schema", "acme/pixel-forge", "--format", "json"],
    );
    assert_eq!(schema.code, Some(0), "{}", schema.stderr);
    let out = cli(&sandbox, &["validate", dir, "--format", "json"]);
    assert_eq!(out.code, Some(1), "PY026 is an error: {}", out.stdout);
    assert_misuse_found(&out.json());
    let text = cli(&sandbox, &["validate", dir]);
    assert!(
        text.stdout.contains("main.py:4:10: PY026"),
        "{}",
        text.stdout
    );

    // With the whole line silenced, PY026 goes; the rest (PY018's error included) stays.
    let silenced = MISUSE_MAIN.replace(
        "legacy = cog.include(\"acme/echo-text\")",
        "legacy = cog.include(\"acme/echo-text\")  # noqa",
    );
    fs::write(project.join("main.py"), &silenced).unwrap();
    let quiet = cli(&sandbox, &["validate", dir, "--format", "json"]);
    assert_eq!(quiet.code, Some(1), "{}", quiet.stdout);
    let left = codes(&quiet.json());
    assert!(!left.contains("PY026"), "{}", quiet.stdout);
    assert!(left.contains("PY018") && left.contains("PY030"), "{left:?}");
    fs::write(project.join("main.py"), MISUSE_MAIN).unwrap();

    let doc = py::stdio_in(
        &sandbox,
        sandbox.scratch(),
        json!([
            {"op": "list_tools"},
            {"op": "call_tool", "name": "validate_pipeline", "args": {"path": "misuse"}},
            {"op": "call_tool", "name": "validate_pipeline",
             "args": {"files": inline_files(COG_YAML, MISUSE_MAIN)}},
        ]),
    );
    for i in [1, 2] {
        let r = py::result(&doc, i);
        assert!(!py::is_error(r), "{r}");
        py::assert_matches_output_schema(py::result(&doc, 0), "validate_pipeline", r);
        assert_misuse_found(&r["structuredContent"]);
    }
}
