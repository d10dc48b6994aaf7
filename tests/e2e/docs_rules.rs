//! What `fetch_llms_txt` gives in one call (compact outline, errata count, rules digest),
//! `get_docs` on a parent section, the rules digest (`get_docs {section: "rules"}`,
//! `pipelines://rules`, `docs rules --digest`, the create_pipeline prompt), and the spec's
//! errata (`get_docs` notes, `docs lint`) — through the real binary against the fake docs host.

use pipelines_test_fakes::docs_host::{
    Doc, PIPELINES_LLMS_ERRATA, PIPELINES_LLMS_V2, RUNTIME_REQUIREMENTS,
};
use serde_json::{Value, json};

use crate::{fakes::Fakes, py, support::cli};

const DIGEST_CAP: usize = 8000;

fn codes() -> Vec<&'static str> {
    pipelines_tools::validate::rules()
        .iter()
        .map(|r| r.code)
        .collect()
}

/// Every registered rule once, the Rulebook's facts, within the cap.
fn assert_digest(text: &str) {
    for code in codes() {
        let lines = text
            .lines()
            .filter(|l| {
                l.starts_with(&format!("- {code}:")) || l.starts_with(&format!("- {code} ("))
            })
            .count();
        assert_eq!(lines, 1, "{code} listed once: {text}");
    }
    for line in text.lines().filter(|l| l.starts_with("- ")) {
        if let Some(problem) = pipelines_tools::digest::whole_line_problem(line) {
            panic!("{problem}: {line}");
        }
    }
    for fact in ["pydantic<2", "pillow", "ffmpeg", "imagemagick"] {
        assert!(text.contains(fact), "digest has {fact}: {text}");
    }
    for topic in [
        "## cog.yaml",
        "## requirements",
        "## outputs",
        "## calling models",
        "## runtime",
        "## secrets",
    ] {
        assert!(text.contains(topic), "digest has {topic}: {text}");
    }
    assert!(
        text.chars().count() <= DIGEST_CAP,
        "{} chars",
        text.chars().count()
    );
}

fn entry<'a>(outline: &'a Value, id: &str) -> &'a Value {
    outline
        .as_array()
        .and_then(|a| a.iter().find(|e| e["id"] == id))
        .unwrap_or_else(|| panic!("{id} in {outline}"))
}

