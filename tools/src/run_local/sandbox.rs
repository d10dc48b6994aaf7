//! The Landlock sandbox of a run (Linux): the cog server and everything it starts may write
//! only to the run's own copy of the project, its private tmp (`TMPDIR`) and `/tmp`, and read
//! only the venv,
//! the Python install, system directories (libraries, certificates, `/proc`, `/dev`) and the
//! run's files. Not the user's home, not the cache's other dirs, not the original project.
//!
//! Landlock confines the calling *thread* and what it starts, so the child is spawned from a
//! fresh thread that restricts itself first (no `pre_exec`, no unsafe code); the server's
//! own threads stay unconfined.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use landlock::{
    ABI, Access, AccessFs, AccessNet, NetPort, Ruleset, RulesetAttr, RulesetCreatedAttr,
    RulesetError, RulesetStatus, path_beneath_rules,
};

use super::error::RunError;

/// The Landlock ABI this code asks for; older kernels get the best they support.
const TARGET_ABI: ABI = ABI::V6;

/// System directories a run may read (and execute from).
const SYSTEM_READ: &[&str] = &[
    "/usr",
    "/lib",
    "/lib64",
    "/lib32",
    "/bin",
    "/sbin",
    "/etc",
    "/opt",
    "/proc",
    "/sys",
    "/dev",
    "/run/systemd/resolve",
];

/// Device files, shared memory and the system tmp a run may write: `/dev/null`, POSIX
/// semaphores of Python's multiprocessing in `/dev/shm`, and `/tmp`, where pipelines (and
/// cog's examples) put their outputs, e.g. `Path("/tmp/out.png")`, as the runtime allows.
const SYSTEM_WRITE: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/tty",
    "/dev/shm",
    "/tmp",
];

/// What a sandboxed run may touch.
#[derive(Debug, Clone, Default)]
pub(crate) struct SandboxSpec {
    /// Read and execute, recursively.
    pub(crate) read: Vec<PathBuf>,
    /// Read, write, create and delete, recursively.
    pub(crate) write: Vec<PathBuf>,
    /// When set (kernel ABI ≥ 4), outgoing TCP connections are limited to these ports.
    pub(crate) connect_ports: Option<Vec<u16>>,
}

impl SandboxSpec {
    /// The rules for a run: `venv` and the Python install it was built from, the system
    /// directories, and read-write `run_dir` (the project copy) and `tmp_dir`.
    pub(crate) fn for_run(venv: &Path, run_dir: &Path, tmp_dir: &Path) -> Self {
        let mut read: Vec<PathBuf> = SYSTEM_READ.iter().map(PathBuf::from).collect();
        read.push(venv.to_path_buf());
        read.extend(python_home(venv));
        for var in ["SSL_CERT_FILE", "SSL_CERT_DIR"] {
            if let Some(path) = std::env::var_os(var) {
                read.push(PathBuf::from(path));
            }
        }
        let mut write: Vec<PathBuf> = SYSTEM_WRITE.iter().map(PathBuf::from).collect();
        write.push(run_dir.to_path_buf());
        write.push(tmp_dir.to_path_buf());
        Self {
            read,
            write,
            connect_ports: None,
        }
    }

    /// Runs `spawn` on a fresh thread confined by these rules, so what it starts is
    /// confined too; fails when the kernel enforces nothing.
    pub(crate) fn spawn_confined<T: Send>(
        &self,
        spawn: impl FnOnce() -> std::io::Result<T> + Send,
    ) -> Result<T, RunError> {
        let runtime = tokio::runtime::Handle::try_current().ok();
        let joined = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let _entered = runtime.as_ref().map(tokio::runtime::Handle::enter);
                    self.restrict_this_thread()?;
                    spawn().map_err(|e| RunError::io("starting the sandboxed cog server", e))
                })
                .join()
        });
        joined.unwrap_or_else(|_| {
            Err(RunError::io(
                "starting the sandboxed cog server",
                std::io::Error::other("the sandbox thread panicked"),
            ))
        })
    }

    fn restrict_this_thread(&self) -> Result<(), RunError> {
        let status = self.ruleset().map_err(|e| sandbox_error(&e))?;
        match status {
            RulesetStatus::FullyEnforced | RulesetStatus::PartiallyEnforced => Ok(()),
            RulesetStatus::NotEnforced => Err(RunError::io(
                "sandboxing the run",
                std::io::Error::other(
                    "this kernel does not enforce Landlock; run with `--no-sandbox` (`sandbox: false`) to run unconfined",
                ),
            )),
        }
    }

    fn ruleset(&self) -> Result<RulesetStatus, RulesetError> {
        let mut ruleset = Ruleset::default().handle_access(AccessFs::from_all(TARGET_ABI))?;
        if self.connect_ports.is_some() {
            ruleset = ruleset.handle_access(AccessNet::ConnectTcp)?;
        }
        let mut created = ruleset
            .create()?
            .add_rules(path_beneath_rules(
                &self.read,
                AccessFs::from_read(TARGET_ABI),
            ))?
            .add_rules(path_beneath_rules(
                &self.write,
                AccessFs::from_all(TARGET_ABI),
            ))?;
        for port in self.connect_ports.iter().flatten() {
            created = created.add_rule(NetPort::new(*port, AccessNet::ConnectTcp))?;
        }
        Ok(created.restrict_self()?.ruleset)
    }
}

