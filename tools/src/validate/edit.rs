//! Suggested edits, rendered as unified diffs.

/// A unified diff of `file` from `old` to `new`; `None` when nothing changes.
pub(crate) fn unified(file: &str, old: &str, new: &str) -> Option<String> {
    if old == new {
        return None;
    }
    Some(crate::diff::unified_diff(file, old, new, 2))
}

/// `source` with `insert` placed at byte `offset` (clamped to a char boundary).
pub(crate) fn insert_at(source: &str, offset: usize, insert: &str) -> String {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let mut out = String::with_capacity(source.len() + insert.len());
    out.push_str(&source[..offset]);
    out.push_str(insert);
    out.push_str(&source[offset..]);
    out
}

/// `source` with a line appended (adding a newline first when the file lacks one).
pub(crate) fn append_line(source: &str, line: &str) -> String {
    let mut out = source.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(line);
    out.push('\n');
    out
}
