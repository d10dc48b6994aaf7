//! The venv's lock file: shared while a run uses the venv, exclusive to build or remove it.

use std::fs::File;
use std::path::Path;

use tokio_util::sync::CancellationToken;

use crate::run_local::error::RunError;

/// Opens (creating) the lock file of a venv.
fn open_lock_file(path: &Path) -> Result<File, RunError> {
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| RunError::io(format!("opening {}", path.display()), e))
}

/// The exclusive lock if it is free right now.
pub(super) fn try_exclusive(path: &Path) -> Result<Option<File>, RunError> {
    let file = open_lock_file(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(RunError::io(format!("locking {}", path.display()), e))
        }
    }
}

/// The venv's exclusive lock, to remove it, if no run holds (or builds) it right now.
pub(crate) fn try_lock_venv_for_removal(lock_path: &Path) -> Result<Option<File>, RunError> {
    try_exclusive(lock_path)
}

/// Whether a run holds (or builds) the venv whose lock file is `lock_path`.
pub(crate) fn venv_in_use(lock_path: &Path) -> bool {
    matches!(try_exclusive(lock_path), Ok(None))
}

/// Takes the lock file in a blocking thread; cancellable.
pub(super) async fn lock(
    path: &Path,
    shared: bool,
    cancel: &CancellationToken,
) -> Result<File, RunError> {
    let file = open_lock_file(path)?;
    let task = tokio::task::spawn_blocking(move || {
        if shared {
            file.lock_shared()
        } else {
            file.lock()
        }
        .map(|()| file)
    });
    tokio::select! {
        joined = task => match joined {
            Ok(Ok(file)) => Ok(file),
            Ok(Err(e)) => Err(RunError::io(format!("locking {}", path.display()), e)),
            Err(e) => Err(RunError::io(format!("locking {}", path.display()), std::io::Error::other(e))),
        },
        () = cancel.cancelled() => Err(RunError::Cancelled),
    }
}
