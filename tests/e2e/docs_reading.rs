//! Reading the docs through the real binary: `get_docs` (outline, section, search, cap,
//! unknown section), the docs resources (whole documents and sections), and the docs tools
//! over streamable HTTP.

use serde_json::json;

use crate::{fakes::Fakes, py, support::HttpServer};

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
