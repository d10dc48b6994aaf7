//! Building a venv: `python -m venv` (or `uv venv`), the requirements installed with pip
//! (or uv), the installed cog version read back, then the completion marker.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{BuildLimits, CHECK_TIMEOUT, MARKER, Marker};
use crate::run_local::child::{ChildSpec, GroupChild, LineFn, Stream, tail};
use crate::run_local::env::{EnvFor, child_env};
use crate::run_local::error::RunError;
use crate::run_local::progress::{Reporter, Stage};
use crate::run_local::python::Python;
use crate::run_local::requirements::ResolvedRequirements;

const COG_VERSION: &str = "import importlib.metadata as m; print(m.version('cog'))";
/// Imports what every run imports at start, writing its bytecode (runs may not write to
/// the venv): the modules cog's server, replicate and pydantic load.
const WARM_IMPORTS: &str = "import importlib, importlib.util as u\nfor m in ('cog', 'coglet', 'replicate', 'pydantic', 'httpx', 'cog.server.http'):\n    try:\n        u.find_spec(m) and importlib.import_module(m)\n    except Exception:\n        pass";
/// The installed coglet version, empty when there is none.
const COGLET_VERSION: &str = "import importlib.metadata as m\ntry:\n    print(m.version('coglet'))\nexcept m.PackageNotFoundError:\n    print('')";
const LOG_CAP: usize = 256 * 1024;

/// Builds the venv in `dir` (removing an incomplete one first) and writes its marker last.
pub(super) async fn build(
    dir: &Path,
    key: &str,
    python: &Python,
    requirements: &ResolvedRequirements,
    reporter: &Reporter,
    limits: &BuildLimits,
) -> Result<(), RunError> {
    create(dir, python, reporter, limits).await?;
    let cwd = dir.parent().unwrap_or(dir).to_path_buf();
    let requirements_file = dir.join("requirements.txt");
    std::fs::write(&requirements_file, requirements.to_file_text())
        .map_err(|e| RunError::io(format!("writing {}", requirements_file.display()), e))?;
    let venv_python = dir.join("bin").join("python");
    let constraints = constraints(dir, requirements, &venv_python, &cwd, limits).await?;
    let constraints_arg = (!constraints.list.is_empty()).then_some(constraints.file.as_path());
    reporter.stage(
        Stage::Install,
        format!(
            "installing {} (first run with these requirements)",
            requirements.lines.join(", ")
        ),
    );
    install(
        dir,
        &venv_python,
        (&requirements_file, requirements),
        constraints_arg,
        reporter,
        limits,
    )
    .await?;
    if constraints_arg.is_some() && limits.uv.is_some() {
        reporter.line("compiling the bytecode of what runs import at start".to_owned());
        if let Err(why) = query(&venv_python, WARM_IMPORTS, &cwd).await {
            tracing::warn!(%why, "warming the venv's imports failed");
        }
    }
    let cog_version = query(&venv_python, COG_VERSION, &cwd).await.map_err(|m| {
        failed(
            dir,
            format!("reading the installed cog version: {m}"),
            String::new(),
        )
    })?;
    let coglet_version = query(&venv_python, COGLET_VERSION, &cwd)
        .await
        .unwrap_or_default();
    let server = server_note(&cog_version, &coglet_version, constraints.coglet.as_ref());
    let marker = Marker {
        key: key.to_owned(),
        python_version: python.version.to_string(),
        cog_version,
        requirements: requirements.lines.clone(),
        constraints: constraints.list,
        server,
    };
    write_marker(dir, &marker)?;
    reporter.line(format!("virtualenv ready: {}", dir.display()));
    Ok(())
}

/// A failed build step's error.
fn failed(dir: &Path, message: String, log: String) -> RunError {
    RunError::VenvBuild {
        venv: dir.to_path_buf(),
        message,
        log,
    }
}

