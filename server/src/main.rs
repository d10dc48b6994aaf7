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
mod prompts;
mod render;
mod state;
mod stdio;

use std::{process::ExitCode, sync::Arc};

use anyhow::Context;
use clap::{CommandFactory, Parser};

use crate::{
    cli::{Cli, Command, ServeArgs},
    config::Config,
    state::AppState,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
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
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr, always: in stdio mode stdout is the protocol.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rmcp=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::from_args(&cli.global)?;
    match cli.command {
        Some(Command::Serve(args)) => {
            let mut state = AppState::new(config)?;
            state.hosted = true;
            state.allow_run = args.allow_run;
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
            let state = Arc::new(state);
            http::serve(state.clone(), http_options(&args)?).await?;
            state.flush().await;
            Ok(ExitCode::SUCCESS)
        }
        Some(command) => {
            let state = AppState::new(config)?;
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
            let state = Arc::new(AppState::new(config)?);
            stdio::serve(state.clone()).await?;
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
    Ok(http::HttpOptions {
        addr: args.http,
        tokens,
        allowed_hosts: args.allowed_hosts.clone(),
        allowed_origins: args.allowed_origins.clone(),
        max_body_bytes: args.max_body_bytes,
        insecure_no_auth: args.insecure_no_auth,
    })
}
