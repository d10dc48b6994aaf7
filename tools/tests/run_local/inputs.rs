//! A run's inputs: bad ones rejected by cog (422) or caught before anything runs when the
//! signature is known; file inputs sent, and file lists coming back as files.

use std::path::Path;

use pipelines_tools::run_local::{
    CancellationToken, PythonSearch, RunError, RunParam, RunRequest, RunSignature, parse_kv_inputs,
    run_locally,
};
use serde_json::json;

use crate::{config, fixture, inputs};

#[tokio::test]
async fn bad_inputs_are_rejected_by_the_server_with_422() {
    let request = RunRequest::new(
        fixture("trivial"),
        inputs(json!({"word": "x", "times": "many"})),
    );
    let err = run_locally(request, &config(), None, CancellationToken::new())
        .await
        .unwrap_err();
    let RunError::InputRejected { problems } = &err else {
        panic!("expected a 422, got {err}")
    };
    assert!(problems.iter().any(|p| p.contains("times")), "{problems:?}");
}

#[tokio::test]
async fn bad_inputs_are_caught_before_anything_runs_when_the_signature_is_known() {
    let mut config = config();
    // Proves nothing was started: no Python could have been found.
    config.python = PythonSearch {
        explicit: Some("/nonexistent/python3".into()),
        ..PythonSearch::default()
    };
    let signature = RunSignature {
        params: vec![
            RunParam {
                name: "word".into(),
                python_type: "str".into(),
                required: true,
                choices: None,
            },
            RunParam {
                name: "times".into(),
                python_type: "int".into(),
                required: false,
                choices: None,
            },
        ],
    };
    let parsed = parse_kv_inputs(&["times=3", "wrd=x"], Some(&signature), Path::new(".")).unwrap();
    let mut request = RunRequest::new(fixture("trivial"), parsed);
    request.signature = Some(signature);
    let err = run_locally(request, &config, None, CancellationToken::new())
        .await
        .unwrap_err();
    let RunError::InvalidInputs { problems } = &err else {
        panic!("expected InvalidInputs, got {err}")
    };
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`wrd`") && p.contains("did you mean `word`")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("`word` is required")),
        "{problems:#?}"
    );
}

#[tokio::test]
async fn file_inputs_are_sent_and_file_lists_come_back_as_files() {
    let signature = RunSignature {
        params: vec![
            RunParam {
                name: "document".into(),
                python_type: "cog.Path".into(),
                required: true,
                choices: None,
            },
            RunParam {
                name: "copies".into(),
                python_type: "int".into(),
                required: false,
                choices: None,
            },
            RunParam {
                name: "shout".into(),
                python_type: "bool".into(),
                required: false,
                choices: None,
            },
        ],
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("note.txt"), "quiet words").unwrap();
    let parsed = parse_kv_inputs(
        &["document=@note.txt", "copies=3", "shout=true"],
        Some(&signature),
        dir.path(),
    )
    .unwrap();
    assert_eq!(
        parsed["document"],
        json!(dir.path().join("note.txt").display().to_string())
    );
    let mut request = RunRequest::new(fixture("files"), parsed);
    request.signature = Some(signature);
    request.output_dir = Some(dir.path().join("out"));
    let result = run_locally(request, &config(), None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.status.as_str(), "succeeded", "{}", result.to_text());
    assert_eq!(result.files.len(), 3);
    for (i, file) in result.files.iter().enumerate() {
        assert_eq!(
            std::fs::read_to_string(file).unwrap(),
            format!("{i}: QUIET WORDS")
        );
        assert_eq!(result.output[i], json!(file.display().to_string()));
    }
    assert!(
        result
            .to_text()
            .contains(&result.files[2].display().to_string())
    );
}