fn sandbox_error(e: &RulesetError) -> RunError {
    RunError::io("sandboxing the run", std::io::Error::other(e.to_string()))
}

/// The Python install a venv was built from: `home` in its `pyvenv.cfg` is its `bin` dir.
fn python_home(venv: &Path) -> Option<PathBuf> {
    let cfg = std::fs::read_to_string(venv.join("pyvenv.cfg")).ok()?;
    let home = cfg.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "home").then(|| PathBuf::from(value.trim()))
    })?;
    let home = std::fs::canonicalize(&home).unwrap_or(home);
    Some(home.parent().map_or(home.clone(), Path::to_path_buf))
}

/// The Landlock ABI the kernel enforces (1, 2, …), or `None` when Landlock is unavailable.
/// Probed once, on a throwaway thread that confines itself.
pub fn landlock_abi() -> Option<i32> {
    static ABI_FOUND: OnceLock<Option<i32>> = OnceLock::new();
    *ABI_FOUND.get_or_init(|| {
        std::thread::spawn(|| {
            let status = Ruleset::default()
                .handle_access(AccessFs::Execute)
                .ok()?
                .create()
                .ok()?
                .restrict_self()
                .ok()?;
            match status.landlock {
                landlock::LandlockStatus::Available { effective_abi, .. }
                    if status.ruleset != RulesetStatus::NotEnforced =>
                {
                    Some(effective_abi as i32)
                }
                _ => None,
            }
        })
        .join()
        .ok()
        .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_confined_thread_cannot_read_outside_its_rules() {
        if landlock_abi().is_none() {
            eprintln!("skipped: Landlock is not available on this kernel");
            return;
        }
        let outside_tmp = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
        let secret_home = tempfile::tempdir_in(&outside_tmp).unwrap();
        let secret = secret_home.path().join("id_rsa");
        std::fs::write(&secret, "PRIVATE KEY").unwrap();
        let run = tempfile::tempdir().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let venv = tempfile::tempdir().unwrap();
        let spec = SandboxSpec::for_run(venv.path(), run.path(), tmp.path());
        let (read_secret, wrote_run, wrote_outside) = spec
            .spawn_confined(|| {
                Ok((
                    std::fs::read_to_string(&secret).is_ok(),
                    std::fs::write(run.path().join("ok.txt"), "x").is_ok(),
                    std::fs::write(secret_home.path().join("evil.txt"), "x").is_ok(),
                ))
            })
            .unwrap();
        assert!(!read_secret, "read a file outside the sandbox");
        assert!(wrote_run, "could not write its own dir");
        assert!(!wrote_outside, "wrote outside the sandbox");
        // This thread is not confined.
        assert_eq!(std::fs::read_to_string(&secret).unwrap(), "PRIVATE KEY");
    }

    #[test]
    fn tcp_connections_can_be_limited_to_given_ports() {
        if landlock_abi().is_none_or(|abi| abi < 4) {
            eprintln!("skipped: Landlock network rules need ABI 4");
            return;
        }
        let allowed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = |l: &std::net::TcpListener| l.local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let mut spec = SandboxSpec::for_run(dir.path(), dir.path(), dir.path());
        spec.connect_ports = Some(vec![port(&allowed)]);
        let (to_allowed, to_other) = spec
            .spawn_confined(|| {
                Ok((
                    std::net::TcpStream::connect(("127.0.0.1", port(&allowed))).is_ok(),
                    std::net::TcpStream::connect(("127.0.0.1", port(&other))).is_ok(),
                ))
            })
            .unwrap();
        assert!(to_allowed);
        assert!(!to_other, "connected to a port outside the rules");
    }

    #[test]
    fn python_home_comes_from_pyvenv_cfg() {
        let venv = tempfile::tempdir().unwrap();
        std::fs::write(
            venv.path().join("pyvenv.cfg"),
            "home = /opt/python-nowhere/bin\nversion = 3.12.1\n",
        )
        .unwrap();
        assert_eq!(
            python_home(venv.path()),
            Some(PathBuf::from("/opt/python-nowhere"))
        );
    }
}
