//! The docs tools through the real binary: `fetch_llms_txt` (first fetch, 304, a changed
//! spec with its diff, a failing host → stale copy, no copy and no host → an error naming the
//! variable to set), `get_docs` (outline, section, search, cap, unknown section), the docs
//! resources, and the `docs` CLI verbs with `--format json`.

use pipelines_test_fakes::docs_host::{Doc, Mode};
use serde_json::{Value, json};

use crate::{
    fakes::Fakes,
    py,
    support::{HttpServer, Sandbox, cli},
};

/// The single source entry of a `fetch_llms_txt` result for the default source.
fn pipelines_entry(result: &Value) -> &Value {
    let sources = result["structuredContent"]["sources"]
        .as_array()
        .unwrap_or_else(|| panic!("fetch_llms_txt returns sources: {result}"));
    assert_eq!(sources.len(), 1, "one source by default: {result}");
    assert_eq!(sources[0]["source"], "pipelines", "{result}");
    &sources[0]
}

fn outline_ids(entries: &Value) -> Vec<&str> {
    entries
        .as_array()
        .unwrap_or_else(|| panic!("an outline: {entries}"))
        .iter()
        .map(|e| e["id"].as_str().expect("outline ids are strings"))
        .collect()
}

fn strings(list: &Value) -> Vec<&str> {
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

#[test]
fn get_docs_outline_section_search_cap_and_unknown_section() {
    let fakes = Fakes::start();
    let doc = fakes.stdio(json!([
        {"op": "list_tools"},
        {"op": "call_tool", "name": "get_docs", "args": {}},
        {"op": "call_tool", "name": "get_docs", "args": {"section": "cog/outputs"}},
        {"op": "call_tool", "name": "get_docs", "args": {"query": "secret api key"}},
        {"op": "call_tool", "name": "get_docs", "args": {"section": "runtime", "max_chars": 200}},
        {"op": "call_tool", "name": "get_docs", "args": {"section": "outputs"}},
        {"op": "call_tool", "name": "get_docs", "args": {"section": "cog/outptus"}},
        {"op": "call_tool", "name": "get_docs", "args": {"source": "runtime"}},
    ]));
    let tools = py::result(&doc, 0);

    // No arguments: the outline with freshness (fetched on first use).
    let outline = py::result(&doc, 1);
    py::assert_matches_output_schema(tools, "get_docs", outline);
    let sc = &outline["structuredContent"];
    assert_eq!(sc["freshness"]["source"], "pipelines", "{sc}");
    assert_eq!(sc["freshness"]["version"], 1, "{sc}");
    assert_eq!(sc["freshness"]["stale"], false, "{sc}");
    let entries = sc["outline"].as_array().expect("outline");
    let outputs = entries
        .iter()
        .find(|e| e["id"] == "cog/outputs")
        .unwrap_or_else(|| panic!("cog/outputs in the outline: {sc}"));
    assert_eq!(outputs["title"], "Outputs");
    assert_eq!(outputs["level"], 3);
    assert!(outputs["size"].as_u64().unwrap() > 0);
    assert!(
        sc.get("section").is_none() && sc.get("hits").is_none(),
        "{sc}"
    );

    // A section: its text, code blocks intact.
    let section = py::result(&doc, 2);
    py::assert_matches_output_schema(tools, "get_docs", section);
    let s = &section["structuredContent"]["section"];
    assert_eq!(s["id"], "cog/outputs");
    assert_eq!(s["title"], "Outputs");
    let text = s["text"].as_str().unwrap();
    assert!(text.starts_with("### Outputs"), "{text}");
    assert!(text.contains("Never return `dict`"), "{text}");
    assert!(
        text.contains("```py\nfrom cog import BaseModel, Path"),
        "{text}"
    );
    assert_eq!(section["structuredContent"]["truncated"], false);
    assert!(py::tool_text(section).contains("Never return `dict`"));

    // A query: ranked hits with id, title, snippet.
    let search = py::result(&doc, 3);
    py::assert_matches_output_schema(tools, "get_docs", search);
    let hits = search["structuredContent"]["hits"]
        .as_array()
        .expect("hits");
    assert!(!hits.is_empty(), "{search}");
    assert_eq!(
        hits[0]["id"], "runtime/using-cog-secret-for-api-authentication",
        "{search}"
    );
    for hit in hits {
        assert!(
            hit["title"].is_string() && hit["snippet"].is_string(),
            "{hit}"
        );
    }
    let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );

    // A cap: cut, with a note saying how to get the rest.
    let capped = py::result(&doc, 4);
    py::assert_matches_output_schema(tools, "get_docs", capped);
    let sc = &capped["structuredContent"];
    assert_eq!(sc["truncated"], true, "{sc}");
    assert!(
        sc["section"]["text"].as_str().unwrap().chars().count() <= 200,
        "{sc}"
    );
    let note = sc["note"].as_str().expect("a note when cut");
    assert!(
        note.contains("max_chars=") && note.contains("runtime/using-cog-secret"),
        "the note names the bigger cap and the subsections: {note}"
    );
    assert!(py::tool_text(capped).contains(note));

    // An unknown section: an error that suggests ids.
    let text = py::error_text(&doc, 5);
    assert!(
        text.contains("did you mean") && text.contains("cog/outputs"),
        "{text}"
    );
    let text = py::error_text(&doc, 6);
    assert!(
        text.contains("cog/outptus") && text.contains("get_docs with no arguments"),
        "{text}"
    );

    // Another source.
    let runtime = py::result(&doc, 7);
    py::assert_matches_output_schema(tools, "get_docs", runtime);
    assert_eq!(
        runtime["structuredContent"]["freshness"]["source"],
        "runtime"
    );
}

