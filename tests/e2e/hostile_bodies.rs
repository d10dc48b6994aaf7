//! Huge response bodies from the docs host and the Replicate API (200 MB, streamed without a
//! declared length) are cut at the limit with an error naming it, through the real binary.

use pipelines_test_fakes::{docs_host::Doc, docs_host::Mode, replicate::Fault};

use crate::{fakes::Fakes, support::cli};

const HUGE: u64 = 200 * 1024 * 1024;

#[test]
fn a_huge_docs_body_is_refused_naming_the_limit() {
    let fakes = Fakes::start();
    fakes.docs.set_mode(Doc::Pipelines, Mode::Huge(HUGE));
    let sandbox = fakes.sandbox();
    let run = cli(
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
    let text = format!("{}{}", run.stdout, run.stderr);
    assert!(
        text.contains("larger than the 16 MiB limit"),
        "exit {:?}: {text}",
        run.code
    );
    // The other documents are unaffected.
    let run = cli(&sandbox, &["docs", "refresh", "--source", "cog"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

#[test]
fn a_huge_api_response_is_refused_naming_the_limit() {
    let fakes = Fakes::start();
    fakes
        .replicate
        // Twice: the model and its version list are fetched concurrently and the prefix
        // matches both, so either may take the first fault.
        .inject(
            Fault::huge(HUGE)
                .on_path("/v1/models/acme/chatter-3b")
                .times(2),
        );
    let sandbox = fakes.sandbox();
    let run = cli(&sandbox, &["schema", "acme/chatter-3b", "--format", "json"]);
    let text = format!("{}{}", run.stdout, run.stderr);
    assert!(
        text.contains("larger than the 16 MiB limit"),
        "exit {:?}: {text}",
        run.code
    );
    // The next call is answered normally.
    let run = cli(&sandbox, &["schema", "acme/chatter-3b", "--format", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}
