//! What the pipeline printed (`logs`) apart from what the harness printed (`harness_logs`):
//! cog's own records and warnings, the server's chatter, warnings raised inside installed
//! packages (e.g. cog's `ExperimentalFeatureWarning`).

use super::server::pipeline_line;

/// The two kinds of text of a run.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct SplitLogs {
    pub(crate) pipeline: String,
    pub(crate) harness: String,
}

/// Splits the prediction's `logs` (empty with coglet when it failed: then the pipeline's
/// lines are taken from the server output) and the server's own output.
pub(crate) fn split(prediction_logs: &str, server_output: &str) -> SplitLogs {
    let mut out = SplitLogs::default();
    let from_server = prediction_logs.trim().is_empty();
    if !from_server {
        classify_lines(prediction_logs.lines(), &mut out);
    }
    for line in server_output.lines().filter(|l| !l.starts_with("--- ")) {
        match pipeline_line(line) {
            Some(text) if from_server => classify_lines(std::iter::once(text.as_str()), &mut out),
            Some(_) => {}
            None if line.trim().is_empty() => {}
            None => push(&mut out.harness, line),
        }
    }
    out
}

fn classify_lines<'a>(lines: impl Iterator<Item = &'a str>, out: &mut SplitLogs) {
    let mut after_warning = false;
    for line in lines {
        // Python's warnings module prints the offending source line, indented, next.
        let continuation = after_warning && line.starts_with("  ");
        after_warning = false;
        if continuation {
            push(&mut out.harness, line);
        } else if is_harness_warning(line) {
            push(&mut out.harness, line);
            after_warning = true;
        } else {
            push(&mut out.pipeline, line);
        }
    }
}

/// `…/site-packages/x.py:12: SomeWarning: …`, and anything naming cog's experimental warning.
fn is_harness_warning(line: &str) -> bool {
    if line.contains("ExperimentalFeatureWarning") {
        return true;
    }
    line.contains("/site-packages/")
        && line
            .split(": ")
            .nth(1)
            .is_some_and(|category| category.ends_with("Warning"))
}

fn push(text: &mut String, line: &str) {
    text.push_str(line);
    text.push('\n');
}

/// An error message said once: `Prediction failed: Prediction failed: x` → `Prediction failed: x`.
pub(crate) fn said_once(error: &str) -> String {
    let mut text = error.trim();
    while let Some((head, rest)) = text.split_once(": ") {
        let rest = rest.trim_start();
        if rest.starts_with(&format!("{head}: ")) || rest == head {
            text = rest;
        } else {
            break;
        }
    }
    // The whole message repeated on two lines.
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() == 2 && lines[0].trim() == lines[1].trim() {
        return lines[0].trim().to_owned();
    }
    text.to_owned()
}

/// What follows the last `Traceback (most recent call last):` in `logs`.
fn last_traceback(logs: &str) -> Option<&str> {
    logs.rsplit_once("Traceback (most recent call last):")
        .map(|(_, last)| last)
}

/// The exception line of the last traceback in `logs` when `error` is only its message
/// (cog before 0.17 reports `'b'` for `KeyError: 'b'`).
pub(crate) fn with_exception_type(error: &str, logs: &str) -> Option<String> {
    let last = last_traceback(logs)?;
    let suffix = format!(": {error}");
    last.lines().map(str::trim).find_map(|line| {
        let name = line.strip_suffix(&suffix)?;
        let is_name = !name.is_empty()
            && name.split('.').all(|part| {
                !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_')
            });
        is_name.then(|| line.to_owned())
    })
}

