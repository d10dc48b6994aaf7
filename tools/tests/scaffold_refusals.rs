//! Refusals that name the fix where the scaffold cannot decide (issue 19 follow-ups):
//! `over.values` that are not literals of the input's type, a model listed twice in
//! `models`, a list into one string input without `join` (no network).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod scaffold_support;

use pipelines_tools::scaffold::{ScaffoldRequest, scaffold};
use scaffold_support::rulebook;

fn req(value: serde_json::Value) -> ScaffoldRequest {
    serde_json::from_value(value).unwrap()
}

fn refusal(value: serde_json::Value) -> String {
    scaffold(&req(value), &rulebook(), &scaffold_support::schemas())
        .unwrap_err()
        .to_string()
}

#[test]
fn over_values_that_are_not_literals_of_the_input_type_are_refused() {
    for values in [
        serde_json::json!([{"input": "first_style"}, {"input": "second_style"}]),
        serde_json::json!([1, 2]),
        serde_json::json!([["plain"]]),
    ] {
        let given = values[0].to_string();
        let err = refusal(serde_json::json!({"steps": [
            {"model": "acme/quick-caption", "id": "captions",
             "inputs": {"image": {"input": "image"}},
             "over": {"input": "style", "values": values}}
        ]}));
        for needle in [
            "step \"captions\"",
            "`style` (str",
            &format!("cannot take {given}"),
            "literals of the input's type (str)",
            "one step per value",
        ] {
            assert!(err.contains(needle), "{needle:?} not in: {err}");
        }
    }
}

#[test]
fn a_step_literal_of_another_type_is_refused() {
    let err = refusal(serde_json::json!({"steps": [
        {"model": "acme/quick-caption",
         "inputs": {"image": {"input": "image"}, "style": {"value": {"a": 1}}}}
    ]}));
    assert!(err.contains("is not a str literal"), "{err}");
}

#[test]
fn over_values_of_the_input_type_still_fan_out() {
    let plan = scaffold(
        &req(serde_json::json!({"steps": [
            {"model": "acme/quick-caption", "id": "captions",
             "inputs": {"image": {"input": "image"}},
             "over": {"input": "style", "values": ["plain", "poetic"]}}
        ]})),
        &rulebook(),
        &scaffold_support::schemas(),
    )
    .unwrap();
    let main = &plan.file_map()["main.py"];
    assert!(main.contains("[\"plain\", \"poetic\"]"), "{main}");
}

#[test]
fn a_model_listed_twice_in_models_is_refused_with_the_steps_to_send() {
    let err = refusal(serde_json::json!({"models": [
        "acme/pixel-forge", "acme/pixel-forge", "shapes/vision-chat"
    ]}));
    for needle in [
        "models[1]: acme/pixel-forge is listed twice",
        "Send `steps`",
        "\"id\": \"first\"",
        "\"id\": \"second\"",
    ] {
        assert!(err.contains(needle), "{needle:?} not in: {err}");
    }
    // A version does not make it another model.
    let err =
        refusal(serde_json::json!({"models": ["acme/pixel-forge", "acme/pixel-forge:abc123"]}));
    assert!(err.contains("listed twice"), "{err}");
}

#[test]
fn steps_with_one_model_twice_make_two_calls() {
    let plan = scaffold(
        &req(serde_json::json!({"steps": [
            {"model": "acme/pixel-forge", "id": "first", "inputs": {"prompt": {"input": "first_prompt"}}},
            {"model": "acme/pixel-forge", "id": "second", "inputs": {"prompt": {"input": "second_prompt"}}}
        ], "output_fields": {"first": "first", "second": "second"}})),
        &rulebook(),
        &scaffold_support::schemas(),
    )
    .unwrap();
    let main = &plan.file_map()["main.py"];
    assert_eq!(main.matches("prompt=first_prompt").count(), 1, "{main}");
    assert_eq!(main.matches("prompt=second_prompt").count(), 1, "{main}");
    assert_eq!(main.matches("replicate.use(").count(), 1, "{main}");
}

fn main_py(value: serde_json::Value) -> (String, Vec<String>) {
    let plan = scaffold(&req(value), &rulebook(), &scaffold_support::schemas())
        .unwrap_or_else(|e| panic!("{e}"));
    (plan.main_py().to_string(), plan.notes.clone())
}

/// `acme/scene-inspector` returns `{answer: str, mask?: Path}`: `mask` may be absent.
#[test]
fn an_optional_field_is_never_picked_automatically() {
    for chain in [
        serde_json::json!({"models": ["acme/scene-inspector", "acme/pixel-forge"]}),
        serde_json::json!({"models": ["acme/pixel-forge", "acme/scene-inspector", "shapes/vision-chat"]}),
    ] {
        let (main, notes) = main_py(chain);
        assert!(!main.contains("_output[\"mask\"]"), "{main}\n{notes:?}");
    }
    // Into a `Path` return: a placeholder that lists the optional field, not a pick.
    let (main, _) =
        main_py(serde_json::json!({"models": ["acme/scene-inspector"], "output": "Path"}));
    assert!(main.contains("TODO("), "{main}");
    assert!(
        !main.contains("return get_path") && !main.contains("return scene"),
        "{main}"
    );
}

/// Optional model inputs are not chained: `reference_images` of pixel-forge is optional.
#[test]
fn automatic_wiring_chains_only_into_required_inputs() {
    let (main, notes) =
        main_py(serde_json::json!({"models": ["acme/upscale.x2", "acme/pixel-forge"]}));
    assert!(!main.contains("reference_images="), "{main}");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("`reference_images`") && n.contains("send `steps`")),
        "{notes:?}"
    );
}
