//! The rules digest of the fixture spec (what the e2e suite's docs host serves, in every
//! version) is made of whole lines an agent can act on: no line cut short ("…"), no line
//! without its subject (starting with a pronoun), every line ending with its section id,
//! within the cap.

use pipelines_docs_cache::{Rulebook, sections::Sectioned};
use pipelines_test_fakes::docs_host::{PIPELINES_LLMS, PIPELINES_LLMS_ERRATA, PIPELINES_LLMS_V2};
use pipelines_tools::digest::{MAX_DIGEST_CHARS, digest, whole_line_problem};

#[test]
fn every_digest_line_is_whole_and_has_its_subject() {
    for (name, spec) in [
        ("v1", PIPELINES_LLMS),
        ("v2", PIPELINES_LLMS_V2),
        ("errata", PIPELINES_LLMS_ERRATA),
    ] {
        let doc = Sectioned::parse(spec);
        let d = digest(Some(&doc), &Rulebook::defaults(), name);
        if std::env::var_os("SHOW_DIGEST").is_some() {
            println!("{}", d.text);
        }
        assert!(
            d.text.chars().count() <= MAX_DIGEST_CHARS,
            "{name}: {} chars",
            d.text.chars().count()
        );
        assert_eq!(
            d.advice_omitted, 0,
            "{name}: advice left out to fit the cap"
        );
        for line in d.text.lines().filter(|l| l.starts_with("- ")) {
            if let Some(problem) = whole_line_problem(line) {
                panic!("{name}: {problem}: {line}");
            }
        }
    }
}

#[test]
fn a_cut_or_subjectless_line_is_caught() {
    assert!(
        whole_line_problem("- PY031: Avoid a run input whose default is None passed…  [x]")
            .is_some()
    );
    assert!(whole_line_problem("- advice: This will not be logged. [runtime]").is_some());
    assert!(whole_line_problem("- advice: They must be pinned. [runtime]").is_some());
    assert!(whole_line_problem("- PY001: Bind models at module scope. [a/b]").is_none());
}
