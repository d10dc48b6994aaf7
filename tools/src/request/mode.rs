//! What this server offers, fixed when it starts: a local server (stdio, the CLI) works on
//! this machine's files; a hosted one (HTTP) takes inline files only and executes client
//! code only when its operator allowed it.

/// The mode a server runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// stdio or a CLI verb: paths on this machine (inside the roots), runs with or without
    /// the sandbox.
    Local,
    /// `serve --http`: projects come as inline files, nothing is written to the client's
    /// disk, and runs are always sandboxed.
    Hosted {
        /// Whether `run_locally` is offered (`--allow-run`).
        allow_run: bool,
    },
}

/// A request this mode does not serve. The message says what to do instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ModeRefusal {
    /// `run_locally` on a hosted server started without `--allow-run`.
    #[error(
        "run_locally is off on this hosted server (it executes the pipeline's code on the host); \
         the operator can enable it with `serve --http … --allow-run`, or run `mcp-pipelines run DIR` on your machine"
    )]
    RunOff,
    /// `sandbox: false` on a hosted server.
    #[error("`sandbox: false` is for local servers only: a hosted server always confines runs")]
    Unsandboxed,
    /// Writing to the client's disk from a hosted server.
    #[error(
        "this server is hosted over HTTP and cannot write to your disk: pass `inline: true` to get the files back"
    )]
    Write,
}

impl Mode {
    /// Hosted over HTTP: no paths on this machine's disk.
    pub fn is_hosted(self) -> bool {
        matches!(self, Mode::Hosted { .. })
    }

    /// Whether `run_locally` is offered.
    pub fn allows_run(self) -> bool {
        matches!(self, Mode::Local | Mode::Hosted { allow_run: true })
    }

    /// A run may start.
    pub fn check_run(self) -> Result<(), ModeRefusal> {
        if self.allows_run() {
            Ok(())
        } else {
            Err(ModeRefusal::RunOff)
        }
    }

    /// A run may go without the sandbox (asked with `sandbox: false`).
    pub fn check_unsandboxed(self) -> Result<(), ModeRefusal> {
        if self.is_hosted() {
            Err(ModeRefusal::Unsandboxed)
        } else {
            Ok(())
        }
    }

    /// Files may be written to the client's disk.
    pub fn check_write(self) -> Result<(), ModeRefusal> {
        if self.is_hosted() {
            Err(ModeRefusal::Write)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODES: [Mode; 3] = [
        Mode::Local,
        Mode::Hosted { allow_run: false },
        Mode::Hosted { allow_run: true },
    ];

    #[test]
    fn only_a_hosted_server_without_allow_run_refuses_runs() {
        let refused: Vec<bool> = MODES.iter().map(|m| m.check_run().is_err()).collect();
        assert_eq!(refused, [false, true, false]);
        let said = ModeRefusal::RunOff.to_string();
        assert!(
            said.contains("--allow-run") && said.contains("mcp-pipelines run"),
            "{said}"
        );
    }

    #[test]
    fn a_hosted_server_neither_writes_nor_runs_unsandboxed() {
        for mode in MODES {
            let hosted = mode.is_hosted();
            assert_eq!(mode.check_write().is_err(), hosted, "{mode:?}");
            assert_eq!(mode.check_unsandboxed().is_err(), hosted, "{mode:?}");
        }
    }
}
