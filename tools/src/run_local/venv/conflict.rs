//! When installing against the runtime list's pins fails on a dependency conflict: whether
//! the list's own pins do not resolve together (a problem of the fetched list, not of the
//! project), or a project line conflicts with a runtime pin, said plainly with what to do.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::BuildLimits;
use super::build::step;
use crate::run_local::child::ChildSpec;
use crate::run_local::requirements::package_name;

/// What to do when the runtime list cannot be used, on both surfaces.
const USE_LATEST: &str = "run with `runtime: \"latest\"` (run_locally) or `--runtime latest` \
    (mcp-pipelines run) to install the latest compatible packages instead";

/// The pieces of a failed install with the runtime's pins.
pub(super) struct Failed<'a> {
    pub(super) venv_python: &'a Path,
    pub(super) cwd: &'a Path,
    /// The project's lines (with the cog/replicate defaults).
    pub(super) lines: &'a [String],
    /// The runtime list's pins, installed as constraints.
    pub(super) constraints: &'a [String],
    /// The installer's output.
    pub(super) log: &'a str,
}

/// The explanation and the log to show, when the failure is a dependency conflict;
/// `None` otherwise (the installer's own message stands).
pub(super) async fn explain(
    failed: &Failed<'_>,
    limits: &BuildLimits,
    env: Vec<(OsString, OsString)>,
) -> Option<(String, String)> {
    if failed.constraints.is_empty() || !is_conflict(failed.log) {
        return None;
    }
    // Resolve the runtime list alone (nothing installed): does it resolve by itself?
    let dir = failed.venv_python.parent()?.parent()?;
    let pins_file = dir.join("runtime-pins.txt");
    std::fs::write(&pins_file, failed.constraints.join("\n") + "\n").ok()?;
    let pins: OsString = pins_file.into();
    let python: OsString = failed.venv_python.into();
    let (program, args): (PathBuf, Vec<OsString>) = match &limits.uv {
        Some(uv) => (
            uv.clone(),
            ["pip", "install", "--dry-run", "--no-config", "--python"]
                .iter()
                .map(Into::into)
                .chain([python, "-r".into(), pins])
                .collect(),
        ),
        None => (
            failed.venv_python.to_path_buf(),
            [
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--disable-pip-version-check",
            ]
            .iter()
            .map(Into::into)
            .chain(["--no-input".into(), "-r".into(), pins])
            .collect(),
        ),
    };
    let spec = ChildSpec {
        program,
        args,
        cwd: failed.cwd.to_path_buf(),
        env,
    };
    match step(spec, None, limits).await {
        Err((_, alone_log)) if is_conflict(&alone_log) => Some((
            format!(
                "the runtime list itself does not resolve: its own pins conflict with each \
                 other{}. This is a problem of the fetched runtime list, not of your project; \
                 {USE_LATEST}",
                named(" (", &conflict_part(&alone_log), failed.constraints, ")")
            ),
            alone_log,
        )),
        Ok(()) => Some((project_conflict(failed), failed.log.to_owned())),
        Err(_) => None,
    }
}

/// The project's lines against the runtime pins, naming the ones the resolver names.
fn project_conflict(failed: &Failed<'_>) -> String {
    let part = conflict_part(failed.log);
    let project = named("", &part, failed.lines, "");
    let pins = named("", &part, failed.constraints, "");
    let which = if project.is_empty() || pins.is_empty() {
        "a project requirement conflicts with the runtime list's pins (the resolver's \
         output below names them)"
            .to_owned()
    } else {
        format!("project line {project} conflicts with runtime pin {pins}")
    };
    format!(
        "{which}. The runtime list resolves by itself: change that line of requirements.txt to \
         a version that fits the runtime's pins (or drop its pin), or {USE_LATEST}"
    )
}

/// Whether an installer's output reports a dependency conflict (not a missing package).
fn is_conflict(log: &str) -> bool {
    log.contains("ResolutionImpossible")
        || (log.contains("No solution found") && log.contains(" depends on "))
}

