//! `mcp-pipelines`: the binary. Turns the command line into a [`config::Config`], sets up
//! logging to stderr, and runs MCP over stdio, MCP over HTTP, or a CLI verb. Errors become
//! exit codes here and only here.

mod cli;
mod commands;
mod config;
mod convert;
mod fallback;
mod handler;
mod http;
mod jsonrpc;
mod malloc;
mod prompts;
mod render;
mod state;
mod stdio;

use std::{process::ExitCode, sync::Arc};

use anyhow::Context;
use clap::{CommandFactory, Parser};
use pipelines_tools::request::Mode;

use crate::{
    cli::{Cli, Command, ServeArgs},
    config::Config,
    state::AppState,
};

fn main() -> ExitCode {
    // First, before any work that the second run would repeat.
    if malloc::stdio_requested(std::env::args_os().skip(1)) {
        malloc::fix_thresholds();
    }
    let json_errors = json_requested(std::env::args_os().skip(1));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // A usage error under `--format json` is still one JSON object on stdout.
        Err(e) if json_errors && e.use_stderr() => {
            let message = e.render().to_string();
            eprint!("{message}");
            print_json_error(message.trim().trim_start_matches("error: "));
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    let cli_verb = !matches!(cli.command, None | Some(Command::Serve(_)));
    init_tracing(cli_verb && !cli.verbose && std::env::var_os("RUST_LOG").is_none());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if json_errors {
                print_json_error(&format!("{e:#}"));
            }
            ExitCode::from(2)
        }
    }
}

/// Whether the command line asks for `--format json` (before any `--`).
fn json_requested(args: impl Iterator<Item = std::ffi::OsString>) -> bool {
    let args: Vec<std::ffi::OsString> = args.take_while(|a| a != "--").collect();
    args.iter().enumerate().any(|(i, a)| {
        a == "--format=json" || (a == "--format" && args.get(i + 1).is_some_and(|v| v == "json"))
    })
}

/// The one JSON object a verb prints when it could not run (exit 2).
fn print_json_error(message: &str) {
    use std::io::Write;
    let doc = serde_json::json!({ "ok": false, "error": message });
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{doc:#}");
    let _ = out.flush();
}

/// Logs go to stderr, always: in stdio mode stdout is the protocol. A quiet CLI verb (no
/// `-v`, no `RUST_LOG`) shows no log records but this binary's own warnings and errors,
/// one short line each (`WARN the cache at … cannot be used …`): the libraries' failures
/// reach the user through the verb's own report, not a second time as a record.
fn init_tracing(quiet: bool) {
    if quiet {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("off,mcp_pipelines=warn"))
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .without_time()
            .with_target(false)
            .try_init();
        return;
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rmcp=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| http::LogWriter)
        .with_ansi(false)
        .try_init();
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::from_args(&cli.global)?;
    match cli.command {
        Some(Command::Serve(args)) => {
            let mode = Mode::Hosted {
                allow_run: args.allow_run,
            };
            let mut state = AppState::new(config, mode)?;
            state.proxy_limits = args.run_limits.limits();
            if args.allow_run
                && !args.allow_run_unsandboxed
                && pipelines_tools::run_local::landlock_abi().is_none()
            {
                anyhow::bail!(
                    "--allow-run needs the Landlock sandbox, which this kernel does not offer: \
                     runs would execute client code with this user's full access; pass \
                     --allow-run-unsandboxed to accept that"
                );
            }
            handler::PipelinesServer::prewarm(mode);
            let state = Arc::new(state);
            http::serve(state.clone(), http_options(&args)?).await?;
            state.flush().await;
            Ok(ExitCode::SUCCESS)
        }
        Some(command) => {
            let state = AppState::new(config, Mode::Local)?;
            let code = match command {
                Command::Serve(_) => unreachable_serve(),
                Command::Docs(args) => commands::docs::run(&state, args).await,
                Command::Schema(args) => commands::schema::schema(&state, args).await,
                Command::Search(args) => commands::schema::search(&state, args).await,
                Command::Validate(args) => commands::validate::run(&state, args).await,
                Command::Scaffold(args) => commands::scaffold::run(&state, args).await,
                Command::Run(args) => commands::run::run(&state, args).await,
                Command::Cache(args) => commands::cache::run(&state, args).await,
            };
            // Schemas fetched by this command reach the shared store before we exit.
            state.flush().await;
            code
        }
        None if cli.stdio => {
            // A local server offers `run_locally`; its router builds while state loads.
            handler::PipelinesServer::prewarm(Mode::Local);
            let state = Arc::new(AppState::new(config, Mode::Local)?);
            stdio::serve(
                state.clone(),
                usize::try_from(cli.max_message_bytes).unwrap_or(usize::MAX),
            )
            .await?;
            state.flush().await;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let mut cmd = Cli::command();
            let help = cmd.render_help();
            eprintln!("{help}");
            eprintln!("error: nothing to do: pass --stdio, or a command such as `serve`");
            Ok(ExitCode::from(2))
        }
    }
}

