//! The command line: clap definitions only. `main.rs` turns them into a [`crate::config::Config`].

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand};

const EXAMPLES: &str = "\
Examples:
  # What Claude Code, Cursor or Claude Desktop spawn (MCP over stdio):
  mcp-pipelines --stdio

  # Read the current spec, a model's interface, and check a project:
  mcp-pipelines docs refresh && mcp-pipelines docs show cog/outputs
  mcp-pipelines schema black-forest-labs/flux-schnell
  mcp-pipelines scaffold my-pipeline --model black-forest-labs/flux-schnell
  mcp-pipelines validate my-pipeline
  mcp-pipelines run my-pipeline -i prompt='a cat in a hat'

  # Host it for a team (streamable HTTP at http://HOST:8848/mcp, bearer tokens required off loopback):
  MCP_PIPELINES_AUTH_TOKENS=secret1,secret2 mcp-pipelines serve --http 0.0.0.0:8848 --allowed-host mcp.example.com
  # ...or behind the team's identity provider (OAuth 2.1), with Prometheus metrics:
  mcp-pipelines serve --http 0.0.0.0:8080 --oauth-issuer https://idp.example --metrics-addr 127.0.0.1:9464

Environment:
  REPLICATE_API_TOKEN         Token for the Replicate API (never logged, never printed)
  REPLICATE_BASE_URL          Replicate API base URL (default https://api.replicate.com)
  MCP_PIPELINES_CACHE_DIR     Cache directory (same as --cache-dir)
  MCP_PIPELINES_AUTH_TOKENS   Comma-separated bearer tokens for `serve --http`
  MCP_PIPELINES_OAUTH_ISSUER  OAuth issuer for `serve --http` (also _AUDIENCE, _JWKS_URL, _SCOPES)
  MCP_PIPELINES_PYTHON        Python >= 3.12 for local runs (default: discovered on PATH and in pyenv)
  MCP_PIPELINES_RUNS_DIR      Where local runs copy the project (default: <cache dir>/runs)
  MCP_PIPELINES_UV            uv binary for building run venvs (default: uv on PATH; `off`: pip)
  MCP_PIPELINES_OUTPUTS_MAX_AGE  Delete run outputs older than this when a run starts (default 7d)
  MCP_PIPELINES_VENVS_MAX_AGE    Delete virtualenvs unused for this long when a run starts (default 30d)
  RUST_LOG                    Log filter; logs go to stderr (CLI verbs: only with it or -v)";

/// An MCP server that makes AI coding agents reliably good at building Replicate
/// pipeline models: it serves the current pipeline spec, the real schemas of the
/// models a pipeline calls, a scaffolder, a validator and a local runner.
#[derive(Debug, Parser)]
#[command(name = "mcp-pipelines", version, about, long_about = None, after_help = EXAMPLES)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Serve MCP over stdio (stdout carries only protocol messages; logs go to stderr).
    #[arg(long)]
    pub stdio: bool,

    /// With --stdio: the largest message (one line) read from stdin. A longer one is
    /// dropped and answered with a JSON-RPC error when its id can be read.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_message_bytes: u64,

    /// Print the program's log records (tracing) to stderr; `RUST_LOG` does too. Without
    /// either a CLI verb prints its result and one line per warning or error.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Settings every command shares.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Where the docs, schemas and run-locally virtualenvs are cached
    /// [default: the platform cache dir, e.g. ~/.cache/mcp-pipelines].
    #[arg(
        long,
        global = true,
        env = "MCP_PIPELINES_CACHE_DIR",
        value_name = "DIR"
    )]
    pub cache_dir: Option<PathBuf>,

    /// Replicate API base URL (as in replicate-python; paths are /v1/...).
    #[arg(
        long,
        global = true,
        env = "REPLICATE_BASE_URL",
        value_name = "URL",
        default_value = "https://api.replicate.com"
    )]
    pub replicate_base_url: String,

    /// How long a cached copy of the docs is fresh before it is refreshed (e.g. 24h, 30m).
    #[arg(long, global = true, env = "MCP_PIPELINES_DOCS_TTL", value_name = "DURATION",
          default_value = "24h", value_parser = parse_duration)]
    pub docs_ttl: Duration,

    /// Run output dirs under the cache dir older than this are deleted when a run starts
    /// (0s: never).
    #[arg(long, global = true, env = "MCP_PIPELINES_OUTPUTS_MAX_AGE", value_name = "DURATION",
          default_value = "7d", value_parser = parse_duration)]
    pub outputs_max_age: Duration,

    /// Virtualenvs no run used for this long are deleted when a run starts (0s: never; a
    /// venv in use is never deleted).
    #[arg(long, global = true, env = "MCP_PIPELINES_VENVS_MAX_AGE", value_name = "DURATION",
          default_value = "30d", value_parser = parse_duration)]
    pub venvs_max_age: Duration,

    /// URL of the pipelines spec (llms.txt).
    #[arg(
        long,
        global = true,
        env = "MCP_PIPELINES_DOCS_URL",
        value_name = "URL",
        hide_short_help = true,
        default_value = "https://replicate.com/docs/reference/pipelines/llms.txt"
    )]
    pub docs_url: String,

    /// URL of the pipelines runtime's requirements.txt.
    #[arg(
        long,
        global = true,
        env = "MCP_PIPELINES_RUNTIME_URL",
        value_name = "URL",
        hide_short_help = true,
        default_value = "https://pipelines-runtime.replicate.delivery/requirements.txt"
    )]
    pub runtime_url: String,

    /// URL of the cog docs (llms.txt).
    #[arg(
        long,
        global = true,
        env = "MCP_PIPELINES_COG_DOCS_URL",
        value_name = "URL",
        hide_short_help = true,
        default_value = "https://cog.run/llms.txt"
    )]
    pub cog_docs_url: String,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over streamable HTTP for a team (stateless; bearer-token auth).
    Serve(Box<ServeArgs>),
    /// Fetch, read, search and diff the cached pipeline docs; print the Rulebook.
    Docs(crate::commands::docs::DocsArgs),
    /// Print the schema of Replicate models: Python signature, inputs, output.
    Schema(crate::commands::schema::SchemaArgs),
    /// Search Replicate models.
    Search(crate::commands::schema::SearchArgs),
    /// Validate a pipeline project (exit 0: no errors, 1: errors, 2: could not run).
    Validate(crate::commands::validate::ValidateArgs),
    /// Write a pipeline project from the cached spec and real model schemas.
    Scaffold(crate::commands::scaffold::ScaffoldArgs),
    /// Run a pipeline locally on cog's HTTP server in a cached virtualenv (no Docker).
    Run(crate::commands::run::RunArgs),
    /// Show what the cache dir holds, or prune old run outputs and unused virtualenvs.
    Cache(crate::commands::cache::CacheArgs),
}

