//! PY034 file-list-to-model through the real binary: a model's `list[Path]` output, or a
//! list built from model files, passed whole as another model's input is an error (replicate
//! 1.1.0b2/b3 fail on it with `TypeError: Object of type URLPath is not JSON serializable`);
//! the same lists as URLs, and the pipeline's own `Path` inputs, are fine.

use crate::{
    fakes::Fakes,
    support::cli,
    validate_tools::{COG_YAML, assert_complete, codes, find, write_project},
};

const LISTS_MAIN: &str = r#""""Draws drafts, then variations from them."""

import replicate
from cog import Input, Path
from replicate import get_path_url

forge = replicate.use("acme/pixel-forge")


def run(
    prompt: str = Input(description="What to draw."),
    refs: list[Path] = Input(description="Pictures to start from."),
) -> Path:
    drafts = forge(prompt=prompt, num_outputs=4)
    fine = forge(prompt=prompt, reference_images=[get_path_url(f) for f in drafts])
    mine = forge(prompt=prompt, reference_images=refs)
    frames = []
    for draft in drafts:
        frames.append(draft)
    broken = forge(prompt=prompt, reference_images=frames)
    print(fine, mine)
    return broken[0]
"#;

#[test]
fn a_list_of_model_files_passed_to_a_model_is_py034_and_urls_are_fine() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();
    let schema = cli(&sandbox, &["schema", "acme/pixel-forge"]);
    assert_eq!(schema.code, Some(0), "{}", schema.stderr);
    let project = sandbox.scratch().join("lists");
    write_project(&project, COG_YAML, LISTS_MAIN);
    let out = cli(
        &sandbox,
        &["validate", project.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(
        out.code,
        Some(1),
        "PY034 is an error: {}\nstderr: {}",
        out.stdout,
        out.stderr
    );
    let report = out.json();
    assert_complete(&report);
    assert!(
        codes(&report).contains("PY034"),
        "{report}\nstderr: {}",
        out.stderr
    );
    let found = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "PY034")
        .count();
    assert_eq!(found, 1, "only the accumulated list: {report}");
    let d = find(&report, "PY034");
    assert_eq!(d["line"], 20, "{d}");
    assert!(
        d["fix"]
            .as_str()
            .unwrap()
            .contains("[get_path_url(f) for f in frames]"),
        "{d}"
    );
    assert!(d["message"].as_str().unwrap().contains("URLPath"), "{d}");
}