/// Creates the empty venv with `python -m venv` or `uv venv`, removing an incomplete one
/// first.
async fn create(
    dir: &Path,
    python: &Python,
    reporter: &Reporter,
    limits: &BuildLimits,
) -> Result<(), RunError> {
    if dir.exists() {
        reporter.line(format!("removing incomplete virtualenv {}", dir.display()));
        let doomed = dir.to_path_buf();
        tokio::task::spawn_blocking(move || std::fs::remove_dir_all(doomed))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
            .map_err(|e| RunError::io(format!("removing {}", dir.display()), e))?;
    }
    reporter.line(format!(
        "creating virtualenv with Python {} ({}), installing with {}",
        python.version,
        python.path.display(),
        if limits.uv.is_some() { "uv" } else { "pip" }
    ));
    let cwd = dir.parent().unwrap_or(dir).to_path_buf();
    let (program, args, what) = match &limits.uv {
        Some(uv) => (
            uv.clone(),
            crate::run_local::uv::venv_args(&python.path, dir),
            "uv venv",
        ),
        None => (
            python.path.clone(),
            vec!["-m".into(), "venv".into(), dir.into()],
            "python -m venv",
        ),
    };
    step(
        ChildSpec {
            program,
            args,
            cwd,
            env: install_env(),
        },
        None,
        limits,
    )
    .await
    .map_err(|(m, l)| failed(dir, format!("{what} {m}"), l))
}

/// The install's constraints and the file holding them (written when there are any).
struct Constraints {
    list: Vec<String>,
    file: PathBuf,
    /// The runtime list's coglet version, and whether the package index has it.
    coglet: Option<(String, bool)>,
}

/// The requirements' constraints, plus the runtime list's coglet when the package index has
/// it: that coglet comes from a release URL; the same version from the index is used when
/// the index has it, else cog's own server.
async fn constraints(
    dir: &Path,
    requirements: &ResolvedRequirements,
    venv_python: &Path,
    cwd: &Path,
    limits: &BuildLimits,
) -> Result<Constraints, RunError> {
    let mut list = requirements.constraints.clone();
    let coglet = match &requirements.coglet {
        Some(version) => {
            let found = coglet_on_index(version, venv_python, cwd, limits).await;
            if found {
                list.push(format!("coglet=={version}"));
            }
            Some((version.clone(), found))
        }
        None => None,
    };
    let file = dir.join("constraints.txt");
    if !list.is_empty() {
        let mut text = list.join("\n");
        text.push('\n');
        std::fs::write(&file, text)
            .map_err(|e| RunError::io(format!("writing {}", file.display()), e))?;
    }
    Ok(Constraints { list, file, coglet })
}

/// Installs the requirements (under the constraints) with pip or uv, reporting the
/// installer's progress lines.
async fn install(
    dir: &Path,
    venv_python: &Path,
    (requirements_file, requirements): (&Path, &ResolvedRequirements),
    constraints: Option<&Path>,
    reporter: &Reporter,
    limits: &BuildLimits,
) -> Result<(), RunError> {
    let line_reporter = reporter.clone();
    let on_line: LineFn = Arc::new(move |stream, line| {
        let uv_line = crate::run_local::uv::is_progress_line(line);
        let line = line.trim();
        let pip_line = stream == Stream::Stdout
            && ["Collecting", "Installing", "Successfully", "ERROR"]
                .iter()
                .any(|p| line.starts_with(p));
        if pip_line || uv_line {
            line_reporter.line(line.to_owned());
        }
    });
    let (program, args, what) = match &limits.uv {
        Some(uv) => (
            uv.clone(),
            crate::run_local::uv::install_args(venv_python, requirements_file, constraints),
            "uv pip install",
        ),
        None => (
            venv_python.to_path_buf(),
            [
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "-r",
            ]
            .iter()
            .map(Into::into)
            .chain([requirements_file.as_os_str().to_owned()])
            .chain(
                constraints
                    .into_iter()
                    .flat_map(|c| [std::ffi::OsString::from("-c"), c.into()]),
            )
            .collect(),
            "pip install",
        ),
    };
    let cwd = dir.parent().unwrap_or(dir).to_path_buf();
    let spec = ChildSpec {
        program,
        args,
        cwd: cwd.clone(),
        env: install_env(),
    };
    let Err((m, log)) = step(spec, Some(on_line), limits).await else {
        return Ok(());
    };
    let message = format!("{what} {m}");
    let failure = super::conflict::Failed {
        venv_python,
        cwd: &cwd,
        lines: &requirements.lines,
        constraints: &requirements.constraints,
        log: &log,
    };
    // A conflict is explained: the runtime list's own pins, or a project line against one.
    Err(
        match super::conflict::explain(&failure, limits, install_env()).await {
            Some((why, log)) => failed(dir, format!("{message}: {why}"), log),
            None => failed(dir, message, log),
        },
    )
}

