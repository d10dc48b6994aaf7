//! Kept parses (a file's parse is kept by path and text and shared by later validations,
//! issue 24) never answer for another text or path: one long-running host validates a
//! project, edits of each of its files, the original again, and the same text under another
//! name, and every answer is the one that project gets from a fresh process.

use serde_json::{Value, json};

use crate::{fakes::Fakes, raw_http::Request, support::HttpServer};

const COG_YAML: &str =
    "build:\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n";
const REQUIREMENTS: &str = "replicate>=1.1.0b1,<2.0.0a1\n";
/// PY003 (`-> dict`, line 4).
const MAIN: &str =
    "import replicate\n\n\ndef run(text: str) -> dict:\n    return {\"text\": text}\n";
/// The same without PY003.
const MAIN_FIXED: &str = "import replicate\n\n\ndef run(text: str) -> str:\n    return text\n";

fn project(cog_yaml: &str, requirements: &str, main_name: &str, main_py: &str) -> Value {
    json!({"files": {
        "cog.yaml": cog_yaml,
        "requirements.txt": requirements,
        main_name: main_py,
    }})
}

/// The diagnostics of a validation, as (code, file, line).
fn findings(server: &HttpServer, args: &Value) -> Vec<(String, String, u64)> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "validate_pipeline", "arguments": args}});
    let resp = Request::post_json("/mcp", &body).send(server.addr);
    assert_eq!(resp.status, 200, "{}", resp.text());
    let answer = resp.json();
    let result = &answer["result"];
    assert_eq!(result["isError"], false, "{answer}");
    result["structuredContent"]["diagnostics"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["file"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

fn has(found: &[(String, String, u64)], code: &str, file: &str) -> bool {
    found.iter().any(|(c, f, _)| c == code && f == file)
}

#[test]
fn kept_parses_answer_only_for_their_own_path_and_text() {
    let fakes = Fakes::start();
    let host = HttpServer::start_in(fakes.sandbox(), &[]);
    let other_cog = COG_YAML.replace("main.py:run", "pipeline.py:run");
    let cases = [
        project(COG_YAML, REQUIREMENTS, "main.py", MAIN),
        project(COG_YAML, REQUIREMENTS, "main.py", MAIN_FIXED),
        project(COG_YAML, "replicate==0.34.1\n", "main.py", MAIN),
        project(
            "build:\n  gpu: true\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n",
            REQUIREMENTS,
            "main.py",
            MAIN,
        ),
        project(&other_cog, REQUIREMENTS, "pipeline.py", MAIN),
    ];
    // Each case in a process that has seen nothing, then all of them twice in one host.
    let fresh: Vec<_> = cases
        .iter()
        .map(|args| {
            let server = HttpServer::start_in(fakes.sandbox(), &[]);
            findings(&server, args)
        })
        .collect();
    for round in 0..2 {
        for (args, expected) in cases.iter().zip(&fresh) {
            assert_eq!(&findings(&host, args), expected, "round {round}: {args}");
        }
    }
    // The cases differ where their files differ.
    assert!(has(&fresh[0], "PY003", "main.py"), "{:?}", fresh[0]);
    assert!(!has(&fresh[1], "PY003", "main.py"), "{:?}", fresh[1]);
    assert!(
        has(&fresh[2], "REQ002", "requirements.txt"),
        "{:?}",
        fresh[2]
    );
    assert!(
        !has(&fresh[0], "REQ002", "requirements.txt"),
        "{:?}",
        fresh[0]
    );
    assert!(has(&fresh[3], "COG005", "cog.yaml"), "{:?}", fresh[3]);
    assert!(!has(&fresh[0], "COG005", "cog.yaml"), "{:?}", fresh[0]);
    assert!(has(&fresh[4], "PY003", "pipeline.py"), "{:?}", fresh[4]);
    assert!(!has(&fresh[4], "PY003", "main.py"), "{:?}", fresh[4]);
}
