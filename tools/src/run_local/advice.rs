//! Advice for a failed run: a `ModuleNotFoundError` means the package is missing from
//! requirements.txt (the runtime provides it) or that the runtime cannot import it either.

use crate::validate::distribution_for;

/// One line of advice per missing module named in `text` (the error and the logs).
/// `runtime_packages` are the runtime's distributions, PEP 503-normalised.
pub(crate) fn for_failure(text: &str, runtime_packages: &[String]) -> Vec<String> {
    let mut advice: Vec<String> = Vec::new();
    for module in missing_modules(text) {
        let top = module.split('.').next().unwrap_or(&module).to_owned();
        let dist = distribution_for(&top);
        let line = if runtime_packages.contains(&dist) {
            format!(
                "`{module}` is not installed locally: the pipelines runtime provides `{dist}`, \
                 so add `{dist}` to requirements.txt (REQ005 runtime-package-not-listed) and run again"
            )
        } else {
            format!(
                "`{module}` cannot be imported, and the pipelines runtime does not provide `{dist}` \
                 either: the deployed model would fail the same way (PY009 unsupported-import); use a \
                 runtime package or call an HTTP API"
            )
        };
        if !advice.contains(&line) {
            advice.push(line);
        }
    }
    advice
}

/// Adds the advice for missing modules to an error whose server never got ready.
pub(crate) fn add_to_error(
    error: super::error::RunError,
    runtime_packages: &[String],
) -> super::error::RunError {
    match error {
        super::error::RunError::ServerStart { message, stderr } => {
            let advice = for_failure(&stderr, runtime_packages);
            let message = if advice.is_empty() {
                message
            } else {
                format!("{message}\nadvice: {}", advice.join("\nadvice: "))
            };
            super::error::RunError::ServerStart { message, stderr }
        }
        other => other,
    }
}

/// Module names from `No module named 'x'` messages.
fn missing_modules(text: &str) -> Vec<String> {
    const NEEDLE: &str = "No module named ";
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(NEEDLE) {
        rest = &rest[at + NEEDLE.len()..];
        let quoted = rest
            .strip_prefix('\'')
            .and_then(|r| r.split_once('\''))
            .map(|(name, _)| name);
        if let Some(name) = quoted
            && !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            && !found.iter().any(|f| f == name)
        {
            found.push(name.to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_packages_get_added_to_requirements() {
        let advice = for_failure(
            "ModuleNotFoundError: No module named 'PIL'",
            &["pillow".into(), "requests".into()],
        );
        assert_eq!(advice.len(), 1);
        assert!(
            advice[0].contains("add `pillow` to requirements.txt"),
            "{advice:?}"
        );
        assert!(advice[0].contains("REQ005"));
    }

    #[test]
    fn other_packages_cannot_be_imported_by_the_runtime_either() {
        let advice = for_failure(
            "No module named 'torch.nn'\nModuleNotFoundError: No module named 'torch.nn'",
            &["pillow".into()],
        );
        assert_eq!(advice.len(), 1, "{advice:?}");
        assert!(advice[0].contains("PY009"));
        assert!(advice[0].contains("`torch`"));
        assert!(for_failure("all fine", &[]).is_empty());
    }
}