#[test]
fn docs_resources_read_whole_documents_and_sections() {
    let fakes = Fakes::start();
    let doc = fakes.stdio(json!([
        {"op": "list_resource_templates"},
        {"op": "read_resource", "uri": "pipelines://docs/pipelines"},
        {"op": "read_resource", "uri": "pipelines://docs/pipelines/cog/outputs"},
        {"op": "read_resource", "uri": "pipelines://docs/runtime"},
        {"op": "read_resource", "uri": "pipelines://docs/pipelines/no-such-section"},
        {"op": "read_resource", "uri": "pipelines://docs/nonsense"},
    ]));
    let templates: Vec<&str> = py::result(&doc, 0)["resourceTemplates"]
        .as_array()
        .expect("templates")
        .iter()
        .map(|t| t["uriTemplate"].as_str().unwrap())
        .collect();
    assert!(
        templates.contains(&"pipelines://docs/{source}/{section}"),
        "{templates:?}"
    );

    let text_of = |i: usize| -> String {
        let contents = py::result(&doc, i)["contents"]
            .as_array()
            .expect("contents")
            .clone();
        assert_eq!(contents.len(), 1, "{contents:?}");
        contents[0]["text"].as_str().expect("text").to_string()
    };
    let whole = text_of(1);
    assert!(
        whole.contains("## Requirements") && whole.contains("### Outputs"),
        "the whole spec"
    );
    let section = text_of(2);
    assert!(section.contains("### Outputs"), "{section}");
    assert!(
        !section.contains("## Requirements"),
        "only the section: {section}"
    );
    assert!(text_of(3).contains("pillow"), "the runtime list");

    for i in [4, 5] {
        let err = py::error(&doc, i);
        assert!(err["message"].is_string(), "{err}");
    }
    assert!(
        py::error(&doc, 4)["message"]
            .as_str()
            .unwrap()
            .contains("no-such-section"),
        "{doc}"
    );
}