fn unreachable_serve() -> anyhow::Result<ExitCode> {
    anyhow::bail!("`serve` is handled before the CLI verbs")
}

fn http_options(args: &ServeArgs) -> anyhow::Result<http::HttpOptions> {
    let mut tokens: Vec<String> = std::env::var("MCP_PIPELINES_AUTH_TOKENS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(file) = &args.auth_token_file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read --auth-token-file {}", file.display()))?;
        let from_file: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        if from_file.is_empty() {
            anyhow::bail!(
                "--auth-token-file {} holds no token (one per line)",
                file.display()
            );
        }
        tokens.extend(from_file);
    }
    if args.max_body_bytes == 0 {
        anyhow::bail!("--max-body-bytes must be greater than 0");
    }
    let fd_limit = http::fds::raise_nofile_limit();
    let max_connections = match args.max_connections {
        Some(n) => n,
        None => http::fds::default_max_connections(fd_limit),
    };
    if max_connections == 0 || args.max_in_flight == 0 {
        anyhow::bail!("--max-connections and --max-in-flight must be greater than 0");
    }
    if let Some(limit) = fd_limit
        && max_connections as u64 + 32 > limit
    {
        tracing::warn!(
            max_connections,
            open_file_limit = limit,
            "--max-connections leaves little room under the open-file limit for runs and the store"
        );
    }
    for (flag, d) in [
        ("--header-read-timeout", args.header_read_timeout),
        ("--request-timeout", args.request_timeout),
        ("--idle-timeout", args.idle_timeout),
    ] {
        if d.is_zero() {
            anyhow::bail!("{flag} must be greater than 0");
        }
    }
    let oauth = oauth_options(args)?;
    Ok(http::HttpOptions {
        addr: args.http,
        tokens,
        oauth,
        allowed_hosts: args.allowed_hosts.clone(),
        allowed_origins: args.allowed_origins.clone(),
        max_body_bytes: args.max_body_bytes,
        insecure_no_auth: args.insecure_no_auth,
        header_read_timeout: args.header_read_timeout,
        request_timeout: args.request_timeout,
        idle_timeout: args.idle_timeout,
        max_connections,
        max_in_flight: args.max_in_flight,
        max_queued: args
            .max_queued
            .unwrap_or_else(|| args.max_in_flight.saturating_mul(4)),
        queue_timeout: args.queue_timeout,
        metrics: args.metrics,
        metrics_addr: args.metrics_addr,
        shutdown_grace: args.shutdown_grace,
    })
}

fn oauth_options(args: &ServeArgs) -> anyhow::Result<Option<http::auth::OAuthOptions>> {
    let Some(issuer) = args.oauth_issuer.as_deref().map(str::trim) else {
        return Ok(None);
    };
    let check_url = |flag: &str, v: &str| -> anyhow::Result<()> {
        match url::Url::parse(v) {
            Ok(u) if u.scheme() == "https" || u.scheme() == "http" => Ok(()),
            _ => anyhow::bail!("{flag} must be an http(s) URL, got {v:?}"),
        }
    };
    check_url("--oauth-issuer", issuer)?;
    if let Some(j) = &args.oauth_jwks_url {
        check_url("--oauth-jwks-url", j)?;
    }
    let scopes: Vec<String> = args
        .oauth_scopes
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if scopes.is_empty() {
        anyhow::bail!(
            "--oauth-scopes must name at least one scope (e.g. \"pipelines:read pipelines:run\")"
        );
    }
    Ok(Some(http::auth::OAuthOptions {
        issuer: issuer.to_string(),
        audience: args
            .oauth_audience
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string),
        jwks_url: args.oauth_jwks_url.clone(),
        scopes,
    }))
}
