//! Built-in titles of the spec sections rules cite, used when no cached outline is given.

/// `(section id, title)` for the sections rules cite.
pub(crate) const BUILTIN_TITLES: &[(&str, &str)] = &[
    ("cog", "Cog"),
    ("cog/inputs", "Inputs"),
    ("cog/outputs", "Outputs"),
    ("cog/types", "Types"),
    (
        "miscellaneous-important-things-to-keep-in-mind",
        "Miscellaneous important things to keep in mind",
    ),
    ("model-library", "Model Library"),
    ("overview", "Overview"),
    ("replicate-python-library", "Replicate Python Library"),
    ("replicate-python-library/api-reference", "API Reference"),
    ("requirements", "Requirements"),
    ("runtime", "Runtime"),
    (
        "runtime/handling-unsupported-dependencies",
        "Handling Unsupported Dependencies",
    ),
    (
        "runtime/using-cog-secret-for-api-authentication",
        "Using cog.Secret for API Authentication",
    ),
];

/// The built-in title of a section id.
pub fn builtin_title(id: &str) -> Option<&'static str> {
    BUILTIN_TITLES
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, t)| *t)
}
