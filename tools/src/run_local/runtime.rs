//! Replicate's runtime, reproduced: the pins of the runtime package list (the docs cache's
//! `runtime` source) become the venv's constraints, every package of the list is installed
//! (on Replicate they are all importable), and the run says which runtime it used.

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use serde::Serialize;

/// The runtime's Python when the docs state none: cog's own pipeline checks (cog 0.16,
/// the last with them) required Python 3.13.
pub const RUNTIME_PYTHON_FALLBACK: (u32, u32) = (3, 13);

/// What a run says about the runtime it reproduced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RuntimeUsed {
    /// `replicate` (the runtime list's pins) or `latest` (what resolves today).
    pub runtime: RuntimeChoice,
    /// Why this runtime: asked for, or the default (and why).
    pub reason: String,
    /// The runtime list used (its version and fetch time), for `replicate`.
    pub list: Option<String>,
    /// How many packages the runtime list pins (all installed), for `replicate`.
    pub pinned_packages: usize,
    /// The Python the run used, and the runtime's when they differ.
    pub python: String,
    /// The prediction server: cog's own (with its coglet) or the runtime list's coglet.
    pub server: String,
    /// The runtime's system tools this run's PATH offers (`ffmpeg (from imageio-ffmpeg)`
    /// when the system has none).
    pub system_tools: Vec<String>,
    /// The runtime's system tools this machine lacks: code using them is not checked here.
    pub missing_system_tools: Vec<String>,
}

impl RuntimeUsed {
    /// One line for the text result.
    pub fn to_line(&self) -> String {
        let list = self
            .list
            .as_ref()
            .map(|l| format!(", {} packages pinned from the {l}", self.pinned_packages))
            .unwrap_or_default();
        let mut line = format!(
            "runtime: {} ({}{list}); Python {}; server: {}",
            self.runtime, self.reason, self.python, self.server
        );
        if !self.system_tools.is_empty() || !self.missing_system_tools.is_empty() {
            line.push_str(&format!(
                "\nsystem tools: {}",
                if self.system_tools.is_empty() {
                    "none".to_owned()
                } else {
                    self.system_tools.join(", ")
                }
            ));
            if !self.missing_system_tools.is_empty() {
                line.push_str(&format!(
                    " (not on this machine: {})",
                    self.missing_system_tools.join(", ")
                ));
            }
        }
        line
    }
}

/// Which packages a run's venv holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuntimeChoice {
    /// Every package of Replicate's runtime list at its pinned version.
    Replicate,
    /// Whatever resolves today from requirements.txt (plus cog and replicate).
    Latest,
}

impl RuntimeChoice {
    /// `replicate` or `latest`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuntimeChoice::Replicate => "replicate",
            RuntimeChoice::Latest => "latest",
        }
    }
}

impl std::fmt::Display for RuntimeChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RuntimeChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "replicate" => Ok(RuntimeChoice::Replicate),
            "latest" => Ok(RuntimeChoice::Latest),
            other => Err(format!(
                "unknown runtime `{other}`: use `replicate` (the runtime list's pins) or `latest` (what resolves today)"
            )),
        }
    }
}

/// One pinned package of the runtime list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimePin {
    /// PEP 503 name.
    pub name: String,
    /// The constraint line, e.g. `pydantic==1.10.22`.
    pub line: String,
}

/// The runtime package list, parsed for the installer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuntimePins {
    /// Every package with its pin (or bare name), in list order.
    pub pins: Vec<RuntimePin>,
    /// The coglet version of a `coglet @ <url>` line (replaced by the package index's
    /// coglet of that version when the index has it).
    pub coglet: Option<String>,
    /// Which list this is, for the result: e.g. `runtime list v2 (fetched 2026-12-05T…)`.
    pub label: String,
    /// Lines that could not be used.
    pub warnings: Vec<String>,
}

