//! The `checked.<source>` files beside the database: when each source was last checked
//! upstream, written atomically.

use std::fs;
use std::path::PathBuf;

use super::{Store, StoreError};

impl Store {
    pub(super) fn checked_path(&self, source: &str) -> PathBuf {
        let safe: String = source
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        self.inner.cache_dir.join(format!("checked.{safe}"))
    }

    /// Writes `checked.<source>` atomically (temp file + rename).
    pub(super) fn write_checked(&self, source: &str, checked_at: &str) -> Result<(), StoreError> {
        let path = self.checked_path(source);
        let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
        fs::write(&tmp, checked_at)
            .and_then(|()| fs::rename(&tmp, &path))
            .map_err(|source| StoreError::Io { path, source })
    }
}
