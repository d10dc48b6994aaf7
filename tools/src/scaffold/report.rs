//! What `scaffold_pipeline` answers: per file, what happened and what would change.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// Written; it did not exist.
    Created,
    /// Replaced (`overwrite: true`); `diff` shows the change.
    Updated,
    /// Already identical to the generated file.
    Unchanged,
    /// Exists and differs: left alone. `diff` shows what the scaffold would change; pass
    /// `overwrite: true` to apply it.
    SkippedExists,
    /// Would be created (dry run or inline mode: nothing written); `content` holds it.
    WouldCreate,
    /// Would be replaced (dry run with `overwrite: true`); `diff` shows the change.
    WouldUpdate,
}

impl FileStatus {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Created => "created",
            FileStatus::Updated => "updated",
            FileStatus::Unchanged => "unchanged",
            FileStatus::SkippedExists => "skipped_exists",
            FileStatus::WouldCreate => "would_create",
            FileStatus::WouldUpdate => "would_update",
        }
    }
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileReport {
    /// The path relative to the project directory, e.g. `main.py`.
    pub path: String,
    /// What happened to it.
    pub status: FileStatus,
    /// A unified diff from the file on disk to the generated one, when a file exists and
    /// differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// The generated content (inline mode and dry runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// The result of scaffolding a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScaffoldReport {
    /// The project directory, when files were written or compared against one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// True when nothing was written (dry run or inline mode).
    pub dry_run: bool,
    /// Every generated file, in a fixed order.
    pub files: Vec<FileReport>,
    /// Choices the scaffold made that deserve a look (placeholders, added inputs…) and the
    /// next steps.
    pub notes: Vec<String>,
    /// The generated main.py: the file to edit next.
    pub main_py: String,
    /// The `steps` the calls were planned from (the automatic wiring's when none were
    /// given): edit and resend them for another wiring.
    #[schemars(schema_with = "steps_schema")]
    pub steps: Vec<super::StepSpec>,
    /// Each `TODO(...)` left in main.py (`main.py:LINE: what to decide`).
    pub placeholders: Vec<String>,
}

fn steps_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "array", "items": {"type": "object"}})
}

impl ScaffoldReport {
    /// Human-readable text: one line per file, diffs and (inline or dry run) contents, notes.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = match (&self.dir, self.dry_run) {
            (Some(dir), false) => writeln!(out, "Scaffolded pipeline in {dir}"),
            (Some(dir), true) => writeln!(out, "Dry run in {dir} (nothing written)"),
            (None, _) => writeln!(out, "Generated pipeline files (nothing written)"),
        };
        for f in &self.files {
            let _ = writeln!(out, "  {:<15} {}", f.status.as_str(), f.path);
        }
        // main.py is the file the agent edits next: its whole text is always shown (a diff
        // alone does not say what the file now holds, or would hold).
        let main = self.files.iter().find(|f| f.path == "main.py");
        let main_shown = main.is_some_and(|f| f.content.is_some());
        if !main_shown && !self.main_py.is_empty() {
            let label = match main.map(|f| f.status) {
                Some(FileStatus::SkippedExists) => {
                    "main.py as generated (not written: the file on disk differs)"
                }
                Some(FileStatus::WouldUpdate) => "main.py as it would be written",
                _ => "main.py",
            };
            let _ = writeln!(out, "\n--- {label} ---\n{}", self.main_py);
        }
        for f in &self.files {
            if f.status == FileStatus::SkippedExists {
                let _ = writeln!(
                    out,
                    "\n{} exists and differs; it was left alone. Pass overwrite: true to apply:",
                    f.path
                );
            }
            if let Some(diff) = &f.diff {
                let _ = writeln!(out, "\n{diff}");
            } else if let Some(content) = &f.content {
                let _ = writeln!(out, "\n--- {} ---\n{content}", f.path);
            }
        }
        if !self.steps.is_empty() {
            let steps = serde_json::to_string(&self.steps).unwrap_or_default();
            let _ = writeln!(out, "\nSteps used (edit and resend as `steps`):\n{steps}");
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out, "\nNotes:");
            for n in &self.notes {
                let _ = writeln!(out, "- {n}");
            }
        }
        out
    }
}
