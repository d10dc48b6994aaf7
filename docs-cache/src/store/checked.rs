//! The `checked.<source>` files beside the database: when each source was last checked
//! upstream, written atomically.

use std::path::PathBuf;
use std::sync::Arc;

use super::small_file::{SmallFile, write_atomically};
use super::{Store, StoreError};

/// Most `checked.<source>` files kept in memory.
const MAX_KEPT: usize = 16;

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
        write_atomically(&path, checked_at.as_bytes())
            .map_err(|source| StoreError::Io { path, source })
    }

    /// `checked.<source>`'s contents, when it exists.
    pub(super) fn read_checked(&self, source: &str) -> Option<String> {
        let file = {
            let mut files = self.inner.checked.lock().unwrap_or_else(|e| e.into_inner());
            match files.get(source) {
                Some(file) => file.clone(),
                None => {
                    let file = Arc::new(SmallFile::new(self.checked_path(source)));
                    // Sources are a handful; past the bound a file is read without memory.
                    if files.len() < MAX_KEPT {
                        files.insert(source.to_owned(), file.clone());
                    }
                    file
                }
            }
        };
        let bytes = file.read()?;
        std::str::from_utf8(&bytes).ok().map(str::to_owned)
    }
}
