//! The data-flow rules through the real binary: `validate_pipeline` and
//! `mcp-pipelines validate` follow model outputs with schemas fetched from the fake API
//! (PY020 object-output-attribute, PY022 list-output-as-single).

use std::fs;

use serde_json::{Value, json};

use crate::{fakes::Fakes, py, support::cli};

/// `result.answer` on an object output (PY020, line 11) and a `list[Path]` passed whole
/// to an input that takes one file (PY022, line 13).
const FLOW_MAIN: &str = r#"import replicate
from cog import Path

inspector = replicate.use("acme/scene-inspector")
forge = replicate.use("acme/pixel-forge")
upscale = replicate.use("acme/upscale.x2")


def run(image: Path, prompt: str) -> Path:
    result = inspector(image=image, question="What is in the picture?")
    print(result.answer)
    images = forge(prompt=prompt)
    return upscale(image=images)
"#;

const MODELS: [&str; 3] = [
    "acme/scene-inspector",
    "acme/pixel-forge",
    "acme/upscale.x2",
];

fn flow_findings(report: &Value) -> Vec<(String, u64)> {
    report["diagnostics"]
        .as_array()
        .unwrap_or_else(|| panic!("a validation report: {report}"))
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn assert_flow_findings(report: &Value) {
    assert_eq!(
        flow_findings(report),
        vec![("PY020".to_string(), 11), ("PY022".to_string(), 13)],
        "{report}"
    );
    let diagnostics = report["diagnostics"].as_array().unwrap();
    let py020 = &diagnostics[0];
    assert_eq!(
        py020["doc_section"],
        "miscellaneous-important-things-to-keep-in-mind"
    );
    assert!(
        py020["edit"]
            .as_str()
            .unwrap()
            .contains("print(result[\"answer\"])"),
        "{py020}"
    );
    let py022 = &diagnostics[1];
    assert!(
        py022["fix"].as_str().unwrap().contains("images[0]"),
        "{py022}"
    );
    assert!(
        py022["edit"]
            .as_str()
            .unwrap()
            .contains("upscale(image=images[0])"),
        "{py022}"
    );
}

#[test]
fn validate_pipeline_and_cli_follow_model_outputs() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();
    let project = sandbox.scratch().join("flow-app");
    fs::create_dir_all(&project).unwrap();
    fs::write(
        project.join("cog.yaml"),
        "build:\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n",
    )
    .unwrap();
    fs::write(
        project.join("requirements.txt"),
        "replicate>=1.1.0b1,<2.0.0a1\n",
    )
    .unwrap();
    fs::write(project.join("main.py"), FLOW_MAIN).unwrap();

    // The MCP tool, with the schemas fetched in the same session.
    let doc = py::stdio_in(
        &sandbox,
        sandbox.scratch(),
        json!([
            {"op": "call_tool", "name": "fetch_model_schema", "args": {"models": MODELS}},
            {"op": "call_tool", "name": "validate_pipeline", "args": {"path": "flow-app"}},
        ]),
    );
    assert!(!py::is_error(py::result(&doc, 0)), "{doc}");
    let validated = py::result(&doc, 1);
    assert_flow_findings(&validated["structuredContent"]);
    let text = py::tool_text(validated);
    assert!(text.contains("main.py:11:18: PY020"), "{text}");

    // The CLI: fetch the schemas, then exit 1 with the same findings.
    let mut fetch = vec!["schema"];
    fetch.extend(MODELS);
    let fetched = cli(&sandbox, &fetch);
    assert_eq!(fetched.code, Some(0), "{}", fetched.stderr);
    let out = cli(
        &sandbox,
        &["validate", project.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    assert_flow_findings(&out.json());
}
