//! Writing a scaffold: never clobbering, diffs, dry runs, identical files, inline mode.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod scaffold_support;

use pipelines_tools::scaffold::{
    FileStatus, OutputChoice, ScaffoldError, ScaffoldPlan, ScaffoldReport, ScaffoldRequest,
    WriteError, apply, inline, models_needing_schemas, scaffold,
};
use pipelines_tools::schema::Schemas;
use scaffold_support::{image_inputs, input, request, rulebook, schemas};

fn plan() -> ScaffoldPlan {
    let req = request(&["acme/pixel-forge", "acme/quick-caption"], None, None);
    scaffold(&req, &rulebook(), &schemas()).unwrap()
}

fn statuses(report: &ScaffoldReport) -> Vec<(&str, FileStatus)> {
    report
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.status))
        .collect()
}

fn read(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn creates_the_directory_and_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new").join("pipeline");
    let plan = plan();
    let report = apply(&plan, &dir, false, false).unwrap();
    assert_eq!(
        statuses(&report),
        [
            ("cog.yaml", FileStatus::Created),
            ("requirements.txt", FileStatus::Created),
            ("main.py", FileStatus::Created),
            ("README.md", FileStatus::Created),
        ]
    );
    for f in &plan.files {
        assert_eq!(read(&dir, &f.path), f.content);
    }
    assert!(
        report
            .files
            .iter()
            .all(|f| f.diff.is_none() && f.content.is_none())
    );
    // No temporary files are left behind.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["README.md", "cog.yaml", "main.py", "requirements.txt"]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("main.py"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o644, 0o644, "{mode:o}");
    }
}

#[test]
fn identical_files_are_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan();
    apply(&plan, tmp.path(), false, false).unwrap();
    let again = apply(&plan, tmp.path(), false, false).unwrap();
    assert!(
        again
            .files
            .iter()
            .all(|f| f.status == FileStatus::Unchanged && f.diff.is_none())
    );
    let dry = apply(&plan, tmp.path(), false, true).unwrap();
    assert!(dry.files.iter().all(|f| f.status == FileStatus::Unchanged));
}

#[test]
fn edited_files_are_never_clobbered_and_come_back_as_diffs() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan();
    apply(&plan, tmp.path(), false, false).unwrap();
    let edited =
        read(tmp.path(), "main.py").replace("return quick_caption_output", "return \"mine\"");
    std::fs::write(tmp.path().join("main.py"), &edited).unwrap();
    std::fs::remove_file(tmp.path().join("README.md")).unwrap();

    let report = apply(&plan, tmp.path(), false, false).unwrap();
    assert_eq!(
        statuses(&report),
        [
            ("cog.yaml", FileStatus::Unchanged),
            ("requirements.txt", FileStatus::Unchanged),
            ("main.py", FileStatus::SkippedExists),
            ("README.md", FileStatus::Created),
        ]
    );
    assert_eq!(
        read(tmp.path(), "main.py"),
        edited,
        "the user's edit survives"
    );
    let diff = report.files[2].diff.as_deref().unwrap();
    insta::assert_snapshot!("skipped_main_py_diff", diff);
    insta::assert_snapshot!(
        "skipped_report_text",
        report
            .to_text()
            .replace(&tmp.path().display().to_string(), "<dir>")
    );
}

