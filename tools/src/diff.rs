//! Unified diffs (`similar`), for the validator's suggested edits and the scaffolder's
//! previews of changed files.

use similar::TextDiff;

/// A unified diff of `path` from `old` to `new` with `context` lines around each change,
/// headed `a/{path}` / `b/{path}`.
pub fn unified_diff(path: &str, old: &str, new: &str, context: usize) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(context)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}
