//! The `schema` and `search` CLI verbs of the real binary, against the fake Replicate API.

use crate::{fakes::Fakes, support::cli};

#[test]
fn schema_and_search_cli_verbs() {
    let fakes = Fakes::start();
    let sandbox = fakes.sandbox();

    let json_out = cli(&sandbox, &["schema", "acme/chatter-3b", "--format", "json"]);
    assert_eq!(json_out.code, Some(0), "{}", json_out.stderr);
    let report = json_out.json();
    let schema = &report["results"][0]["schema"];
    assert_eq!(report["results"][0]["ref"], "acme/chatter-3b");
    assert_eq!(schema["output"]["kind"], "concatenated_string", "{report}");
    assert!(
        schema["signature"]
            .as_str()
            .unwrap()
            .starts_with("def chatter_3b(")
    );
    assert!(
        schema["hint"]
            .as_str()
            .unwrap()
            .starts_with("def chatter_3b_hint(")
    );
    assert_eq!(schema["from_cache"], false);

    // Text: the signature, the inputs and the hint; a cache hit the second time.
    let text = cli(&sandbox, &["schema", "acme/chatter-3b"]);
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    for needle in [
        "def chatter_3b(",
        "Inputs:",
        "    prompt: str,",
        "Optional typing help",
        "from cache",
    ] {
        assert!(text.stdout.contains(needle), "{needle}: {}", text.stdout);
    }

    // Any failure: exit 1, the good ones still printed.
    let partial = cli(
        &sandbox,
        &[
            "schema",
            "acme/pixel-forge",
            "acme/nope",
            "--format",
            "json",
        ],
    );
    assert_eq!(partial.code, Some(1), "{}", partial.stderr);
    let report = partial.json();
    assert_eq!(
        report["results"][0]["schema"]["output"]["python_type"],
        "list[Path]"
    );
    assert!(
        report["results"][1]["error"]
            .as_str()
            .unwrap()
            .contains("search_models")
    );

    let search = cli(&sandbox, &["search", "caption", "--format", "json"]);
    assert_eq!(search.code, Some(0), "{}", search.stderr);
    let found = search.json();
    assert_eq!(found["query"], "caption");
    assert_eq!(found["models"][0]["ref"], "acme/quick-caption", "{found}");
    let text = cli(&sandbox, &["search", "caption"]);
    assert!(
        text.stdout.contains("acme/quick-caption"),
        "{}",
        text.stdout
    );
}
