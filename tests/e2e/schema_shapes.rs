//! `fetch_model_schema` on harder schemas through the real binary: nested output shapes,
//! examples, and the `brief` and `full` detail levels.

use serde_json::json;

use crate::{fakes::Fakes, py, schema_tools::entries, support::cli};

#[test]
fn nested_output_shapes_examples_and_brief_detail() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();
    let doc = py::stdio(
        &sandbox,
        json!([
            {"op": "list_tools"},
            {"op": "call_tool", "name": "fetch_model_schema",
             "args": {"models": ["shapes/transcriber", "shapes/tree-parser"]}},
            {"op": "call_tool", "name": "fetch_model_schema",
             "args": {"models": ["shapes/transcriber", "shapes/embedder", "shapes/any-format"]}},
            {"op": "call_tool", "name": "fetch_model_schema",
             "args": {"models": ["shapes/latent-consistency-model"], "detail": "full"}},
            {"op": "call_tool", "name": "fetch_model_schema",
             "args": {"models": ["shapes/latent-consistency-model"], "detail": "brief"}},
            {"op": "call_tool", "name": "fetch_model_schema",
             "args": {"models": ["acme/pixel-forge"], "detail": "loud"}},
        ]),
    );
    let tools = py::result(&doc, 0);

    // Two models: full text by default, with the whole shape and the model's example.
    let full = py::result(&doc, 1);
    assert!(!py::is_error(full), "{full}");
    py::assert_matches_output_schema(tools, "fetch_model_schema", full);
    assert_eq!(full["structuredContent"]["detail"], "full");
    let text = py::tool_text(full);
    for needle in [
        "output[\"segments\"]: list[dict]",
        "output[\"segments\"][0][\"words\"][0][\"probability\"]: float, may be absent",
        "output[\"language\"]: str",
        "output[\"srt_file\"]: Path (file), may be absent",
        "file fields are Path (URLPath)",
        "The model's example (long values cut):",
        "…[3 more items]",
        "transcriber = replicate.use(\"shapes/transcriber\")",
        "cycle: the same shape as Node above",
    ] {
        assert!(text.contains(needle), "{needle}:\n{text}");
    }
    assert!(!text.contains("hint=hint"), "{text}");
    // Each input once: the signature carries its type, default, choices and bounds; the
    // list only its description; the typing hint only on request.
    assert!(!text.contains("def transcriber_hint("), "{text}");
    assert!(!text.contains("Optional typing help"), "{text}");
    assert!(entries(full)[0]["schema"].get("hint").is_none(), "{full}");
    let transcriber = &entries(full)[0]["schema"];
    let segments = &transcriber["output"]["shape"]["fields"][1];
    assert_eq!(segments["name"], "segments", "{transcriber}");
    assert_eq!(segments["required"], true);
    assert_eq!(
        segments["shape"]["items"]["fields"][3]["shape"]["items"]["fields"][0]["name"],
        "probability"
    );
    assert_eq!(transcriber["example"]["input"]["language"], "auto");
    // No file boilerplate where there are no files.
    let tree = &entries(full)[1]["schema"];
    assert!(
        !tree["output"]["usage"].as_str().unwrap().contains("Path"),
        "{tree}"
    );

    // Three models: brief by default; the shape still whole, in one line each.
    let brief = py::result(&doc, 2);
    assert!(!py::is_error(brief), "{brief}");
    assert_eq!(brief["structuredContent"]["detail"], "brief");
    let text = py::tool_text(brief);
    for needle in [
        "transcriber(audio: Path, language: str=\"auto\" {\"auto\"|\"en\"|\"fr\"|\"de\"}) -> dict",
        "shape: dict{language: str, segments: list[dict{end: float, start: float, text: str, words?: list[dict{probability?: float, word: str}]}], srt_file?: Path}",
        "embedder(texts: str) -> list[list[float]]",
        "any_format(text: str) -> list[str] | Path",
    ] {
        assert!(text.contains(needle), "{needle}:\n{text}");
    }
    assert!(!text.contains("Inputs:"), "{text}");

    // A real 18-input schema: brief is at most half of full.
    let full_text = py::tool_text(py::result(&doc, 3));
    let brief_text = py::tool_text(py::result(&doc, 4));
    assert!(
        brief_text.len() * 2 <= full_text.len(),
        "brief {} chars, full {} chars:\n{brief_text}",
        brief_text.len(),
        full_text.len()
    );
    assert!(
        brief_text.contains("sizing_strategy: str=\"width/height\" {\"width/height\"|"),
        "{brief_text}"
    );

    // A bad detail value is refused, naming the choices.
    let bad = &doc["results"][5];
    let refused = bad.get("error").is_some() || py::is_error(&bad["result"]);
    assert!(refused && bad.to_string().contains("brief"), "{bad}");

    // The CLI: --detail brief.
    let out = cli(
        &sandbox,
        &["schema", "shapes/transcriber", "--detail", "brief"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("shape: dict{language: str"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("Inputs:"), "{}", out.stdout);
}
