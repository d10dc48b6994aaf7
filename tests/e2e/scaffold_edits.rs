//! `scaffold_pipeline` over a project the user edited, through the real binary: edits are
//! kept and reported with a diff until `overwrite`, and a `dry_run` writes nothing.

use serde_json::json;

use crate::{
    fakes::Fakes,
    py,
    scaffold_tools::{IMAGE, LLM, PROJECT_FILES, all_with, call, file, read, report, statuses},
};

#[test]
fn edits_are_kept_with_a_diff_until_overwrite_and_dry_runs_write_nothing() {
    let fakes = Fakes::start();
    let work = tempfile::tempdir().unwrap();
    let args = json!({"path": "proj", "models": [LLM]});
    let doc = py::stdio_in(
        &fakes.sandbox(),
        work.path(),
        json!([call("scaffold_pipeline", args.clone())]),
    );
    assert_eq!(statuses(report(&doc, 0)), all_with("created"));
    let dir = work.path().join("proj");
    let generated = read(&dir, "main.py");
    let edited = generated.replacen("import replicate", "import replicate  # my edit", 1);
    assert_ne!(edited, generated, "main.py imports replicate:\n{generated}");
    let edited = format!("{edited}\n# a note of mine\n");
    std::fs::write(dir.join("main.py"), &edited).unwrap();

    let mut overwrite = args.clone();
    overwrite["overwrite"] = json!(true);
    let mut dry = args.clone();
    dry["dry_run"] = json!(true);
    let fresh = json!({"path": "fresh", "models": [IMAGE], "dry_run": true});
    let doc = py::stdio_in(
        &fakes.sandbox(),
        work.path(),
        json!([
            call("scaffold_pipeline", args.clone()),
            call("scaffold_pipeline", dry.clone()),
            call("scaffold_pipeline", fresh),
        ]),
    );

    // Not clobbered: skipped, with a diff back to the generated file.
    let kept = report(&doc, 0);
    let main = file(kept, "main.py");
    assert_eq!(main["status"], "skipped_exists", "{kept:#}");
    let diff = main["diff"]
        .as_str()
        .expect("a skipped file carries a diff");
    assert!(diff.contains("-import replicate  # my edit"), "{diff}");
    assert!(diff.contains("+import replicate"), "{diff}");
    assert!(diff.contains("-# a note of mine"), "{diff}");
    for other in ["cog.yaml", "requirements.txt", "README.md"] {
        assert_eq!(file(kept, other)["status"], "unchanged", "{kept:#}");
    }
    assert_eq!(read(&dir, "main.py"), edited, "the edit is untouched");
    let said = py::tool_text(py::result(&doc, 0));
    assert!(
        said.contains("overwrite"),
        "the text says how to apply: {said}"
    );
    // The would-be main.py in full, in the result and its text: no extra call to see it.
    assert_eq!(kept["main_py"], json!(generated), "{kept:#}");
    assert!(
        said.contains("main.py as generated") && said.contains(generated.trim_end()),
        "the text holds the generated main.py: {said}"
    );

    // A dry run over the edit reports the same and writes nothing.
    let dry_report = report(&doc, 1);
    assert_eq!(dry_report["dry_run"], true);
    assert_ne!(file(dry_report, "main.py")["status"], "updated");
    assert!(file(dry_report, "main.py")["diff"].is_string());
    assert_eq!(read(&dir, "main.py"), edited);

    // A dry run into a new directory returns every file and creates nothing.
    let fresh_report = report(&doc, 2);
    assert_eq!(statuses(fresh_report), all_with("would_create"));
    for f in PROJECT_FILES {
        assert!(
            file(fresh_report, f)["content"]
                .as_str()
                .is_some_and(|c| !c.is_empty()),
            "{f}: {fresh_report:#}"
        );
    }
    assert!(!work.path().join("fresh").exists(), "dry run wrote nothing");

    // overwrite: true applies the generated file.
    let mut dry_overwrite = overwrite.clone();
    dry_overwrite["dry_run"] = json!(true);
    let doc = py::stdio_in(
        &fakes.sandbox(),
        work.path(),
        json!([call("scaffold_pipeline", dry_overwrite)]),
    );
    let would = report(&doc, 0);
    assert_eq!(
        file(would, "main.py")["status"],
        "would_update",
        "{would:#}"
    );
    assert_eq!(
        read(&dir, "main.py"),
        edited,
        "a dry run with overwrite writes nothing"
    );
    let doc = py::stdio_in(
        &fakes.sandbox(),
        work.path(),
        json!([
            call("scaffold_pipeline", overwrite),
            call("scaffold_pipeline", args),
        ]),
    );
    let applied = report(&doc, 0);
    assert_eq!(file(applied, "main.py")["status"], "updated", "{applied:#}");
    assert_eq!(applied["main_py"], json!(generated), "{applied:#}");
    let said = py::tool_text(py::result(&doc, 0));
    assert!(
        said.contains("--- main.py ---") && said.contains(generated.trim_end()),
        "the text holds the new main.py next to its diff: {said}"
    );
    assert!(file(applied, "main.py")["diff"].is_string());
    assert_eq!(read(&dir, "main.py"), generated);
    assert_eq!(statuses(report(&doc, 1)), all_with("unchanged"));
}