/// `serve` options.
#[derive(Debug, Clone, Args)]
#[command(after_help = "\
Security:
  Every request to /mcp needs `Authorization: Bearer TOKEN` when tokens are configured
  (MCP_PIPELINES_AUTH_TOKENS or --auth-token-file) or an OAuth issuer is given
  (--oauth-issuer: access tokens are JWTs for this server's audience, with scope
  pipelines:read, plus pipelines:run for run_locally). Binding to a non-loopback address
  without any token is refused unless --insecure-no-auth is given. Host and Origin headers
  are checked (DNS-rebinding protection): loopback is allowed; behind a proxy add
  --allowed-host mcp.example.com (and --allowed-origin https://app.example.com for browsers).
  GET /healthz (liveness) and GET /readyz (200 once the docs cache holds a spec) answer
  without auth.")]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8848",
          num_args = 0..=1, default_missing_value = "127.0.0.1:8848")]
    pub http: SocketAddr,

    /// File with bearer tokens, one per line (blank lines and # comments ignored).
    #[arg(long, value_name = "FILE")]
    pub auth_token_file: Option<PathBuf>,

    /// OAuth 2.1: accept access tokens (JWTs) from this authorization server (its issuer
    /// identifier, e.g. https://idp.example). Clients discover it from
    /// /.well-known/oauth-protected-resource; static tokens keep working beside it.
    #[arg(long, value_name = "URL", env = "MCP_PIPELINES_OAUTH_ISSUER")]
    pub oauth_issuer: Option<String>,

    /// OAuth: the audience tokens must name (default: this server's /mcp URL as clients
    /// reach it, e.g. https://mcp.example.com/mcp).
    #[arg(
        long,
        value_name = "URI",
        env = "MCP_PIPELINES_OAUTH_AUDIENCE",
        requires = "oauth_issuer"
    )]
    pub oauth_audience: Option<String>,

    /// OAuth: the issuer's JWKS URL (default: `jwks_uri` from the issuer's metadata).
    #[arg(
        long,
        value_name = "URL",
        env = "MCP_PIPELINES_OAUTH_JWKS_URL",
        requires = "oauth_issuer"
    )]
    pub oauth_jwks_url: Option<String>,

    /// OAuth: the scopes advertised to clients (space-separated). `pipelines:read` covers
    /// docs, schemas, search, validate and scaffold; `run_locally` needs `pipelines:run`.
    #[arg(
        long,
        value_name = "SCOPES",
        env = "MCP_PIPELINES_OAUTH_SCOPES",
        default_value = "pipelines:read pipelines:run"
    )]
    pub oauth_scopes: String,

    /// Extra allowed Host header value (host or host:port); repeatable.
    #[arg(long = "allowed-host", value_name = "H")]
    pub allowed_hosts: Vec<String>,

    /// Extra allowed Origin (scheme://host[:port]); repeatable.
    #[arg(long = "allowed-origin", value_name = "O")]
    pub allowed_origins: Vec<String>,

    /// Allow serving on a non-loopback address without any auth token (not recommended).
    #[arg(long)]
    pub insecure_no_auth: bool,

    /// Offer run_locally to HTTP clients (on their inline files, copied to a fresh temp dir).
    /// Off by default: it executes client-supplied code on this host.
    #[arg(long)]
    pub allow_run: bool,

    /// With --allow-run on a kernel without Landlock: run client code unconfined anyway
    /// (otherwise the server refuses to start).
    #[arg(long, requires = "allow_run")]
    pub allow_run_unsandboxed: bool,

    /// What each run may do through its Replicate proxy (with --allow-run).
    #[command(flatten)]
    pub run_limits: RunLimitArgs,

    /// Largest accepted request body in bytes; larger requests get 413.
    #[arg(long, value_name = "BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// A client must send a complete request head within this time, else the connection is
    /// closed (slow-client protection).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,

    /// A request's body must arrive within this time, else 408.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// A kept-alive connection with no request in flight is closed after this long (at most
    /// --header-read-timeout: waiting for the next request counts as reading its head).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub idle_timeout: Duration,

    /// Most connections open at once. Default: from the open-file limit (raised to its hard
    /// limit at start), leaving room for runs and the store. When full, the connection that
    /// has waited longest without sending complete request headers is closed to make room;
    /// if none is waiting, the newcomer gets 503 with Retry-After.
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,

    /// Most tool calls running at once; more wait in a queue (--max-queued).
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub max_in_flight: usize,

    /// Most tool calls waiting for a free slot (default: 4 × --max-in-flight; 0: no queue).
    /// A call finding the queue full gets 503 with Retry-After.
    #[arg(long, value_name = "N")]
    pub max_queued: Option<usize>,

    /// Longest a queued tool call waits for a slot before it gets 503 with Retry-After.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub queue_timeout: Duration,

    /// Serve Prometheus metrics at GET /metrics on this listener (no auth: restrict access
    /// in front, or prefer --metrics-addr on a private interface).
    #[arg(long)]
    pub metrics: bool,

    /// Serve Prometheus metrics (GET /metrics, plus /readyz and /healthz) on their own
    /// address, e.g. 127.0.0.1:9464. Off by default.
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// On SIGTERM/SIGINT, stop accepting and let in-flight requests finish for up to this
    /// long before exiting.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,
}

