//! `fetch_llms_txt` through the real binary: first fetch, 304, a changed spec with its diff,
//! a failing host → stale copy, no copy and no host → an error naming the variable to set.
//! Also the helpers the other `docs_*` test files share.

use pipelines_test_fakes::docs_host::{Doc, Mode};
use serde_json::{Value, json};

use crate::{fakes::Fakes, py, support::Sandbox};

/// The single source entry of a `fetch_llms_txt` result for the default source.
pub(crate) fn pipelines_entry(result: &Value) -> &Value {
    let sources = result["structuredContent"]["sources"]
        .as_array()
        .unwrap_or_else(|| panic!("fetch_llms_txt returns sources: {result}"));
    assert_eq!(sources.len(), 1, "one source by default: {result}");
    assert_eq!(sources[0]["source"], "pipelines", "{result}");
    &sources[0]
}

pub(crate) fn outline_ids(entries: &Value) -> Vec<&str> {
    entries
        .as_array()
        .unwrap_or_else(|| panic!("an outline: {entries}"))
        .iter()
        .map(|e| e["id"].as_str().expect("outline ids are strings"))
        .collect()
}

pub(crate) fn strings(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|s| s.as_str().expect("strings"))
        .collect()
}

#[test]
fn fetch_llms_txt_first_fetch_then_304_then_changed_then_stale() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();

    // First fetch stores v1; the second is a conditional GET answered 304.
    let doc = py::stdio(
        &sandbox,
        json!([
            {"op": "list_tools"},
            {"op": "call_tool", "name": "fetch_llms_txt", "args": {}},
            {"op": "call_tool", "name": "fetch_llms_txt", "args": {}},
        ]),
    );
    let tools = py::result(&doc, 0);
    let first = py::result(&doc, 1);
    assert!(!py::is_error(first), "{first}");
    py::assert_matches_output_schema(tools, "fetch_llms_txt", first);
    let v1 = pipelines_entry(first);
    assert_eq!(v1["changed"], true, "{v1}");
    assert_eq!(v1["stale"], false, "{v1}");
    assert_eq!(v1["version"], 1, "{v1}");
    assert_eq!(v1["etag"], fakes.docs.etag(Doc::Pipelines), "{v1}");
    assert!(v1["fetched_at"].is_string(), "{v1}");
    assert!(v1["diff"].is_null(), "nothing to diff against yet: {v1}");
    let ids = outline_ids(&v1["outline"]);
    for id in [
        "requirements",
        "cog/outputs",
        "runtime/using-cog-secret-for-api-authentication",
    ] {
        assert!(ids.contains(&id), "outline has {id}: {ids:?}");
    }

    let second = py::result(&doc, 2);
    py::assert_matches_output_schema(tools, "fetch_llms_txt", second);
    let again = pipelines_entry(second);
    assert_eq!(again["changed"], false, "{again}");
    assert_eq!(again["stale"], false, "{again}");
    assert_eq!(again["version"], 1, "{again}");
    assert_eq!(again["etag"], v1["etag"], "{again}");
    assert_eq!(fakes.docs.full_responses(Doc::Pipelines), 1);
    assert_eq!(
        fakes.docs.not_modified(Doc::Pipelines),
        1,
        "the second fetch is a conditional GET answered 304"
    );

    // The host publishes a changed spec: a new version, with a diff and a section summary.
    fakes.docs.switch_to_v2();
    let doc = py::stdio(
        &sandbox,
        json!([
            {"op": "list_tools"},
            {"op": "call_tool", "name": "fetch_llms_txt", "args": {}},
        ]),
    );
    let changed = py::result(&doc, 1);
    py::assert_matches_output_schema(py::result(&doc, 0), "fetch_llms_txt", changed);
    let v2 = pipelines_entry(changed);
    assert_eq!(v2["changed"], true, "{v2}");
    assert_eq!(v2["version"], 2, "{v2}");
    assert_eq!(v2["etag"], fakes.docs.etag(Doc::Pipelines), "{v2}");
    assert!(outline_ids(&v2["outline"]).contains(&"runtime/limits"));
    let diff = &v2["diff"];
    assert_eq!(diff["from_version"], 1, "{diff}");
    assert_eq!(diff["to_version"], 2, "{diff}");
    assert_eq!(
        strings(&diff["sections_added"]),
        ["runtime/limits"],
        "{diff}"
    );
    assert!(strings(&diff["sections_removed"]).is_empty(), "{diff}");
    let touched = strings(&diff["sections_changed"]);
    assert!(
        touched.contains(&"requirements") && touched.contains(&"runtime"),
        "{diff}"
    );
    let unified = diff["unified"].as_str().unwrap();
    assert!(
        unified.contains("-A pipeline needs `cog >= 0.15.3`")
            && unified.contains("+A pipeline needs `cog >= 0.16.0`"),
        "{unified}"
    );
    assert!(diff["lines_added"].as_u64().unwrap() > 0, "{diff}");
    let text = py::tool_text(changed);
    assert!(
        text.contains("runtime/limits") && text.contains("cog >= 0.16.0"),
        "the readable text shows the section summary and the diff: {text}"
    );

    // The host fails: the cached copy is served, marked stale with the reason.
    fakes.docs.set_mode(Doc::Pipelines, Mode::ServerError);
    let doc = py::stdio(
        &sandbox,
        json!([
            {"op": "list_tools"},
            {"op": "call_tool", "name": "fetch_llms_txt", "args": {}},
            {"op": "call_tool", "name": "get_docs", "args": {"section": "runtime/limits"}},
        ]),
    );
    let stale = py::result(&doc, 1);
    assert!(
        !py::is_error(stale),
        "a cached copy is never an error: {stale}"
    );
    py::assert_matches_output_schema(py::result(&doc, 0), "fetch_llms_txt", stale);
    let entry = pipelines_entry(stale);
    assert_eq!(entry["stale"], true, "{entry}");
    assert_eq!(entry["changed"], false, "{entry}");
    assert_eq!(entry["version"], 2, "{entry}");
    let reason = entry["stale_reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("500"),
        "the reason names the failure: {entry}"
    );
    assert!(
        py::tool_text(stale).contains("STALE"),
        "{}",
        py::tool_text(stale)
    );
    let section = py::result(&doc, 2);
    assert!(!py::is_error(section), "{section}");
    assert_eq!(
        section["structuredContent"]["section"]["id"],
        "runtime/limits"
    );
}

#[test]
fn no_cached_copy_and_no_host_is_an_error_naming_the_variable() {
    // Sandbox::new() points every URL at a dead loopback port.
    let sandbox = Sandbox::new();
    let doc = py::stdio(
        &sandbox,
        json!([
            {"op": "call_tool", "name": "fetch_llms_txt", "args": {}},
            {"op": "call_tool", "name": "get_docs", "args": {"section": "cog/outputs"}},
        ]),
    );
    for i in 0..2 {
        let r = py::result(&doc, i);
        assert!(py::is_error(r), "operation {i}: {r}");
        let text = py::tool_text(r);
        assert!(
            text.contains("MCP_PIPELINES_DOCS_URL"),
            "operation {i}: the message names the variable to set: {text}"
        );
        assert!(text.contains("docs refresh"), "and the CLI to run: {text}");
    }
}
