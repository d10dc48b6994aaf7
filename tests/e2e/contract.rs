//! The contract agents see: `tools/list` (names, descriptions, annotations, input and output
//! schemas) and `prompts/list`, as the Python SDK receives them from the real binary, kept as
//! insta snapshots so any change shows in review.

use serde_json::{Value, json};

use crate::{py, support::Sandbox};

const TOOLS: [&str; 7] = [
    "fetch_llms_txt",
    "get_docs",
    "fetch_model_schema",
    "search_models",
    "validate_pipeline",
    "scaffold_pipeline",
    "run_locally",
];

fn sorted_by_name(list: &Value) -> Vec<Value> {
    let mut items = list.as_array().expect("a list").clone();
    items.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    items
}

/// What an MCP host loads into every session: the whole `tools/list`, output schemas
/// included, in characters of compact JSON.
const TOOLS_LIST_CAP: usize = 14_000;
/// A tool description says what the tool is for and when to call it; details live in the
/// parameter descriptions, `get_docs` or a resource.
const DESCRIPTION_CAP: usize = 600;

/// The tool list stays under the cap, and every schema is flat: hosts that do not resolve
/// `$ref` still see each enum and each field.
fn assert_small_and_flat(tools: &[Value]) {
    let total = serde_json::to_string(tools).unwrap().chars().count();
    assert!(
        total <= TOOLS_LIST_CAP,
        "tools/list is {total} chars (cap {TOOLS_LIST_CAP}): shorten descriptions or schemas"
    );
    for tool in tools {
        let name = &tool["name"];
        let description = tool["description"].as_str().unwrap();
        assert!(
            description.chars().count() <= DESCRIPTION_CAP,
            "{name}: a {}-char description",
            description.chars().count()
        );
        for key in ["inputSchema", "outputSchema"] {
            let schema = tool[key].to_string();
            for nested in ["$ref", "$defs", "definitions"] {
                assert!(
                    !schema.contains(nested),
                    "{name} {key} has {nested}: {schema}"
                );
            }
        }
        for (param, spec) in tool["inputSchema"]["properties"].as_object().unwrap() {
            let said = spec["description"].as_str().unwrap_or_default();
            let second_sentence = said
                .split(". ")
                .skip(1)
                .any(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()));
            assert!(
                !said.is_empty() && !second_sentence,
                "{name}.{param}: one sentence, got {said:?}"
            );
        }
    }
}

#[test]
fn tools_and_prompts_lists_match_the_snapshots() {
    let doc = py::stdio(
        &Sandbox::new(),
        json!([{"op": "list_tools"}, {"op": "list_prompts"}]),
    );
    let tools = sorted_by_name(&py::result(&doc, 0)["tools"]);

    let mut names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    let mut expected = TOOLS.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected, "the tool names are a contract");

    for tool in &tools {
        let name = &tool["name"];
        assert!(
            tool["description"].as_str().is_some_and(|d| d.len() > 40),
            "{name} is described"
        );
        for hint in [
            "readOnlyHint",
            "destructiveHint",
            "idempotentHint",
            "openWorldHint",
        ] {
            assert!(
                tool["annotations"][hint].is_boolean(),
                "{name} sets {hint} explicitly: {}",
                tool["annotations"]
            );
        }
        assert_eq!(tool["inputSchema"]["type"], "object", "{name}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{name}");
    }

    assert_small_and_flat(&tools);
    insta::assert_json_snapshot!("tools_list", tools);
    insta::assert_json_snapshot!(
        "prompts_list",
        sorted_by_name(&py::result(&doc, 1)["prompts"])
    );
}
