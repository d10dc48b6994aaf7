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
    /// Lines that were left out (`-r`, `-c`, `-e`), with why.
    pub warnings: Vec<String>,
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
        for default in defaults {
            let Some(name) = package_name(default) else {
                continue;
            };
            if !lines
                .iter()
                .any(|l| package_name(l).as_deref() == Some(name.as_str()))
            {
                lines.push(default.trim().to_owned());
            }
        }
        lines.sort_by_key(|l| canonical(l));
        lines.dedup_by_key(|l| canonical(l));
        Self { lines, warnings }
    }

    /// The requirements.txt text written into the venv for pip.
    pub fn to_file_text(&self) -> String {
        let mut text = self.lines.join("\n");
        text.push('\n');
        text
    }

    /// The version pinned for `package` with `==`, if any (e.g. `cog` → `0.15.3`).
    pub fn pinned(&self, package: &str) -> Option<String> {
        let wanted = normalise_name(package);
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
fn package_name(line: &str) -> Option<String> {
    if line.starts_with('-') {
        return None;
    }
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(line.len());
    let name = &line[..end];
    (!name.is_empty()).then(|| normalise_name(name))
}

fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_sep = false;
    for c in name.chars() {
        if matches!(c, '.' | '_' | '-') {
            if !last_sep {
                out.push('-');
            }
            last_sep = true;
        } else {
            out.push(c.to_ascii_lowercase());
            last_sep = false;
        }
    }
    out
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
    fn drops_nested_files_and_joins_continuations() {
        let r = ResolvedRequirements::resolve(
            Some("-r other.txt\nrequests>=2 \\\n  ; python_version >= '3'\n"),
            &[],
        );
        assert_eq!(r.lines, ["requests>=2 ; python_version >= '3'"]);
        assert_eq!(r.warnings.len(), 1);
    }
}
