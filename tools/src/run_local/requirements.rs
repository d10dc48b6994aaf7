//! The requirements a run's virtualenv gets: the project's requirements.txt plus the
//! Rulebook's defaults for packages it does not name (cog, replicate), normalised so that
//! equivalent files share one venv.

use sha2::{Digest, Sha256};

use super::python::PythonVersion;

/// The requirement lines to install, and what was dropped on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRequirements {
    /// Lines for pip, sorted by their canonical form.
    pub lines: Vec<String>,
    /// Lines that were left out (`-r`, `-c`, `-e`), or runtime pins the project overrides,
    /// with why.
    pub warnings: Vec<String>,
    /// Constraint lines (`pydantic==1.10.22`): the runtime list's pins, empty for `latest`.
    pub constraints: Vec<String>,
    /// The runtime list's coglet version, used when the package index has it.
    pub coglet: Option<String>,
}

impl ResolvedRequirements {
    /// Merges the project's requirements.txt (if any) with `defaults` such as
    /// `cog==0.15.3`: a default is added only when the project does not name that package.
    pub fn resolve(project: Option<&str>, defaults: &[String]) -> Self {
        let mut lines = Vec::new();
        let mut warnings = Vec::new();
        for line in logical_lines(project.unwrap_or("")) {
            if [
                "-r",
                "-c",
                "-e",
                "--requirement",
                "--constraint",
                "--editable",
            ]
            .iter()
            .any(|flag| {
                line == *flag
                    || line.starts_with(&format!("{flag} "))
                    || line.starts_with(&format!("{flag}="))
            }) {
                warnings.push(format!(
                    "ignored requirements line `{line}`: only plain requirements are installed"
                ));
                continue;
            }
            lines.push(line);
        }
        add_unnamed(&mut lines, defaults);
        Self {
            lines,
            warnings,
            constraints: Vec::new(),
            coglet: None,
        }
    }

    /// What Replicate's runtime holds: every package of `pins` at its pinned version (as
    /// constraints), the project's own lines where the runtime pin does not satisfy them
    /// (with a warning, the pin dropped), and `defaults` (cog, replicate) for packages
    /// neither names. Projects that add nothing to the runtime share one venv.
    pub fn resolve_runtime(
        project: Option<&str>,
        defaults: &[String],
        pins: &super::runtime::RuntimePins,
    ) -> Self {
        let base = Self::resolve(project, &[]);
        let mut warnings = base.warnings;
        let mut constraints: Vec<String> = pins.pins.iter().map(|p| p.line.clone()).collect();
        let mut lines = Vec::new();
        for line in base.lines {
            let Some(name) = package_name(&line) else {
                lines.push(line);
                continue;
            };
            let spec = specifier(&line);
            match pins.pinned_version(&name) {
                Some(v) if spec.is_empty() || super::runtime::satisfies(&v, &spec) => {}
                Some(v) => {
                    constraints.retain(|c| package_name(c).as_deref() != Some(name.as_str()));
                    warnings.push(format!(
                        "requirements.txt asks for `{line}` but Replicate's runtime has {name}=={v}: this run installs the project's version, which the runtime does not have"
                    ));
                    lines.push(line);
                }
                None => lines.push(line),
            }
        }
        for pin in &pins.pins {
            if !names(&lines, &pin.name) {
                lines.push(pin.name.clone());
            }
        }
        add_unnamed(&mut lines, defaults);
        constraints.sort_by_key(|l| canonical(l));
        Self {
            lines,
            warnings,
            constraints,
            coglet: pins.coglet.clone(),
        }
    }

    /// The requirements.txt text written into the venv for pip.
    pub fn to_file_text(&self) -> String {
        let mut text = self.lines.join("\n");
        text.push('\n');
        text
    }

    /// The version pinned for `package` with `==`, if any (e.g. `cog` → `0.15.3`).
    pub fn pinned(&self, package: &str) -> Option<String> {
        let wanted = super::runtime::normalise(package);
        self.lines.iter().find_map(|line| {
            if package_name(line)? != wanted {
                return None;
            }
            let spec = line.split(';').next()?;
            let (_, version) = spec.split_once("==")?;
            Some(version.trim().to_owned())
        })
    }

    /// The cache key: sha256 of the canonical lines and the Python version (24 hex digits).
    pub fn venv_key(&self, python: PythonVersion) -> String {
        let mut hasher = Sha256::new();
        for line in &self.lines {
            hasher.update(canonical(line).as_bytes());
            hasher.update(b"\n");
        }
        // Without constraints the key is what it always was (existing venvs stay valid).
        if !self.constraints.is_empty() || self.coglet.is_some() {
            hasher.update(b"constraints\n");
            for line in &self.constraints {
                hasher.update(canonical(line).as_bytes());
                hasher.update(b"\n");
            }
            if let Some(coglet) = &self.coglet {
                hasher.update(format!("coglet {coglet}\n").as_bytes());
            }
        }
        hasher.update(format!("python {python}").as_bytes());
        let digest = hex::encode(hasher.finalize());
        digest[..24].to_owned()
    }
}

/// Lines with comments, blank lines and `\` continuations removed.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for raw in text.lines() {
        let without_comment = match raw.find('#') {
            Some(0) => "",
            Some(i) if raw[..i].ends_with(char::is_whitespace) => &raw[..i],
            _ => raw,
        };
        let trimmed = without_comment.trim();
        if let Some(head) = trimmed.strip_suffix('\\') {
            pending.push_str(head.trim());
            pending.push(' ');
            continue;
        }
        pending.push_str(trimmed);
        let line = pending.split_whitespace().collect::<Vec<_>>().join(" ");
        pending.clear();
        if !line.is_empty() {
            out.push(line);
        }
    }
    let rest = pending.split_whitespace().collect::<Vec<_>>().join(" ");
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// PEP 503 name of a requirement line (`Cog_Core==1` → `cog-core`), `None` for options.
pub(crate) fn package_name(line: &str) -> Option<String> {
    if line.starts_with('-') {
        return None;
    }
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(line.len());
    let name = &line[..end];
    (!name.is_empty()).then(|| super::runtime::normalise(name))
}

