//! The state every handler shares.

use crate::{config::Config, prompts::Prompts};

/// Shared by every handler and transport, behind one `Arc`.
pub struct AppState {
    /// Configuration.
    pub config: Config,
    /// Parsed prompts.
    pub prompts: Prompts,
}

impl AppState {
    /// Builds the state.
    pub fn new(config: Config) -> anyhow::Result<Self> {
        Ok(Self {
            config,
            prompts: Prompts::embedded()?,
        })
    }
}
