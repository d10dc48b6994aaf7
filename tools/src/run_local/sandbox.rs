//! The Landlock sandbox of a run (Linux): the cog server and everything it starts may write
//! only to the run's own copy of the project and its private tmp (`TMPDIR`, `TEMP`, `TMP`),
//! and read only the venv, the Python install it was built from, system directories
//! (`/usr`, `/lib*`, the files of `/etc` a program needs — not `/etc/shadow`, host keys or
//! tool credentials —, `/proc`, `/sys`, a few devices) and the run's files. Not `/tmp`
//! (where the run sees its private tmp instead when the host allows a mount namespace, see
//! `private_tmp`), not the user's home, not other runs, not the cache's other dirs, not the
//! original project.
//!
//! Landlock confines the calling *thread* and what it starts, so the child is spawned from a
//! fresh thread that restricts itself first (no `pre_exec`, no unsafe code); the server's
//! own threads stay unconfined. That thread also scopes signals and abstract UNIX sockets to
//! the run (ABI 6) and gives up every capability (`privileges`), so a root server's run is
//! an unprivileged root.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use landlock::{
    ABI, Access, AccessFs, AccessNet, NetPort, Ruleset, RulesetAttr, RulesetCreatedAttr,
    RulesetError, RulesetStatus, Scope, path_beneath_rules,
};

use super::error::RunError;

/// The Landlock ABI this code asks for; older kernels get the best they support.
const TARGET_ABI: ABI = ABI::V6;

/// System directories a run may read (and execute from). `/etc` is granted file by file
/// ([`ETC_READ`]): Landlock only allows, so its secrets are left out by not naming them.
const SYSTEM_READ: &[&str] = &[
    "/usr",
    "/lib",
    "/lib64",
    "/lib32",
    "/libx32",
    "/bin",
    "/sbin",
    "/proc",
    "/sys",
    "/run/systemd/resolve",
    "/dev/random",
    "/dev/urandom",
];

/// What of `/etc` a run may read: the dynamic linker, name resolution, users and groups
/// (names, no passwords), time zones, locales, TLS certificates (not `ssl/private`), MIME
/// types, fonts, the alternatives' links, and the media tools' policies. Not `shadow`,
/// `gshadow`, `sudoers`, `ssh/` (host keys), `pip.conf`, `npmrc`, `gitconfig` (index and
/// forge credentials) or anything else not listed.
const ETC_READ: &[&str] = &[
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "ld.so.preload",
    "nsswitch.conf",
    "host.conf",
    "hosts",
    "resolv.conf",
    "gai.conf",
    "services",
    "protocols",
    "networks",
    "passwd",
    "group",
    "localtime",
    "timezone",
    "locale.alias",
    "locale.conf",
    "default/locale",
    "ssl/certs",
    "ssl/openssl.cnf",
    "ca-certificates",
    "ca-certificates.conf",
    "pki/tls/certs",
    "pki/ca-trust",
    "crypto-policies",
    "mime.types",
    "magic",
    "magic.mime",
    "fonts",
    "alternatives",
    "ImageMagick-6",
    "ImageMagick-7",
    "os-release",
    "debian_version",
    "terminfo",
    "mtab",
    "inputrc",
];

/// Devices, shared memory and nothing else a run may write: `/dev/null` and friends, and
/// the POSIX semaphores of Python's multiprocessing in `/dev/shm`.
const SYSTEM_WRITE: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/tty",
    "/dev/shm",
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
    /// When set, the run sees this dir at `/tmp` (a mount namespace of its own).
    pub(crate) private_tmp: Option<PathBuf>,
}

