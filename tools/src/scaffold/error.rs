//! Why a scaffold could not be generated or written.

use std::path::PathBuf;

/// Why `scaffold` refused a request. Every message names the field and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// A model reference is not `owner/name` or `owner/name:version`.
    #[error(
        "models[{index}]: {reference:?} is not a model reference; use \"owner/name\" (optionally \"owner/name:version\")"
    )]
    InvalidModelRef {
        /// Position in `models`.
        index: usize,
        /// The reference as given.
        reference: String,
    },
    /// `models` lists one model twice: automatic wiring cannot tell how the calls differ.
    #[error(
        "models[{index}]: {model} is listed twice (models[{first}] and models[{index}]); \
         automatic wiring cannot tell how the two calls differ. Send `steps` instead, one per \
         call with its own `id`, e.g. \"steps\": [{{\"model\": \"{model}\", \"id\": \"first\", \
         \"inputs\": {{…}}}}, {{\"model\": \"{model}\", \"id\": \"second\", \"inputs\": {{…}}}}] \
         (the sources in pipelines://guide/steps)"
    )]
    RepeatedModel {
        /// Position of its first mention in `models`.
        first: usize,
        /// Position of the repeat.
        index: usize,
        /// `owner/name`.
        model: String,
    },
    /// A model's schema is not in the map the caller passed.
    #[error("no schema for {model}; call fetch_model_schema for it first")]
    MissingSchema {
        /// `owner/name`.
        model: String,
    },
    /// An input declaration is unusable.
    #[error("inputs[{index}] ({name}): {reason}")]
    InvalidInput {
        /// Position in `inputs`.
        index: usize,
        /// The input's name as given.
        name: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A step of `steps` is unusable.
    #[error("steps[{index}]: {reason}")]
    InvalidStep {
        /// Position in `steps`.
        index: usize,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// An entry of `output_fields` is unusable.
    #[error("output_fields[{field:?}]: {reason}")]
    InvalidOutputField {
        /// The field name as given.
        field: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A template refers to a value the generator does not provide (a bug).
    #[error("template {template}: {reason}")]
    Template {
        /// The template file.
        template: &'static str,
        /// What went wrong.
        reason: String,
    },
}

/// Why writing the files failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The target exists and is not a directory.
    #[error("{path} exists and is not a directory; pass a directory for the project")]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// A file system operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`creating`, `reading`, `writing`…).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
