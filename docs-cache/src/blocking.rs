//! Running a blocking store operation off the async runtime's worker threads.

/// Runs `f` on tokio's blocking pool; a task that panicked or was cancelled becomes
/// `join_failed`'s error.
pub async fn blocking<T, E>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
    join_failed: impl FnOnce(tokio::task::JoinError) -> E,
) -> Result<T, E>
where
    T: Send + 'static,
    E: Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(join_failed)?
}