/// The resolver's explanation: from pip's or uv's conflict report to the end.
fn conflict_part(log: &str) -> String {
    let start = ["The conflict is caused by", "No solution found"]
        .iter()
        .filter_map(|m| log.find(m))
        .min();
    start.map_or_else(String::new, |s| {
        log[s..].to_ascii_lowercase().replace('_', "-")
    })
}

/// The `lines` whose package the conflict report names, as `a`, `b`, wrapped when any.
fn named(before: &str, part: &str, lines: &[String], after: &str) -> String {
    let hits: Vec<String> = lines
        .iter()
        .filter(|l| package_name(l).is_some_and(|n| mentions(part, &n)))
        .map(|l| format!("`{l}`"))
        .collect();
    if hits.is_empty() {
        return String::new();
    }
    format!("{before}{}{after}", hits.join(", "))
}

/// Whether `text` names `name` as a whole word (`cog` is not in `coglet`).
fn mentions(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-';
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back().is_none_or(|c| !word(c));
        let after = text[i + name.len()..]
            .chars()
            .next()
            .is_none_or(|c| !word(c));
        before && after
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIP: &str = "Collecting moviepy==2.1.2\nCollecting pillow==11.1.0\n\
        ERROR: Cannot install moviepy==2.1.2 because these package versions have conflicting \
        dependencies.\n\nThe conflict is caused by:\n    The user requested (constraint) \
        pillow==11.1.0\n    moviepy 2.1.2 depends on pillow<11.0\n\nERROR: \
        ResolutionImpossible: for help visit https://pip.pypa.io\n";
    const UV: &str = "  × No solution found when resolving dependencies:\n  ╰─▶ Because \
        moviepy==2.1.2 depends on pillow<11.0 and you require pillow==11.1.0, we can \
        conclude that your requirements are unsatisfiable.\n";
    const MISSING: &str = "  × No solution found when resolving dependencies:\n  ╰─▶ \
        Because there is no version of numpyy==9 and you require numpyy==9, we can conclude \
        that your requirements are unsatisfiable.\n";

    #[test]
    fn conflicts_are_told_from_missing_packages() {
        assert!(is_conflict(PIP) && is_conflict(UV));
        assert!(!is_conflict(MISSING));
        assert!(!is_conflict(
            "ERROR: No matching distribution found for numpyy==9"
        ));
    }

    #[test]
    fn names_only_what_the_conflict_report_names() {
        let pins = ["pillow==11.1.0".to_owned(), "requests==2.32.4".to_owned()];
        for log in [PIP, UV] {
            let part = conflict_part(log);
            assert_eq!(named("(", &part, &pins, ")"), "(`pillow==11.1.0`)");
        }
        let lines = ["cog==0.16.8".to_owned(), "Pillow_SIMD".to_owned()];
        assert_eq!(
            named("", "coglet 0.1 depends on pillow-simd", &lines, ""),
            "`Pillow_SIMD`"
        );
    }

    #[test]
    fn a_project_line_is_named_with_the_runtime_pin_it_conflicts_with() {
        let lines = ["cog>=0.15.3".to_owned(), "moviepy==2.1.2".to_owned()];
        let pins = ["pillow==11.3.0".to_owned(), "requests==2.32.4".to_owned()];
        let log = UV.replace("11.1.0", "11.3.0");
        let failed = Failed {
            venv_python: Path::new("/v/bin/python"),
            cwd: Path::new("/"),
            lines: &lines,
            constraints: &pins,
            log: &log,
        };
        let said = project_conflict(&failed);
        assert!(
            said.starts_with(
                "project line `moviepy==2.1.2` conflicts with runtime pin `pillow==11.3.0`. \
                 The runtime list resolves by itself"
            ),
            "{said}"
        );
        assert!(said.contains("`--runtime latest`"), "{said}");
        let vague = Failed {
            log: "ResolutionImpossible",
            ..failed
        };
        assert!(project_conflict(&vague).starts_with("a project requirement conflicts"));
    }
}