#[test]
fn overwrite_replaces_differing_files_keeping_their_permissions() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan();
    std::fs::write(tmp.path().join("main.py"), "print('old')\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(
            tmp.path().join("main.py"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    let report = apply(&plan, tmp.path(), true, false).unwrap();
    assert_eq!(report.files[2].status, FileStatus::Updated);
    assert!(
        report.files[2]
            .diff
            .as_deref()
            .unwrap()
            .contains("-print('old')")
    );
    assert_eq!(read(tmp.path(), "main.py"), plan.files[2].content);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(tmp.path().join("main.py"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn dry_run_writes_nothing_and_returns_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan();
    std::fs::write(tmp.path().join("cog.yaml"), "predict: main.py:run\n").unwrap();

    let report = apply(&plan, tmp.path(), false, true).unwrap();
    assert!(report.dry_run);
    assert_eq!(
        statuses(&report),
        [
            ("cog.yaml", FileStatus::SkippedExists),
            ("requirements.txt", FileStatus::WouldCreate),
            ("main.py", FileStatus::WouldCreate),
            ("README.md", FileStatus::WouldCreate),
        ]
    );
    assert!(report.files.iter().all(|f| f.content.is_some()));
    assert!(
        report.files[0]
            .diff
            .as_deref()
            .unwrap()
            .contains("-predict: main.py:run")
    );
    let overwrite = apply(&plan, tmp.path(), true, true).unwrap();
    assert_eq!(overwrite.files[0].status, FileStatus::WouldUpdate);
    assert!(overwrite.files[0].diff.is_some());
    // Nothing was written: the directory still holds only the original cog.yaml.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    assert_eq!(read(tmp.path(), "cog.yaml"), "predict: main.py:run\n");

    let missing = tmp.path().join("not-yet");
    let report = apply(&plan, &missing, false, true).unwrap();
    assert!(
        report
            .files
            .iter()
            .all(|f| f.status == FileStatus::WouldCreate)
    );
    assert!(!missing.exists(), "a dry run does not create the directory");
}

#[test]
fn a_file_in_place_of_the_directory_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("f");
    std::fs::write(&file, "x").unwrap();
    let err = apply(&plan(), &file, false, false).unwrap_err();
    assert!(matches!(err, WriteError::NotADirectory { .. }), "{err}");
}

#[test]
fn inline_mode_returns_the_files() {
    let plan = plan();
    let report = inline(&plan);
    assert!(report.dir.is_none() && report.dry_run);
    assert_eq!(report.files.len(), 4);
    for (f, p) in report.files.iter().zip(&plan.files) {
        assert_eq!(f.status, FileStatus::WouldCreate);
        assert_eq!(f.content.as_deref(), Some(p.content.as_str()));
    }
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["files"][2]["path"], "main.py");
    assert_eq!(json["files"][2]["status"], "would_create");
    assert!(
        report
            .to_text()
            .contains("--- main.py ---\n\"\"\"test-pipeline")
    );
}

#[test]
fn request_json_is_the_issue_contract() {
    let req: ScaffoldRequest = serde_json::from_value(serde_json::json!({
        "path": "demo",
        "name": "demo",
        "description": "Draws then captions.",
        "models": ["acme/pixel-forge", "acme/quick-caption"],
        "inputs": [{"name": "prompt", "type": "str", "description": "What to draw."}],
        "output": "list[Path]",
        "overwrite": true,
        "dry_run": true
    }))
    .unwrap();
    assert_eq!(req.output, Some(OutputChoice::PathList));
    assert_eq!(req.inputs.as_ref().unwrap()[0].python_type, "str");
    for output in ["str", "Path", "Output"] {
        let r: ScaffoldRequest =
            serde_json::from_value(serde_json::json!({ "output": output })).unwrap();
        assert_eq!(r.output.unwrap().as_str(), output);
    }
    let unknown = serde_json::from_value::<ScaffoldRequest>(serde_json::json!({"modles": []}));
    assert!(unknown.unwrap_err().to_string().contains("unknown field"));
    let bad_output =
        serde_json::from_value::<ScaffoldRequest>(serde_json::json!({"output": "dict"}));
    assert!(bad_output.is_err());
    let schema = serde_json::to_value(schemars::schema_for!(ScaffoldRequest)).unwrap();
    insta::assert_json_snapshot!("request_schema", schema);
}

#[test]
fn models_needing_schemas_lists_only_uncached_valid_refs() {
    let cached: Schemas = [scaffold_support::fixture_schema("acme/pixel-forge")]
        .into_iter()
        .collect();
    let req = request(
        &[
            "acme/pixel-forge",
            "acme/quick-caption:abc123",
            "acme/quick-caption",
            "bad ref",
            "x/y",
        ],
        None,
        None,
    );
    // A pinned reference needs its own version's schema; a plain one the latest.
    let needed: Vec<String> = models_needing_schemas(&req, &cached)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        needed,
        ["acme/quick-caption:abc123", "acme/quick-caption", "x/y"]
    );
}

#[test]
fn refusals_name_the_field_and_the_fix() {
    let rb = rulebook();
    let all = schemas();
    let err = scaffold(&request(&["acme/nope"], None, None), &rb, &all).unwrap_err();
    assert!(matches!(err, ScaffoldError::MissingSchema { .. }));
    assert!(err.to_string().contains("fetch_model_schema"), "{err}");
    let err = scaffold(&request(&["acme"], None, None), &rb, &all).unwrap_err();
    assert!(err.to_string().starts_with("models[0]"), "{err}");
    let bad_type = Some(vec![input("prompt", "dict", "x")]);
    let err = scaffold(&request(&[], bad_type, None), &rb, &all).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("inputs[0] (prompt): type `dict`"),
        "{err}"
    );
    let mut inputs = image_inputs();
    inputs.push(input("prompt", "str", "again"));
    let err = scaffold(&request(&[], Some(inputs), None), &rb, &all).unwrap_err();
    assert!(err.to_string().contains("same name"), "{err}");
}