impl SandboxSpec {
    /// The rules for a run: `venv` and the Python install it was built from, the system
    /// directories, and read-write `run_dir` (the project copy) and `tmp_dir`.
    pub(crate) fn for_run(venv: &Path, run_dir: &Path, tmp_dir: &Path) -> Self {
        let mut read: Vec<PathBuf> = SYSTEM_READ.iter().map(PathBuf::from).collect();
        read.extend(ETC_READ.iter().map(|f| Path::new("/etc").join(f)));
        read.push(venv.to_path_buf());
        read.extend(python_install(venv));
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
            private_tmp: None,
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
                    if let Some(tmp) = &self.private_tmp {
                        let keep: Vec<PathBuf> =
                            self.read.iter().chain(&self.write).cloned().collect();
                        super::private_tmp::enter(tmp, &keep)
                            .map_err(|e| RunError::io("giving the run its own /tmp", e))?;
                    }
                    self.restrict_this_thread()?;
                    super::privileges::drop_all().map_err(|e| {
                        RunError::io(
                            "dropping the server's capabilities for the run",
                            std::io::Error::other(e.to_string()),
                        )
                    })?;
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
        // Signals and abstract UNIX sockets reach only the run's own processes (ABI 6).
        let mut ruleset = Ruleset::default()
            .handle_access(AccessFs::from_all(TARGET_ABI))?
            .scope(Scope::from_all(TARGET_ABI))?;
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

/// The Python install a venv was built from: the parent of `home` (its `bin` dir) in its
/// `pyvenv.cfg`, and the install its `bin/python` link resolves to (pyenv puts both under
/// `~/.pyenv/versions/<v>`, which is granted without the rest of the home).
fn python_install(venv: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Some(home) = python_home(venv) {
        found.push(home);
    }
    for name in ["python", "python3"] {
        if let Ok(real) = std::fs::canonicalize(venv.join("bin").join(name))
            && let Some(bin) = real.parent()
            && !real.starts_with(venv)
        {
            let install = install_of(bin);
            if !found.contains(&install) {
                found.push(install);
            }
        }
    }
    found
}

/// The parent of `home` in a venv's `pyvenv.cfg`.
fn python_home(venv: &Path) -> Option<PathBuf> {
    let cfg = std::fs::read_to_string(venv.join("pyvenv.cfg")).ok()?;
    let home = cfg.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "home").then(|| PathBuf::from(value.trim()))
    })?;
    let home = std::fs::canonicalize(&home).unwrap_or(home);
    Some(install_of(&home))
}

/// The install a `bin` dir belongs to (its parent), never `/` itself.
fn install_of(bin: &Path) -> PathBuf {
    match bin.parent() {
        Some(parent) if parent.parent().is_some() => parent.to_path_buf(),
        _ => bin.to_path_buf(),
    }
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
        // Left in the shared /tmp by another program; the run's own dirs are under /tmp too.
        let tmp_secret = tempfile::NamedTempFile::new_in("/tmp").unwrap();
        std::fs::write(tmp_secret.path(), "TMP SECRET").unwrap();
        let run = tempfile::tempdir_in("/tmp").unwrap();
        let tmp = tempfile::tempdir_in("/tmp").unwrap();
        let venv = tempfile::tempdir_in("/tmp").unwrap();
        let spec = SandboxSpec::for_run(venv.path(), run.path(), tmp.path());
        let outcome = spec
            .spawn_confined(|| {
                Ok([
                    std::fs::read_to_string(&secret).is_ok(),
                    std::fs::read_to_string(tmp_secret.path()).is_ok(),
                    std::fs::read_to_string("/etc/shadow").is_ok(),
                    std::fs::read_dir("/tmp").is_ok(),
                    std::fs::write(secret_home.path().join("evil.txt"), "x").is_ok(),
                    std::fs::write("/tmp/mcp-pipelines-sandbox-evil.txt", "x").is_ok(),
                    std::fs::write(run.path().join("ok.txt"), "x").is_ok(),
                    std::fs::write(tmp.path().join("ok.txt"), "x").is_ok(),
                    std::fs::read_to_string("/etc/hosts").is_ok(),
                ])
            })
            .unwrap();
        let [
            read_secret,
            read_tmp_secret,
            read_shadow,
            listed_tmp,
            wrote_outside,
            wrote_tmp,
            wrote_run,
            wrote_own_tmp,
            read_hosts,
        ] = outcome;
        assert!(!read_secret, "read a file outside the sandbox");
        assert!(!read_tmp_secret, "read another program's file in /tmp");
        assert!(!read_shadow, "read /etc/shadow");
        assert!(!listed_tmp, "listed /tmp");
        assert!(!wrote_outside, "wrote outside the sandbox");
        assert!(!wrote_tmp, "wrote to the shared /tmp");
        assert!(!Path::new("/tmp/mcp-pipelines-sandbox-evil.txt").exists());
        assert!(wrote_run && wrote_own_tmp, "could not write its own dirs");
        assert!(read_hosts, "could not read /etc/hosts");
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
        assert_eq!(install_of(Path::new("/bin")), PathBuf::from("/bin"));
    }
}