#[test]
fn fetch_llms_txt_gives_outline_digest_and_errata_and_get_docs_shows_parents_compactly() {
    let fakes = Fakes::start();
    let doc = fakes.stdio(
        json!([
            {"op": "list_tools"},
            {"op": "get_prompt", "name": "create_pipeline", "args": {"task": "caption images"}},
            {"op": "call_tool", "name": "fetch_llms_txt", "args": {}},
            {"op": "call_tool", "name": "get_docs", "args": {"section": "cog"}},
            {"op": "call_tool", "name": "get_docs", "args": {"section": "cog", "include_subsections": true}},
            {"op": "call_tool", "name": "get_docs", "args": {}},
            {"op": "call_tool", "name": "get_docs", "args": {"section": "rules"}},
            {"op": "read_resource", "uri": "pipelines://rules"},
            {"op": "get_prompt", "name": "create_pipeline", "args": {"task": "caption images"}},
        ]),
    );
    let tools = py::result(&doc, 0);

    // The digest as get_docs gives it.
    let digest = py::result(&doc, 6)["structuredContent"]["section"]["text"]
        .as_str()
        .expect("the digest")
        .to_owned();
    let digest = digest.as_str();
    assert_digest(digest);

    // On an empty cache the prompt refreshes the spec itself and embeds it: the digest and
    // the outline, and nothing that sends the agent to fetch_llms_txt first.
    let before = py::result(&doc, 1)["messages"][0]["content"]["text"]
        .as_str()
        .expect("prompt text")
        .to_owned();
    assert!(before.contains(digest.trim_end()), "{before}");
    assert!(
        before.contains("Sections (read one with get_docs(section=\"<id>\")): ")
            && before.contains("cog/{types, inputs, outputs}"),
        "the outline, compactly: {before}"
    );
    assert!(!before.contains("call `fetch_llms_txt` first"), "{before}");

    // fetch_llms_txt in the same session: freshness, the compact outline (one line per
    // section), no errata, and the digest NOT repeated (the prompt gave it).
    let fetched = py::result(&doc, 2);
    assert!(!py::is_error(fetched), "{fetched}");
    py::assert_matches_output_schema(tools, "fetch_llms_txt", fetched);
    let sc = &fetched["structuredContent"];
    assert_eq!(sc["sources"][0]["version"], 1, "{sc}");
    assert_eq!(
        sc["errata"]["count"], 0,
        "a consistent spec has no errata: {sc}"
    );
    let text = py::tool_text(fetched);
    for line in [
        "cog/outputs — Outputs",
        "runtime/using-cog-secret-for-api-authentication — Using cog.Secret for API Authentication",
        "requirements — Requirements",
    ] {
        assert!(
            text.lines().any(|l| l.trim() == line),
            "outline line {line:?}: {text}"
        );
    }
    assert!(digest.contains("cog>=0.15.3"), "{digest}");
    assert!(sc.get("digest").is_none(), "{sc}");
    assert!(
        sc["digest_note"].as_str().unwrap().contains("unchanged"),
        "{sc}"
    );
    assert!(
        !text.contains(digest.lines().nth(2).unwrap()) && text.contains("not repeated"),
        "the digest once per session: {text}"
    );

    // A parent section: its own text, its subsections listed (not repeated).
    let parent = py::result(&doc, 3);
    py::assert_matches_output_schema(tools, "get_docs", parent);
    let s = &parent["structuredContent"]["section"];
    let own = s["text"].as_str().unwrap();
    assert!(own.contains("The smallest project has two files"), "{own}");
    assert!(
        !own.contains("### Outputs") && !own.contains("Never return `dict`"),
        "{own}"
    );
    assert_eq!(s["includes_subsections"], false);
    let subs = &s["subsections"];
    for id in ["cog/types", "cog/inputs", "cog/outputs"] {
        assert!(entry(subs, id)["size"].as_u64().unwrap() > 0, "{subs}");
    }
    let shown = py::tool_text(parent);
    assert!(shown.contains("cog/outputs — Outputs ("), "{shown}");
    assert!(
        parent["structuredContent"]["note"]
            .as_str()
            .unwrap()
            .contains("include_subsections")
    );
    let whole = py::result(&doc, 4);
    py::assert_matches_output_schema(tools, "get_docs", whole);
    let all = whole["structuredContent"]["section"]["text"]
        .as_str()
        .unwrap();
    assert!(
        all.contains("### Outputs") && all.contains("Never return `dict`"),
        "{all}"
    );

    // The outline shows each section's own size and its total.
    let outline = &py::result(&doc, 5)["structuredContent"]["outline"];
    let cog = entry(outline, "cog");
    assert!(
        cog["own_size"].as_u64().unwrap() < cog["size"].as_u64().unwrap(),
        "{cog}"
    );
    let outputs = entry(outline, "cog/outputs");
    assert_eq!(outputs["own_size"], outputs["size"], "a leaf: {outputs}");

    // The digest as a section, as a resource, and inline in the prompt.
    let rules = py::result(&doc, 6);
    py::assert_matches_output_schema(tools, "get_docs", rules);
    let resource = py::result(&doc, 7);
    assert_eq!(resource["contents"][0]["text"], digest, "{resource}");
    let prompt = py::result(&doc, 8)["messages"][0]["content"]["text"]
        .as_str()
        .expect("prompt text")
        .to_owned();
    assert!(prompt.contains(digest.trim_end()), "{prompt}");
    for step in [
        "fetch_model_schema",
        "`steps`",
        "pipelines://guide/steps",
        "output_fields",
        "validate_pipeline",
        "mocks",
        "`calls`",
    ] {
        assert!(prompt.contains(step), "prompt names {step}: {prompt}");
    }
    // The short path, in one line.
    assert!(
        prompt.lines().any(|l| l.contains("`fetch_model_schema`")
            && l.contains("`scaffold_pipeline` with `steps`")
            && l.contains("`run_locally` with mocks")),
        "{prompt}"
    );
}

