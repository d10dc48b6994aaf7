//! Sectioning, search and Rulebook extraction on the fixture spec.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pipelines_docs_cache::extract::derive;
use pipelines_docs_cache::search::SearchIndex;
use pipelines_docs_cache::sections::Sectioned;
use pipelines_docs_cache::store::{DocVersion, sha256_hex};
use pipelines_docs_cache::{Rulebook, RulebookOrigin};
use pipelines_test_fakes::docs_host::{
    PIPELINES_LLMS, PIPELINES_LLMS_REWORDED, PIPELINES_LLMS_V2, RUNTIME_REQUIREMENTS,
};

/// The ids of the real spec's sections (the fixture has the same headings).
const EXPECTED_IDS: &[&str] = &[
    "instructions-for-creating-a-replicate-pipeline-model",
    "overview",
    "instructions",
    "requirements",
    "cog",
    "cog/types",
    "cog/inputs",
    "cog/outputs",
    "replicate-python-library",
    "replicate-python-library/efficient-model-usage",
    "replicate-python-library/streaming",
    "replicate-python-library/downloading-file-outputs",
    "replicate-python-library/accessing-outputs-as-https-urls",
    "replicate-python-library/async-mode",
    "replicate-python-library/typing",
    "replicate-python-library/api-reference",
    "replicate-python-library/api-reference/use-function",
    "replicate-python-library/api-reference/function-class",
    "replicate-python-library/api-reference/asyncfunction-class",
    "replicate-python-library/api-reference/run-class",
    "replicate-python-library/api-reference/asyncrun-class",
    "replicate-python-library/api-reference/outputiterator-class",
    "replicate-python-library/api-reference/urlpath-class",
    "replicate-python-library/api-reference/get-path-url-function",
    "model-library",
    "runtime",
    "runtime/handling-unsupported-dependencies",
    "runtime/handling-unsupported-dependencies/step-1-identify-core-functionality",
    "runtime/handling-unsupported-dependencies/step-2-evaluate-api-alternatives",
    "runtime/handling-unsupported-dependencies/step-3-consider-constraints",
    "runtime/handling-unsupported-dependencies/step-4-provide-implementation",
    "runtime/using-cog-secret-for-api-authentication",
    "runtime/using-cog-secret-for-api-authentication/examples-by-service-type",
    "runtime/example-pipelines",
    "miscellaneous-important-things-to-keep-in-mind",
];

fn version(source: &str, body: &str) -> DocVersion {
    DocVersion {
        source: source.to_owned(),
        version: 1,
        url: "http://127.0.0.1/".to_owned(),
        body: body.to_owned(),
        fetched_at: "2026-11-01T00:00:00Z".to_owned(),
        etag: None,
        last_modified: None,
        sha256: sha256_hex(body),
    }
}

#[test]
fn fixture_sections_have_the_spec_ids() {
    let doc = Sectioned::parse(PIPELINES_LLMS);
    let ids: Vec<_> = doc.sections().iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, EXPECTED_IDS);
    let outputs = doc.get("cog/outputs").unwrap();
    assert_eq!(outputs.title, "Outputs");
    assert_eq!(outputs.level, 3);
    let text = doc.text(outputs);
    assert!(text.contains("class Output(BaseModel):"));
    // Code blocks are kept whole, fences included.
    assert_eq!(text.matches("```").count() % 2, 0);
    let outline = doc.outline();
    assert_eq!(outline.len(), EXPECTED_IDS.len());
    let cog = outline.iter().find(|e| e.id == "cog").unwrap();
    let types = outline.iter().find(|e| e.id == "cog/types").unwrap();
    assert!(
        cog.size > types.size,
        "a section's size includes its subsections"
    );
    assert_eq!(
        outline
            .iter()
            .find(|e| e.id == "replicate-python-library/api-reference/use-function")
            .unwrap()
            .title,
        "use() Function"
    );
}

#[test]
fn search_ranks_relevant_sections() {
    let doc = Sectioned::parse(PIPELINES_LLMS);
    let index = SearchIndex::build(&doc);
    let top = |q: &str| index.search(&doc, q, 3)[0].id.clone();
    assert_eq!(
        top("cog.Secret API key authentication"),
        "runtime/using-cog-secret-for-api-authentication"
    );
    assert_eq!(top("dict output Output BaseModel list"), "cog/outputs");
    assert_eq!(
        top("get_path_url URL"),
        "replicate-python-library/api-reference/get-path-url-function"
    );
    let hit = &index.search(&doc, "ffprobe", 3)[0];
    assert_eq!(hit.id, "runtime");
    assert!(hit.snippet.contains("ffprobe"), "{}", hit.snippet);
}

