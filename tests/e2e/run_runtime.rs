//! run_locally behaves like Replicate's runtime: cog's input checks (the OpenAPI schema
//! `cog build` writes), the runtime's package pins, its system tools.

use serde_json::json;

use crate::{
    fakes::Fakes,
    py,
    run_tools::{run_call, run_sandbox, stdio_run, write_project},
};

/// Bounds, choices and a required input, checked by cog as on Replicate.
const BOUNDED_MAIN: &str = r#"from cog import Input


def run(
    prompt: str = Input(description="What to say."),
    seed: int = Input(description="Random seed.", default=1, ge=0, le=1000),
    mode: str = Input(description="How.", default="calm", choices=["calm", "loud"]),
) -> str:
    open("ran.marker", "w").close()
    return f"{mode} {prompt} {seed}"
"#;

#[test]
fn cog_refuses_inputs_outside_the_schema_naming_input_value_and_constraint() {
    let fakes = Fakes::start();
    let sandbox = run_sandbox(&fakes);
    let work = tempfile::tempdir().unwrap();
    let project = write_project(work.path(), "bounded", BOUNDED_MAIN);
    let doc = stdio_run(
        &sandbox,
        work.path(),
        json!([
            run_call(json!({"path": "bounded", "inputs": {"prompt": "hi", "seed": -5}})),
            run_call(json!({"path": "bounded", "inputs": {"prompt": "hi", "mode": "shouty"}})),
            run_call(json!({"path": "bounded", "inputs": {"seed": 3}})),
            run_call(
                json!({"path": "bounded", "inputs": {"prompt": "hi", "seed": 7, "mode": "loud"}})
            ),
        ]),
    );
    for (index, wanted) in [
        (0, vec!["seed = -5", "minimum of 0"]),
        (1, vec!["mode = \"shouty\"", "calm", "loud"]),
        (2, vec!["prompt"]),
    ] {
        let result = py::result(&doc, index);
        assert!(py::is_error(result), "case {index}: {result:#}");
        let said = py::tool_text(result);
        for w in wanted {
            assert!(said.contains(w), "case {index} says {w:?}: {said}");
        }
        assert!(!said.contains("Traceback"), "case {index}: {said}");
    }
    let said = py::tool_text(py::result(&doc, 0));
    assert!(said.contains("refused the inputs"), "{said}");
    let ok = py::result(&doc, 3);
    assert!(!py::is_error(ok), "{ok:#}");
    assert_eq!(ok["structuredContent"]["output"], "loud hi 7", "{ok:#}");
    // The run's copy got the marker; the project itself stays untouched.
    assert!(!project.join("ran.marker").exists());
    assert!(!project.join(".cog").exists());
}