#[test]
fn fetch_llms_txt_gives_the_digest_once_per_session() {
    let fakes = Fakes::start();
    let doc = fakes.stdio(json!([
        {"op": "call_tool", "name": "fetch_llms_txt", "args": {}},
        {"op": "call_tool", "name": "fetch_llms_txt", "args": {}},
        {"op": "call_tool", "name": "fetch_llms_txt", "args": {"digest": false}},
        {"op": "read_resource", "uri": "pipelines://guide/steps"},
        {"op": "list_resources"},
    ]));
    // The `steps` language the scaffold_pipeline description links to.
    let guide = py::result(&doc, 3)["contents"][0]["text"]
        .as_str()
        .expect("the steps guide")
        .to_owned();
    for part in ["\"pick\"", "\"over\"", "output_fields", "{\"value\":"] {
        assert!(guide.contains(part), "{part}: {guide}");
    }
    assert!(
        py::result(&doc, 4)["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["uri"] == "pipelines://guide/steps"),
        "listed"
    );
    let first = &py::result(&doc, 0)["structuredContent"];
    let digest = first["digest"]["text"].as_str().expect("the digest");
    assert_digest(digest);
    assert_eq!(first["digest"]["rules"], codes().len());
    assert!(py::tool_text(py::result(&doc, 0)).contains(digest.lines().nth(2).unwrap()));
    let second = py::result(&doc, 1);
    assert!(
        second["structuredContent"].get("digest").is_none(),
        "{second}"
    );
    let said = py::tool_text(second);
    assert!(
        said.contains("Rules digest unchanged since this session last read it")
            && !said.contains(digest.lines().nth(2).unwrap()),
        "{said}"
    );
    let without = py::result(&doc, 2);
    assert!(
        py::tool_text(without).contains("digest: false"),
        "{without}"
    );
    // A new session gets it again.
    let again = fakes.stdio(json!([{"op": "call_tool", "name": "fetch_llms_txt", "args": {}}]));
    assert!(py::result(&again, 0)["structuredContent"]["digest"]["text"].is_string());
}

#[test]
fn errata_of_a_self_contradicting_spec_through_get_docs_and_docs_lint() {
    let fakes = Fakes::start();
    fakes.docs.set_body(Doc::Pipelines, PIPELINES_LLMS_ERRATA);
    let sandbox = fakes.sandbox();
    let doc = py::stdio(
        &sandbox,
        json!([
            {"op": "call_tool", "name": "fetch_llms_txt", "args": {}},
            {"op": "call_tool", "name": "get_docs", "args": {"section": "runtime/using-cog-secret-for-api-authentication"}},
            {"op": "call_tool", "name": "get_docs", "args": {"section": "replicate-python-library/async-mode"}},
            {"op": "call_tool", "name": "get_docs", "args": {"section": "instructions"}},
            {"op": "call_tool", "name": "get_docs", "args": {"section": "cog/outputs"}},
            {"op": "call_tool", "name": "get_docs", "args": {"section": "miscellaneous-important-things-to-keep-in-mind"}},
        ]),
    );
    let fetched = &py::result(&doc, 0)["structuredContent"];
    assert_eq!(fetched["errata"]["count"], 4, "{fetched}");
    let sections: Vec<&str> = fetched["errata"]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        sections,
        [
            "instructions",
            "replicate-python-library/async-mode",
            "runtime/using-cog-secret-for-api-authentication",
            "miscellaneous-important-things-to-keep-in-mind"
        ]
    );
    // "you must read fields as output[...]" is enforced by PY020 now: a rule line, not advice.
    let digest = fetched["digest"]["text"].as_str().unwrap();
    assert_digest(digest);
    assert!(
        digest.lines().any(|l| l.starts_with("- PY020")
            && l.ends_with("[miscellaneous-important-things-to-keep-in-mind]")),
        "{digest}"
    );
    assert!(
        !digest.contains("advice: you must read fields"),
        "enforced by PY020: {digest}"
    );
    assert!(
        !digest.contains("advice: Never return"),
        "enforced by PY003: {digest}"
    );

    let secret = py::result(&doc, 1);
    let notes = secret["structuredContent"]["errata"]
        .as_array()
        .expect("notes");
    assert_eq!(notes.len(), 1, "{secret}");
    let note = notes[0].as_str().unwrap();
    assert!(
        note.starts_with("Note:")
            && note.contains("PY003")
            && note.contains("follow `cog/outputs`"),
        "{note}"
    );
    assert!(py::tool_text(secret).contains(note));
    let async_mode = &py::result(&doc, 2)["structuredContent"]["errata"][0];
    assert!(
        async_mode.as_str().unwrap().contains("PY001"),
        "{async_mode}"
    );
    let instructions = &py::result(&doc, 3)["structuredContent"]["errata"][0];
    assert!(
        instructions
            .as_str()
            .unwrap()
            .contains("\"Local Development\""),
        "{instructions}"
    );
    assert!(
        py::result(&doc, 4)["structuredContent"]
            .get("errata")
            .is_none(),
        "no notes where the spec is consistent"
    );

    // The spec's "model files may be used directly as inputs" vs replicate-python, which
    // fails on a list of them: noted where the spec says it, naming PY034.
    let misc = py::result(&doc, 5);
    let note = misc["structuredContent"]["errata"][0]
        .as_str()
        .unwrap_or("");
    assert!(
        note.contains("PY034") && note.contains("[get_path_url(f) for f in files]"),
        "{misc}"
    );
    assert!(py::tool_text(misc).contains(note));

    let lint = cli(&sandbox, &["docs", "lint", "--format", "json"]);
    assert_eq!(lint.code, Some(0), "{}", lint.stderr);
    let lint = lint.json();
    let errata = lint["errata"].as_array().expect("errata");
    assert_eq!(errata.len(), 4, "{lint}");
    let kinds: Vec<(&str, &str)> = errata
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("reference", ""),
            ("example", "PY001"),
            ("example", "PY003"),
            ("library", "PY034")
        ]
    );
    let text = cli(&sandbox, &["docs", "lint"]).stdout;
    assert!(text.contains("4 errata in 4 section(s)"), "{text}");

    // The consistent spec: none.
    fakes.docs.set_body(
        Doc::Pipelines,
        pipelines_test_fakes::docs_host::PIPELINES_LLMS,
    );
    let refresh = cli(
        &sandbox,
        &["docs", "refresh", "--source", "pipelines", "--force"],
    );
    assert_eq!(refresh.code, Some(0), "{}", refresh.stderr);
    let clean = cli(&sandbox, &["docs", "lint", "--format", "json"]).json();
    assert_eq!(clean["errata"], json!([]), "{clean}");
    assert!(
        cli(&sandbox, &["docs", "lint"])
            .stdout
            .contains("no errata")
    );
}