#[test]
fn docs_tools_over_streamable_http() {
    let fakes = Fakes::start();
    let server = HttpServer::start_in(fakes.sandbox(), &[]);
    let doc = py::run_script(&py::http_script(
        &server,
        None,
        "auto",
        json!([
            {"op": "list_tools"},
            {"op": "call_tool", "name": "fetch_llms_txt", "args": {"source": "all"}},
            {"op": "call_tool", "name": "get_docs", "args": {"section": "requirements"}},
            {"op": "read_resource", "uri": "pipelines://docs/pipelines/requirements"},
        ]),
    ));
    let tools = py::result(&doc, 0);
    let fetched = py::result(&doc, 1);
    py::assert_matches_output_schema(tools, "fetch_llms_txt", fetched);
    let names: Vec<&str> = fetched["structuredContent"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pipelines", "runtime", "cog"], "{fetched}");
    let section = py::result(&doc, 2);
    py::assert_matches_output_schema(tools, "get_docs", section);
    assert!(
        section["structuredContent"]["section"]["text"]
            .as_str()
            .unwrap()
            .contains("cog >= 0.15.3"),
        "{section}"
    );
    let read = py::result(&doc, 3);
    assert!(
        read["contents"][0]["text"]
            .as_str()
            .unwrap()
            .contains("cog >= 0.15.3"),
        "{read}"
    );
}

#[test]
fn docs_cli_json_refresh_show_search_diff_rules() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();

    // Nothing cached yet: the Rulebook says it is the built-in defaults.
    let rules = cli(&sandbox, &["docs", "rules", "--format", "json"]);
    assert_eq!(rules.code, Some(0), "{}", rules.stderr);
    let rules = rules.json();
    assert_eq!(rules["origin"]["kind"], "defaults", "{rules}");
    assert_eq!(rules["cog_requirement"]["source"]["document"], "defaults");

    let refresh = cli(&sandbox, &["docs", "refresh", "--format", "json"]);
    assert_eq!(refresh.code, Some(0), "{}", refresh.stderr);
    let report = refresh.json();
    let sources = report["sources"].as_array().expect("sources");
    assert_eq!(sources.len(), 3, "all sources by default: {report}");
    for s in sources {
        assert_eq!(s["changed"], true, "{s}");
        assert_eq!(s["version"], 1, "{s}");
        assert!(s["error"].is_null(), "{s}");
    }

    // A second refresh is a conditional GET answered 304.
    let again = cli(
        &sandbox,
        &[
            "docs",
            "refresh",
            "--source",
            "pipelines",
            "--format",
            "json",
        ],
    );
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert_eq!(again.json()["sources"][0]["changed"], false);
    assert_eq!(fakes.docs.not_modified(Doc::Pipelines), 1);

    // Rules from the cached docs, each fact with the section it came from.
    let rules = cli(&sandbox, &["docs", "rules", "--format", "json"]);
    assert_eq!(rules.code, Some(0), "{}", rules.stderr);
    let v1_rules = rules.json();
    assert_eq!(v1_rules["origin"]["kind"], "cached", "{v1_rules}");
    assert_eq!(v1_rules["cog_requirement"]["value"], ">=0.15.3");
    assert_eq!(
        v1_rules["cog_requirement"]["source"],
        json!({"document": "pipelines", "section": "requirements"})
    );
    assert_eq!(
        v1_rules["replicate_requirement"]["source"]["section"],
        "requirements"
    );
    let packages = v1_rules["python_packages"].as_array().expect("packages");
    let pillow = packages
        .iter()
        .find(|p| p["name"] == "pillow")
        .unwrap_or_else(|| panic!("pillow is a runtime package: {v1_rules}"));
    assert_eq!(pillow["source"]["document"], "runtime", "{pillow}");
    for fact in v1_rules["system_packages"].as_array().expect("system") {
        assert_eq!(
            fact["source"],
            json!({"document": "pipelines", "section": "runtime"})
        );
    }
    let text = cli(&sandbox, &["docs", "rules"]);
    assert!(
        text.stdout.contains("[pipelines#requirements]"),
        "{}",
        text.stdout
    );

    let show = cli(
        &sandbox,
        &["docs", "show", "cog/outputs", "--format", "json"],
    );
    assert_eq!(show.code, Some(0), "{}", show.stderr);
    let show = show.json();
    assert_eq!(show["section"]["id"], "cog/outputs");
    assert!(
        show["section"]["text"]
            .as_str()
            .unwrap()
            .contains("Never return `dict`")
    );

    let outline = cli(&sandbox, &["docs", "show", "--format", "json"]).json();
    assert!(outline_ids(&outline["outline"]).contains(&"cog/outputs"));

    let search = cli(&sandbox, &["docs", "search", "secret", "--format", "json"]);
    assert_eq!(search.code, Some(0), "{}", search.stderr);
    assert_eq!(
        search.json()["hits"][0]["id"],
        "runtime/using-cog-secret-for-api-authentication"
    );

    let unknown = cli(&sandbox, &["docs", "show", "outputs", "--format", "json"]);
    assert_eq!(unknown.code, Some(2), "{}", unknown.stdout);
    assert!(unknown.stderr.contains("cog/outputs"), "{}", unknown.stderr);

    // One version only: no diff yet, and the message says why.
    let diff = cli(&sandbox, &["docs", "diff", "--format", "json"]);
    assert_eq!(diff.code, Some(2), "{}", diff.stdout);
    assert!(diff.stderr.contains("two"), "{}", diff.stderr);

    // The spec changes: the diff and the Rulebook follow.
    fakes.docs.switch_to_v2();
    let refresh = cli(
        &sandbox,
        &[
            "docs",
            "refresh",
            "--source",
            "pipelines",
            "--format",
            "json",
        ],
    );
    assert_eq!(refresh.code, Some(0), "{}", refresh.stderr);
    let entry = &refresh.json()["sources"][0];
    assert_eq!(entry["changed"], true, "{entry}");
    assert_eq!(entry["diff"]["sections_added"], json!(["runtime/limits"]));

    let diff = cli(&sandbox, &["docs", "diff", "--format", "json"]);
    assert_eq!(diff.code, Some(0), "{}", diff.stderr);
    let diff = diff.json();
    assert_eq!(diff["from_version"], 1);
    assert_eq!(diff["to_version"], 2);
    assert_eq!(diff["sections_added"], json!(["runtime/limits"]));
    assert!(
        strings(&diff["sections_changed"]).contains(&"requirements"),
        "{diff}"
    );
    let explicit = cli(
        &sandbox,
        &[
            "docs", "diff", "--from", "1", "--to", "2", "--format", "json",
        ],
    );
    assert_eq!(explicit.json(), diff, "--from 1 --to 2 is the default here");

    let v2_rules = cli(&sandbox, &["docs", "rules", "--format", "json"]).json();
    assert_eq!(v2_rules["origin"]["kind"], "cached");
    assert_ne!(
        v2_rules["origin"]["sha256"], v1_rules["origin"]["sha256"],
        "the Rulebook is derived from the new version"
    );
    assert_eq!(
        v2_rules["cog_requirement"]["value"], ">=0.16.0",
        "{v2_rules}"
    );
    assert_eq!(
        v2_rules["cog_requirement"]["source"]["section"],
        "requirements"
    );
}