#[test]
fn rulebook_from_the_spec_alone() {
    let spec = version("pipelines", PIPELINES_LLMS);
    let doc = Sectioned::parse(PIPELINES_LLMS);
    let book = derive(Some((&spec, &doc)), None);
    assert!(book.warnings.is_empty(), "{:?}", book.warnings);
    assert!(matches!(book.origin, RulebookOrigin::Cached { .. }));
    assert_eq!(book.cog_requirement.value, ">=0.15.3");
    assert_eq!(book.cog_requirement.source.section, "requirements");
    assert_eq!(book.cog_requirement.source.document, "pipelines");
    assert_eq!(book.replicate_requirement.value, ">=1.1.0b1,<2.0.0a1");
    let pkgs: Vec<_> = book
        .python_packages
        .iter()
        .map(|p| format!("{}{}", p.name, p.specifier))
        .collect();
    assert_eq!(
        pkgs,
        [
            "moviepy",
            "pillow",
            "pydantic<2",
            "requests",
            "scikit-learn"
        ]
    );
    assert!(
        book.python_packages
            .iter()
            .all(|p| p.source.section == "runtime")
    );
    let sys: Vec<_> = book
        .system_packages
        .iter()
        .map(|f| f.value.as_str())
        .collect();
    assert_eq!(sys, ["curl", "ffmpeg", "ffprobe", "imagemagick"]);
    assert_eq!(book.python_version, None);
    // Same facts as the built-in defaults, different provenance.
    let defaults = Rulebook::defaults();
    assert_eq!(book.cog_requirement.value, defaults.cog_requirement.value);
    assert_eq!(book.python_packages.len(), defaults.python_packages.len());
    assert!(
        book.to_text()
            .contains("cog >=0.15.3  [pipelines#requirements]")
    );
}

#[test]
fn rulebook_prefers_the_runtime_list_and_follows_changes() {
    let spec = version("pipelines", PIPELINES_LLMS_V2);
    let doc = Sectioned::parse(PIPELINES_LLMS_V2);
    let runtime = version("runtime", RUNTIME_REQUIREMENTS);
    let book = derive(Some((&spec, &doc)), Some(&runtime));
    assert_eq!(book.cog_requirement.value, ">=0.16.0");
    let pillow = book.python_package("Pillow").unwrap();
    assert_eq!(pillow.specifier, "==11.3.0");
    assert_eq!(pillow.source.document, "runtime");
    assert!(book.python_package("cog").is_none() && book.python_package("replicate").is_none());
    assert_eq!(
        book.python_package("scikit_learn").unwrap().name,
        "scikit-learn"
    );

    let without_runtime = derive(Some((&spec, &doc)), None);
    assert_eq!(
        without_runtime.python_package("numpy").unwrap().specifier,
        "<3"
    );
}

#[test]
fn reworded_spec_degrades_to_defaults_with_warnings() {
    let spec = version("pipelines", PIPELINES_LLMS_REWORDED);
    let doc = Sectioned::parse(PIPELINES_LLMS_REWORDED);
    let book = derive(Some((&spec, &doc)), None);
    let defaults = Rulebook::defaults();
    assert_eq!(book.cog_requirement, defaults.cog_requirement);
    assert_eq!(book.replicate_requirement, defaults.replicate_requirement);
    assert_eq!(book.python_packages, defaults.python_packages);
    assert_eq!(book.system_packages, defaults.system_packages);
    assert!(book.warnings.len() >= 3, "{:?}", book.warnings);
    assert!(book.warnings.iter().any(|w| w.contains("`cog`")));
    assert!(book.to_text().contains("warning:"));
}

#[test]
fn garbage_never_panics() {
    for body in [
        "",
        "\0\0\0",
        "## Requirements\n\n`cog >= ???`\n",
        "## Runtime\n\n```\n@@@\n```\n- ``\n",
        "#\n##\n###\n",
    ] {
        let spec = version("pipelines", body);
        let doc = Sectioned::parse(body);
        let book = derive(Some((&spec, &doc)), Some(&version("runtime", body)));
        assert_eq!(book.cog_requirement.value, ">=0.15.3");
    }
}

#[test]
fn nothing_cached_is_defaults() {
    let book = derive(None, None);
    assert_eq!(book, Rulebook::defaults());
    assert!(book.is_defaults());
    assert!(book.to_text().contains("built-in defaults"));
}