/// Writes the completion marker (to a temporary file, then renamed into place).
fn write_marker(dir: &Path, marker: &Marker) -> Result<(), RunError> {
    let text = serde_json::to_string_pretty(marker)
        .map_err(|e| RunError::io("writing the venv marker", e.into()))?;
    let tmp = dir.join(format!("{MARKER}.tmp"));
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, dir.join(MARKER)))
        .map_err(|e| RunError::io(format!("writing the marker in {}", dir.display()), e))
}

/// What serves predictions, said plainly: cog's own server (with its coglet), or the
/// runtime list's coglet, or cog's server because that coglet is not on the index.
fn server_note(cog: &str, coglet: &str, runtime_coglet: Option<&(String, bool)>) -> String {
    let own = if coglet.is_empty() {
        format!("cog {cog}'s own server")
    } else {
        format!("cog {cog} with coglet {coglet}")
    };
    match runtime_coglet {
        Some((version, true)) => {
            format!("{own} (coglet {version}, the runtime list's, from the package index)")
        }
        Some((version, false)) => format!(
            "{own}: the runtime list's coglet {version} (a release URL) is not on the package index"
        ),
        None => own,
    }
}

/// Whether the package index has `coglet==version` (a dry run, no dependencies).
async fn coglet_on_index(
    version: &str,
    venv_python: &Path,
    cwd: &Path,
    limits: &BuildLimits,
) -> bool {
    let requirement = format!("coglet=={version}");
    let (program, args): (std::path::PathBuf, Vec<std::ffi::OsString>) = match &limits.uv {
        Some(uv) => (
            uv.clone(),
            vec![
                "pip".into(),
                "install".into(),
                "--no-config".into(),
                "--dry-run".into(),
                "--no-deps".into(),
                "--python".into(),
                venv_python.into(),
                requirement.into(),
            ],
        ),
        None => (
            venv_python.to_path_buf(),
            [
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "--dry-run",
                "--no-deps",
            ]
            .iter()
            .map(Into::into)
            .chain([requirement.into()])
            .collect(),
        ),
    };
    step(
        ChildSpec {
            program,
            args,
            cwd: cwd.to_path_buf(),
            env: install_env(),
        },
        None,
        limits,
    )
    .await
    .is_ok()
}

fn install_env() -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    child_env(
        std::env::vars_os(),
        crate::run_local::uv::env_overrides(),
        EnvFor::Install,
    )
}

/// Runs one build step to completion; on failure returns (what, output tail).
pub(super) async fn step(
    spec: ChildSpec,
    on_line: Option<LineFn>,
    limits: &BuildLimits,
) -> Result<(), (String, String)> {
    let mut child = GroupChild::spawn(&spec, LOG_CAP, on_line)
        .map_err(|e| (format!("could not start: {e}"), String::new()))?;
    let outcome = tokio::select! {
        status = child.wait() => Ok(status),
        () = tokio::time::sleep(limits.timeout) => Err(format!("timed out after {} s", limits.timeout.as_secs())),
        () = limits.cancel.cancelled() => Err("cancelled".to_owned()),
    };
    child.finish().await;
    let log = format!("{}{}", child.stdout_text(), child.stderr_text());
    match outcome {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err((format!("failed ({status})"), tail(&log, 4000))),
        Ok(Err(e)) => Err((format!("could not be waited for: {e}"), tail(&log, 4000))),
        Err(why) => Err((why, tail(&log, 4000))),
    }
}

/// Runs a one-line Python script in the venv and returns its trimmed stdout.
async fn query(python: &Path, script: &str, cwd: &Path) -> Result<String, String> {
    let mut command = tokio::process::Command::new(python);
    command
        .args(["-E", "-s", "-c", script])
        .current_dir(cwd)
        .env_clear()
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    match tokio::time::timeout(CHECK_TIMEOUT, command.output()).await {
        Ok(Ok(output)) if output.status.success() => {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        }
        Ok(Ok(output)) => Err(String::from_utf8_lossy(&output.stderr).trim().to_owned()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}