/// The version specifiers of a requirement line, without spaces, extras or markers.
fn specifier(line: &str) -> String {
    let spec = line.split(';').next().unwrap_or("");
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(spec.len());
    let mut rest = spec[end..].trim();
    if let Some(after) = rest.strip_prefix('[') {
        rest = after.split_once(']').map_or("", |(_, r)| r);
    }
    rest.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The form hashed for the key: normalised name, the rest without whitespace.
fn canonical(line: &str) -> String {
    match package_name(line) {
        Some(name) => {
            let end = line
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
                .unwrap_or(line.len());
            let rest: String = line[end..].chars().filter(|c| !c.is_whitespace()).collect();
            format!("{name}{rest}")
        }
        None => line.to_owned(),
    }
}

/// Whether one of `lines` requires the package `name`.
fn names(lines: &[String], name: &str) -> bool {
    lines
        .iter()
        .any(|l| package_name(l).as_deref() == Some(name))
}

/// Adds each of `defaults` whose package no line names, then sorts and dedups by package.
fn add_unnamed(lines: &mut Vec<String>, defaults: &[String]) {
    for default in defaults {
        if package_name(default).is_some_and(|name| !names(lines, &name)) {
            lines.push(default.trim().to_owned());
        }
    }
    lines.sort_by_key(|l| canonical(l));
    lines.dedup_by_key(|l| canonical(l));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<String> {
        vec!["cog==0.15.3".into(), "replicate==1.1.0b3".into()]
    }

    const PY: PythonVersion = PythonVersion {
        major: 3,
        minor: 12,
        patch: 1,
    };

    #[test]
    fn adds_defaults_only_for_missing_packages() {
        let r = ResolvedRequirements::resolve(Some("Replicate == 1.0.0\n"), &defaults());
        assert_eq!(r.lines, ["cog==0.15.3", "Replicate == 1.0.0"]);
        assert_eq!(r.pinned("replicate").as_deref(), Some("1.0.0"));
        assert_eq!(r.pinned("cog").as_deref(), Some("0.15.3"));
    }

    #[test]
    fn equivalent_files_share_a_key() {
        let a = ResolvedRequirements::resolve(None, &defaults());
        let b = ResolvedRequirements::resolve(
            Some("# pins\n\nreplicate==1.1.0b3  # the client\ncog == 0.15.3\n"),
            &defaults(),
        );
        assert_eq!(a.venv_key(PY), b.venv_key(PY));
        let other_python = PythonVersion { minor: 13, ..PY };
        assert_ne!(a.venv_key(PY), a.venv_key(other_python));
        let c = ResolvedRequirements::resolve(Some("pillow==11.0.0"), &defaults());
        assert_ne!(a.venv_key(PY), c.venv_key(PY));
    }

    #[test]
    fn runtime_pins_every_package_and_projects_that_add_nothing_share_a_venv() {
        let pins = crate::run_local::runtime::RuntimePins::parse(
            "pydantic==1.10.22\nreplicate==1.1.0b2\nnumpy==2.3.1\n",
            "v1",
        );
        let bare = ResolvedRequirements::resolve_runtime(None, &defaults(), &pins);
        assert_eq!(
            bare.lines,
            ["cog==0.15.3", "numpy", "pydantic", "replicate"]
        );
        assert_eq!(
            bare.constraints,
            ["numpy==2.3.1", "pydantic==1.10.22", "replicate==1.1.0b2"]
        );
        let same = ResolvedRequirements::resolve_runtime(
            Some("replicate>=1.1.0b1,<2.0.0a1\ncog==0.15.3\nnumpy\n"),
            &defaults(),
            &pins,
        );
        assert_eq!(same.venv_key(PY), bare.venv_key(PY));
        assert!(same.warnings.is_empty(), "{:?}", same.warnings);
        let latest = ResolvedRequirements::resolve(None, &defaults());
        assert_ne!(latest.venv_key(PY), bare.venv_key(PY));
        let other_list = crate::run_local::runtime::RuntimePins::parse(
            "pydantic==1.10.21\nreplicate==1.1.0b2\nnumpy==2.3.1\n",
            "v2",
        );
        let other = ResolvedRequirements::resolve_runtime(None, &defaults(), &other_list);
        assert_ne!(other.venv_key(PY), bare.venv_key(PY));
    }

    #[test]
    fn a_project_pin_the_runtime_lacks_wins_with_a_warning() {
        let pins = crate::run_local::runtime::RuntimePins::parse(
            "pydantic==1.10.22\nreplicate==1.1.0b2\n",
            "v1",
        );
        let r =
            ResolvedRequirements::resolve_runtime(Some("replicate==1.1.0b3\n"), &defaults(), &pins);
        assert_eq!(r.lines, ["cog==0.15.3", "pydantic", "replicate==1.1.0b3"]);
        assert_eq!(r.constraints, ["pydantic==1.10.22"]);
        assert_eq!(r.warnings.len(), 1);
        assert!(
            r.warnings[0].contains("replicate==1.1.0b2"),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn drops_nested_files_and_joins_continuations() {
        let r = ResolvedRequirements::resolve(
            Some("-r other.txt\nrequests>=2 \\\n  ; python_version >= '3'\n"),
            &[],
        );
        assert_eq!(r.lines, ["requests>=2 ; python_version >= '3'"]);
        assert_eq!(r.warnings.len(), 1);
    }
}