#[test]
fn the_digest_follows_the_spec() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();
    let refresh = cli(&sandbox, &["docs", "refresh"]);
    assert_eq!(refresh.code, Some(0), "{}", refresh.stderr);
    let v1 = cli(&sandbox, &["docs", "rules", "--digest", "--format", "json"]);
    assert_eq!(v1.code, Some(0), "{}", v1.stderr);
    let v1 = v1.json()["text"].as_str().unwrap().to_owned();
    assert_digest(&v1);
    assert!(!v1.contains("numpy"), "{v1}");

    // A new pin in the spec and a new package in the runtime's list change the digest.
    fakes.docs.set_body(Doc::Pipelines, PIPELINES_LLMS_V2);
    fakes.docs.set_body(
        Doc::Runtime,
        &format!("{RUNTIME_REQUIREMENTS}numpy==2.3.1\n"),
    );
    let refresh = cli(&sandbox, &["docs", "refresh"]);
    assert_eq!(refresh.code, Some(0), "{}", refresh.stderr);
    let v2 = cli(&sandbox, &["docs", "rules", "--digest"]).stdout;
    assert_digest(&v2);
    assert!(
        v2.contains("cog>=0.16.0") && v2.contains("numpy==2.3.1"),
        "{v2}"
    );
    assert!(v1.contains("cog>=0.15.3"), "{v1}");
    assert_ne!(v1.trim_end(), v2.trim_end());
}
