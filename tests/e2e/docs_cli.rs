//! The `docs` CLI verbs of the real binary with `--format json`: refresh, show, search, diff
//! and rules.

use pipelines_test_fakes::docs_host::Doc;
use serde_json::json;

use crate::{
    docs_tools::{outline_ids, strings},
    fakes::Fakes,
    support::cli,
};

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
