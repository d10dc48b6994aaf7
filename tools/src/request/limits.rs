//! The ranges of numeric request arguments, checked the same way by a tool and a CLI verb.

/// The longest run a caller may ask for, in seconds (`run_locally`'s `timeout_seconds` and
/// the CLI's `run --timeout` share it).
pub const MAX_RUN_TIMEOUT_SECS: u64 = 3600;

/// Most models one schema request may name (`fetch_model_schema`'s `models`, the CLI's
/// `schema REF…`).
pub const MAX_SCHEMA_MODELS: usize = 25;

/// A request argument out of its range. The message says what to pass instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// A run timeout outside 1 to [`MAX_RUN_TIMEOUT_SECS`].
    #[error(
        "the timeout must be between 1 and {MAX_RUN_TIMEOUT_SECS} seconds (got {0}); leave it out for the default of 300"
    )]
    Timeout(u64),
    /// No model named.
    #[error(
        "`models` is empty: pass the models the pipeline calls, e.g. [\"black-forest-labs/flux-schnell\"]"
    )]
    NoModels,
    /// More than [`MAX_SCHEMA_MODELS`] models.
    #[error("{0} models in one call; pass at most {MAX_SCHEMA_MODELS} at a time")]
    TooManyModels(usize),
}

/// A run timeout checked as both faces check it: 1 to [`MAX_RUN_TIMEOUT_SECS`] seconds.
pub fn check_run_timeout(seconds: u64) -> Result<u64, LimitError> {
    if (1..=MAX_RUN_TIMEOUT_SECS).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(LimitError::Timeout(seconds))
    }
}

/// The models of one schema request: at least one, at most [`MAX_SCHEMA_MODELS`].
pub fn check_schema_models(models: &[String]) -> Result<(), LimitError> {
    match models.len() {
        0 => Err(LimitError::NoModels),
        n if n > MAX_SCHEMA_MODELS => Err(LimitError::TooManyModels(n)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_is_taken_from_1_to_3600_seconds() {
        assert_eq!(check_run_timeout(1), Ok(1));
        assert_eq!(check_run_timeout(3600), Ok(3600));
        for bad in [0, 3601, 4000] {
            let said = check_run_timeout(bad).unwrap_err().to_string();
            assert!(
                said.contains("between 1 and 3600") && said.contains(&format!("got {bad}")),
                "{said}"
            );
        }
    }

    #[test]
    fn a_schema_request_names_one_to_25_models() {
        let models = |n: usize| vec!["acme/model".to_owned(); n];
        assert_eq!(check_schema_models(&models(1)), Ok(()));
        assert_eq!(check_schema_models(&models(25)), Ok(()));
        assert_eq!(check_schema_models(&models(0)), Err(LimitError::NoModels));
        let said = check_schema_models(&models(51)).unwrap_err().to_string();
        assert!(
            said.starts_with("51 models") && said.contains("at most 25"),
            "{said}"
        );
    }
}