impl RuntimePins {
    /// Parses a requirements-format runtime list.
    pub fn parse(text: &str, label: impl Into<String>) -> Self {
        let mut pins: Vec<RuntimePin> = Vec::new();
        let mut coglet = None;
        let mut warnings = Vec::new();
        for raw in text.lines() {
            let line = raw.split(" #").next().unwrap_or("").trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with('-') {
                continue;
            }
            let name_end = line
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                .unwrap_or(line.len());
            let name = normalise(&line[..name_end]);
            if name.is_empty() {
                warnings.push(format!("runtime list line `{line}` has no package name"));
                continue;
            }
            let rest = line[name_end..].trim();
            if let Some(url) = rest.strip_prefix('@') {
                match (name.as_str(), wheel_version(url.trim())) {
                    ("coglet", Some(version)) => coglet = Some(version),
                    _ => warnings.push(format!(
                        "runtime list line `{line}` installs from a URL; this run installs `{name}` from the package index instead"
                    )),
                }
                if name != "coglet" && !pins.iter().any(|p| p.name == name) {
                    pins.push(RuntimePin {
                        line: name.clone(),
                        name,
                    });
                }
                continue;
            }
            let spec: String = rest
                .split(';')
                .next()
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if !spec.is_empty() && VersionSpecifiers::from_str(&spec).is_err() {
                warnings.push(format!("runtime list line `{line}` is not a requirement"));
                continue;
            }
            if pins.iter().any(|p| p.name == name) {
                continue;
            }
            pins.push(RuntimePin {
                line: format!("{name}{spec}"),
                name,
            });
        }
        Self {
            pins,
            coglet,
            label: label.into(),
            warnings,
        }
    }

    /// The pin of `name` (PEP 503), if the list has it.
    pub fn pin(&self, name: &str) -> Option<&RuntimePin> {
        let name = normalise(name);
        self.pins.iter().find(|p| p.name == name)
    }

    /// The exact version the list pins `name` to (`==`), if any.
    pub fn pinned_version(&self, name: &str) -> Option<String> {
        let pin = self.pin(name)?;
        let spec = pin.line[pin.name.len()..].strip_prefix("==")?;
        (!spec.contains(',')).then(|| spec.to_owned())
    }
}

/// True when `version` satisfies the specifiers `spec` (e.g. `>=1.1.0b1,<2`); false when
/// either does not parse.
pub(crate) fn satisfies(version: &str, spec: &str) -> bool {
    let (Ok(version), Ok(spec)) = (
        Version::from_str(version),
        VersionSpecifiers::from_str(spec),
    ) else {
        return false;
    };
    spec.contains(&version)
}

/// `1.2.3` from `https://…/coglet-1.2.3-py3-none-any.whl`.
fn wheel_version(url: &str) -> Option<String> {
    let file = url.rsplit('/').next()?;
    let stem = file.strip_suffix(".whl")?;
    let mut parts = stem.split('-');
    parts.next()?;
    let version = parts.next()?;
    Version::from_str(version).ok().map(|_| version.to_owned())
}

/// PEP 503 normalisation.
pub(crate) fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_sep = false;
    for c in name.trim().chars() {
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

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "anyio==4.9.0\n\
        coglet @ https://github.com/replicate/cog-runtime/releases/download/v0.1.0-alpha33/coglet-0.1.0a33-py3-none-any.whl\n\
        Pydantic == 1.10.22  # the v1 API\n\
        typing_extensions==4.14.0\n\
        replicate==1.1.0b2\n\
        scikit-learn<2\n";

    #[test]
    fn pins_every_package_and_takes_coglet_from_its_url() {
        let pins = RuntimePins::parse(LIST, "runtime list v1");
        let lines: Vec<&str> = pins.pins.iter().map(|p| p.line.as_str()).collect();
        assert_eq!(
            lines,
            [
                "anyio==4.9.0",
                "pydantic==1.10.22",
                "typing-extensions==4.14.0",
                "replicate==1.1.0b2",
                "scikit-learn<2"
            ]
        );
        assert_eq!(pins.coglet.as_deref(), Some("0.1.0a33"));
        assert_eq!(pins.pinned_version("Pydantic").as_deref(), Some("1.10.22"));
        assert_eq!(pins.pinned_version("scikit_learn"), None);
        assert!(pins.warnings.is_empty(), "{:?}", pins.warnings);
    }

    #[test]
    fn compares_versions_with_specifiers() {
        assert!(satisfies("1.1.0b2", ">=1.1.0b1,<2.0.0a1"));
        assert!(!satisfies("1.1.0b2", "==1.1.0b3"));
        assert!(!satisfies("x", ">=1"));
    }

    #[test]
    fn names_the_runtimes_as_the_cli_does() {
        assert_eq!(
            " Latest ".parse::<RuntimeChoice>(),
            Ok(RuntimeChoice::Latest)
        );
        assert!(
            "pypi"
                .parse::<RuntimeChoice>()
                .unwrap_err()
                .contains("replicate")
        );
    }
}