/// What one run may do through its Replicate proxy (`serve --allow-run`, `run`). The proxy
/// forwards only the calls `replicate.use()` makes; these limit how much a run may spend.
#[derive(Debug, Clone, Args)]
pub struct RunLimitArgs {
    /// Most predictions one run may create (mocked ones included); more are answered 429.
    /// At most 16 may be unfinished at once.
    #[arg(long, env = "MCP_PIPELINES_MAX_PREDICTIONS", value_name = "N",
          default_value_t = pipelines_tools::run_local::DEFAULT_MAX_PREDICTIONS,
          value_parser = parse_max_predictions)]
    pub max_predictions: usize,

    /// A model runs may call: `owner/*` or `owner/name`; repeatable (env: comma-separated).
    /// Default: any model. Calls to other models are answered 403 with this list.
    #[arg(long = "allow-model", env = "MCP_PIPELINES_ALLOW_MODELS", value_name = "PATTERN",
          value_delimiter = ',', value_parser = parse_model_pattern)]
    pub allow_models: Vec<String>,
}

impl RunLimitArgs {
    /// The proxy limits these flags ask for.
    pub fn limits(&self) -> pipelines_tools::run_local::ProxyLimits {
        pipelines_tools::run_local::ProxyLimits {
            max_predictions: self.max_predictions,
            allow_models: self.allow_models.clone(),
            ..Default::default()
        }
    }
}

fn parse_max_predictions(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{s}` is not a number of predictions (1 or more)")),
    }
}

fn parse_model_pattern(s: &str) -> Result<String, String> {
    let pattern = s.trim();
    pipelines_tools::run_local::ProxyLimits::check_pattern(pattern)?;
    Ok(pattern.to_owned())
}

pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (use e.g. 24h, 90m, 30s)"))
}
