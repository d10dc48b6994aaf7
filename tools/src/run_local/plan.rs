//! The runtime a run reproduces (`replicate` pins or `latest`), decided before anything is
//! installed: its requirements, the Python to look for, and what the result says about it.

use super::error::RunError;
use super::requirements::ResolvedRequirements;
use super::run::RunConfig;
use super::runtime::{RUNTIME_PYTHON_FALLBACK, RuntimeChoice, RuntimePins, RuntimeUsed};
use super::venv::VenvInfo;

/// The runtime a run reproduces, decided before anything is installed.
pub(crate) struct RuntimePlan<'a> {
    choice: RuntimeChoice,
    reason: String,
    pins: Option<&'a RuntimePins>,
}

impl<'a> RuntimePlan<'a> {
    pub(crate) fn new(
        asked: Option<RuntimeChoice>,
        config: &'a RunConfig,
    ) -> Result<Self, RunError> {
        let pins = config.runtime_pins.as_ref();
        let (choice, reason) = match (asked, pins) {
            (Some(RuntimeChoice::Replicate), None) => {
                return Err(RunError::Runtime {
                    message: "runtime `replicate` needs Replicate's runtime package list in the docs cache: call fetch_llms_txt with source \"runtime\" (CLI: `mcp-pipelines docs refresh --source runtime`), or run with runtime `latest`".into(),
                });
            }
            (Some(choice), _) => (choice, "asked for".to_owned()),
            (None, Some(_)) => (
                RuntimeChoice::Replicate,
                "the default: the runtime list is cached".to_owned(),
            ),
            (None, None) => (
                RuntimeChoice::Latest,
                "the default: Replicate's runtime list is not cached; fetch_llms_txt with source \"runtime\" makes runs use its pins".to_owned(),
            ),
        };
        Ok(Self {
            pins: if choice == RuntimeChoice::Replicate {
                pins
            } else {
                None
            },
            choice,
            reason,
        })
    }

    /// The Python to look for first.
    pub(crate) fn python(&self, config: &RunConfig) -> Option<(u32, u32)> {
        self.pins
            .map(|_| config.runtime_python.unwrap_or(RUNTIME_PYTHON_FALLBACK))
    }

    pub(crate) fn requirements(
        &self,
        project: Option<&str>,
        config: &RunConfig,
    ) -> ResolvedRequirements {
        match self.pins {
            Some(pins) => {
                ResolvedRequirements::resolve_runtime(project, &config.default_requirements, pins)
            }
            None => ResolvedRequirements::resolve(project, &config.default_requirements),
        }
    }

    pub(crate) fn used(&self, venv: &VenvInfo, python_note: Option<&str>) -> RuntimeUsed {
        RuntimeUsed {
            runtime: self.choice,
            reason: self.reason.clone(),
            list: self.pins.map(|p| p.label.clone()),
            pinned_packages: self.pins.map_or(0, |p| p.pins.len()),
            python: match python_note {
                Some(_) => format!(
                    "{} (not the runtime's; see the warnings)",
                    venv.python_version
                ),
                None => venv.python_version.to_string(),
            },
            server: venv.server.clone(),
            system_tools: Vec::new(),
            missing_system_tools: Vec::new(),
        }
    }
}
