//! Settings shared by every run: where caches and run dirs live, limits, the sandbox, the
//! runtime's facts.

use std::path::PathBuf;
use std::time::Duration;

use super::error::RunError;
use super::python::PythonSearch;

/// Settings shared by every run (the server builds one from its config and environment).
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Cache root; venvs live in `<cache_dir>/venvs/<key>`, default outputs in `<cache_dir>/outputs/`.
    pub cache_dir: PathBuf,
    /// Where to look for Python (`PythonSearch::from_env(MCP_PIPELINES_PYTHON)`).
    pub python: PythonSearch,
    /// Requirements added when the project's requirements.txt does not name the package,
    /// e.g. `["cog==0.15.3", "replicate==1.1.0b3"]` from the Rulebook.
    pub default_requirements: Vec<String>,
    /// The server's `REPLICATE_API_TOKEN`, sent as `context.replicate_api_token` (what
    /// `cog predict --use-replicate-token` does; replicate-python reads it before its env).
    pub replicate_api_token: Option<String>,
    /// `REPLICATE_BASE_URL` for the child (the fake API in tests).
    pub replicate_base_url: Option<String>,
    /// More variables for the child; only allow-listed names (`REPLICATE_*`, …) pass.
    pub extra_env: Vec<(String, String)>,
    /// Hard limit from starting the server to the result (default 300 s).
    pub timeout: Duration,
    /// Limit for building a venv (default 900 s).
    pub install_timeout: Duration,
    /// Cap on captured logs and server output, per stream (default 1 MiB).
    pub log_cap: usize,
    /// Parent of the run dirs (project copies, private tmp) and inline projects (default:
    /// `<cache_dir>/runs`, which a sandboxed run cannot read: one run never sees another's
    /// files, as it could under a shared `/tmp`).
    pub temp_dir: Option<PathBuf>,
    /// Confine runs with Landlock where the kernel has it (default true).
    pub sandbox: bool,
    /// When set (and Landlock ABI ≥ 4), sandboxed runs may open TCP connections only to these ports.
    pub sandbox_connect_ports: Option<Vec<u16>>,
    /// What a run may do through its Replicate proxy: predictions per run and at once, the
    /// models it may call (`--max-predictions`, `--allow-model`).
    pub proxy_limits: super::proxy::ProxyLimits,
    /// Build venvs with this uv binary (default: `MCP_PIPELINES_UV`, else `uv` on PATH; else pip).
    pub uv: Option<PathBuf>,
    /// When set, local files given as inputs must lie inside one of these directories (the
    /// MCP roots, or the CLI's working and project dirs); empty: no local files at all.
    pub input_roots: Option<Vec<PathBuf>>,
    /// The runtime's Python distributions (PEP 503 names), for advice on missing modules.
    pub runtime_packages: Vec<String>,
    /// The cached runtime package list (the docs cache's `runtime` source), parsed; with it
    /// runs default to runtime `replicate`.
    pub runtime_pins: Option<super::runtime::RuntimePins>,
    /// The runtime's Python (major, minor), used for runtime `replicate` when installed here.
    pub runtime_python: Option<(u32, u32)>,
    /// The runtime's system tools (programs: `curl`, `ffmpeg`, `ffprobe`, `convert`…).
    pub runtime_system_tools: Vec<String>,
    /// Run output dirs under the cache older than this are removed before a run (default
    /// 7 days; `None` or zero: never).
    pub outputs_max_age: Option<Duration>,
    /// Venvs no run used for this long are removed before a run (default 30 days; `None` or
    /// zero: never). A venv in use is never removed.
    pub venvs_max_age: Option<Duration>,
}

impl RunConfig {
    /// Where run dirs and inline projects go: `temp_dir`, else `<cache_dir>/runs` (created,
    /// private to this user).
    pub(crate) fn run_root(&self) -> Result<PathBuf, RunError> {
        let root = self
            .temp_dir
            .clone()
            .unwrap_or_else(|| self.cache_dir.join("runs"));
        std::fs::create_dir_all(&root)
            .map_err(|e| RunError::io(format!("creating {}", root.display()), e))?;
        // Real paths: a sandboxed run with its own /tmp sees only the dirs it needs, so a
        // `..` or a symlink in a path it is given would lead nowhere.
        let root = std::fs::canonicalize(&root).unwrap_or(root);
        #[cfg(unix)]
        if self.temp_dir.is_none() {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700));
        }
        Ok(root)
    }

    /// Defaults: 300 s timeout, 900 s install timeout, 1 MiB log cap, Python from this
    /// process's PATH/pyenv (no explicit interpreter), no token.
    pub fn new(cache_dir: impl Into<PathBuf>, default_requirements: Vec<String>) -> Self {
        Self {
            cache_dir: cache_dir.into(),
            python: PythonSearch::from_env(None),
            default_requirements,
            replicate_api_token: None,
            replicate_base_url: None,
            extra_env: Vec::new(),
            timeout: Duration::from_secs(300),
            install_timeout: Duration::from_secs(900),
            log_cap: 1024 * 1024,
            temp_dir: None,
            sandbox: true,
            sandbox_connect_ports: None,
            proxy_limits: super::proxy::ProxyLimits::default(),
            uv: super::uv::find_uv(
                std::env::var_os("MCP_PIPELINES_UV").as_deref(),
                std::env::var_os("PATH").as_deref(),
            ),
            runtime_packages: Vec::new(),
            runtime_pins: None,
            runtime_python: None,
            runtime_system_tools: Vec::new(),
            input_roots: None,
            outputs_max_age: Some(Duration::from_secs(7 * 86_400)),
            venvs_max_age: Some(Duration::from_secs(30 * 86_400)),
        }
    }
}