/// Where the last traceback in `logs` was raised, in the project when a frame is there
/// (its paths are relative): `main.py line 5, in helper`. Library frames below it (the
/// client raising for a 422) are how it failed, not where the pipeline went wrong.
pub(crate) fn raise_site(logs: &str) -> Option<String> {
    let last = last_traceback(logs)?;
    let frames: Vec<(&str, String)> = last
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("File \"")?;
            let (file, rest) = rest.split_once("\", line ")?;
            let (line_no, func) = rest.split_once(", in ")?;
            Some((file, format!("{file} line {line_no}, in {}", func.trim())))
        })
        .collect();
    let in_project = |file: &str| !file.starts_with('/') && !file.starts_with('<');
    frames
        .iter()
        .rev()
        .find(|(file, _)| in_project(file))
        .or(frames.last())
        .map(|(_, site)| site.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cog_warnings_go_to_the_harness() {
        let logs = "step one\n/venv/lib/python3.13/site-packages/cog/server/scope.py:21: ExperimentalFeatureWarning: current_scope is an experimental internal function.\n  warnings.warn(\nstep two\n  indented output of the pipeline\n";
        let split = split(logs, "");
        assert_eq!(
            split.pipeline,
            "step one\nstep two\n  indented output of the pipeline\n"
        );
        assert!(split.harness.contains("ExperimentalFeatureWarning"));
        assert!(split.harness.contains("warnings.warn("));
    }

    #[test]
    fn server_records_are_harness_and_coglet_lines_fill_empty_logs() {
        let server = concat!(
            r#"{"level":"INFO","fields":{"message":"Starting prediction"},"target":"coglet::prediction"}"#,
            "\n",
            r#"{"level":"INFO","fields":{"message":"drawing","source":"Stdout"},"target":"coglet::prediction"}"#,
            "\n"
        );
        let split = split("", server);
        assert_eq!(split.pipeline, "drawing\n");
        assert!(split.harness.contains("Starting prediction"));
        // With the prediction's own logs, the server's copy of the pipeline lines is dropped.
        let split = super::split("drawing\n", server);
        assert_eq!(split.pipeline, "drawing\n");
        assert!(!split.harness.contains("drawing"));
    }

    #[test]
    fn errors_are_said_once() {
        assert_eq!(
            said_once("Prediction failed: Prediction failed: out of credit"),
            "Prediction failed: out of credit"
        );
        assert_eq!(
            said_once("ValueError: bad: worse"),
            "ValueError: bad: worse"
        );
        assert_eq!(said_once("boom\nboom"), "boom");
    }

    #[test]
    fn the_raise_site_is_the_last_frame_of_the_last_traceback() {
        let logs = "x\nTraceback (most recent call last):\n  File \"main.py\", line 3, in run\n    a()\nValueError: old\nTraceback (most recent call last):\n  File \"main.py\", line 10, in run\n    return helper(1)\n  File \"lib/util.py\", line 5, in helper\n    return x[\"m\"]\nKeyError: 'm'\n";
        assert_eq!(
            raise_site(logs).as_deref(),
            Some("lib/util.py line 5, in helper")
        );
        assert_eq!(raise_site("no traceback here"), None);
    }

    #[test]
    fn a_bare_message_gets_its_exception_type_back() {
        let logs = "Traceback (most recent call last):\nFile \"main.py\", line 6, in run\nreturn x[\"b\"]\nKeyError: 'b'\n";
        assert_eq!(
            with_exception_type("'b'", logs).as_deref(),
            Some("KeyError: 'b'")
        );
        assert_eq!(with_exception_type("other", logs), None);
        let dotted = "Traceback (most recent call last):\nreplicate.exceptions.ModelError: boom\n";
        assert_eq!(
            with_exception_type("boom", dotted).as_deref(),
            Some("replicate.exceptions.ModelError: boom")
        );
    }

    #[test]
    fn the_raise_site_is_in_the_project_when_a_library_raised() {
        let logs = "Traceback (most recent call last):\n  File \"main.py\", line 25, in run\n    image = draw(seed=seed)\n  File \"/venv/lib/python3.13/site-packages/replicate/client.py\", line 412, in _raise_for_status\n    raise ReplicateError(...)\nReplicateError: 422\n";
        assert_eq!(raise_site(logs).as_deref(), Some("main.py line 25, in run"));
        let only_library =
            "Traceback (most recent call last):\n  File \"/venv/x.py\", line 3, in f\n";
        assert_eq!(
            raise_site(only_library).as_deref(),
            Some("/venv/x.py line 3, in f")
        );
    }
}
