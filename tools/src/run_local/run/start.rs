//! Starting a run: its own copy of the project (sandboxed when asked), the Replicate proxy,
//! the child's environment and system tools, the input schema, and cog's server.

use std::ffi::OsString;
use std::path::Path;
use std::time::Instant;

use super::super::env::{EnvFor, child_env};
use super::super::error::RunError;
use super::super::input_schema::{SCHEMA_FILE, SchemaSpec, write_schema};
use super::super::progress::{Reporter, Stage};
use super::super::proxy::Proxy;
use super::super::result::Timings;
use super::super::rundir::Isolation;
use super::super::server::{CogServer, ServerSpec};
use super::prepare::Prepared;
use super::{RunConfig, blocking, millis};

/// A started run: cog's server, the proxy it calls Replicate through, and what confines it.
pub(super) struct Running {
    pub(super) server: CogServer,
    pub(super) proxy: Proxy,
    pub(super) isolation: Isolation,
}

/// Starts cog's server on the run's copy of the project, behind the run's proxy.
pub(super) async fn start(
    p: &mut Prepared,
    config: &RunConfig,
    reporter: &Reporter,
    timings: &mut Timings,
) -> Result<Running, RunError> {
    // The real path (see `RunConfig::run_root`).
    let venv_dir = std::fs::canonicalize(&p.venv.path).unwrap_or_else(|_| p.venv.path.clone());
    let mut isolation = isolate(p, &venv_dir, config).await?;
    p.warnings.append(&mut isolation.warnings);
    reporter.stage(Stage::Start, "starting the cog server");
    // The child talks to Replicate only through this proxy, with a per-run token.
    let proxy = super::super::proxy::start_limited(
        config.replicate_base_url.as_deref(),
        config.replicate_api_token.as_deref(),
        &p.mocks,
        config.proxy_limits.clone(),
    )
    .await?;
    tracing::debug!(
        port = proxy.port(),
        "the run's Replicate proxy listens on 127.0.0.1"
    );
    let mut env = run_env(config, &proxy);
    isolation.add_env(&mut env, &p.project.predict);
    offer_system_tools(&mut env, p, &venv_dir, &isolation, config)?;
    let t = Instant::now();
    write_input_schema(p, &venv_dir, &isolation, env.clone()).await;
    timings.schema_ms = millis(t);
    let server = CogServer::start(
        ServerSpec {
            venv_dir: &venv_dir,
            project_dir: &isolation.dir.project,
            predict: &p.project.predict,
            cog_version: &p.venv.cog_version,
            env,
            log_cap: config.log_cap,
            sandbox: isolation.sandbox.as_ref(),
        },
        reporter,
    )?;
    isolation.reaper.watch(server.pgid());
    Ok(Running {
        server,
        proxy,
        isolation,
    })
}

/// The run's copy of the project, sandboxed when asked: blocking work, up to its size limit.
async fn isolate(p: &Prepared, venv_dir: &Path, config: &RunConfig) -> Result<Isolation, RunError> {
    let project_dir = p.project.dir.clone();
    let venv_dir = venv_dir.to_path_buf();
    let temp_dir = Some(p.run_root.clone());
    let sandbox = p.sandbox;
    let ports = config.sandbox_connect_ports.clone();
    blocking(move || {
        Isolation::prepare(
            &project_dir,
            &venv_dir,
            temp_dir.as_deref(),
            sandbox,
            ports.as_deref(),
        )
    })
    .await
}

/// The runtime's system tools: this machine's, and ffmpeg from imageio-ffmpeg, put first on
/// the child's `PATH`; a tool the pipeline runs that is missing gets a warning.
fn offer_system_tools(
    env: &mut Vec<(OsString, OsString)>,
    p: &mut Prepared,
    venv_dir: &Path,
    isolation: &Isolation,
    config: &RunConfig,
) -> Result<(), RunError> {
    let path = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone());
    let tools = super::super::system_tools::offer(
        &config.runtime_system_tools,
        path.as_deref(),
        venv_dir,
        &isolation.dir.harness,
    )?;
    if let Some(bin) = &tools.bin {
        let mut paths = vec![bin.clone()];
        paths.extend(path.iter().flat_map(std::env::split_paths));
        if let Ok(joined) = std::env::join_paths(paths) {
            env.retain(|(k, _)| k != "PATH");
            env.push(("PATH".into(), joined));
        }
    }
    p.warnings
        .extend(super::super::system_tools::warnings(&tools, &p.tools_used));
    p.runtime.system_tools = tools.present;
    p.runtime.missing_system_tools = tools.missing;
    Ok(())
}

/// cog checks inputs against the schema `cog build` writes; without it, anything goes. Not
/// writing it is a warning, not a failure.
async fn write_input_schema(
    p: &mut Prepared,
    venv_dir: &Path,
    isolation: &Isolation,
    env: Vec<(OsString, OsString)>,
) {
    if let Err(why) = write_schema(SchemaSpec {
        venv_dir,
        project_dir: &isolation.dir.project,
        predict: &p.project.predict,
        env,
        sandbox: isolation.sandbox.as_ref(),
    })
    .await
    {
        p.warnings.push(format!(
            "could not write {SCHEMA_FILE} ({why}): cog did not check the inputs against run()'s signature as Replicate does"
        ));
    }
}

/// The child's environment: the config's extra variables and the proxy's, never the real
/// token.
fn run_env(config: &RunConfig, proxy: &Proxy) -> Vec<(OsString, OsString)> {
    let mut overrides: Vec<(OsString, OsString)> = config
        .extra_env
        .iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    overrides.extend(proxy.child_env());
    let mut env = child_env(std::env::vars_os(), overrides, EnvFor::Run);
    // The real token never reaches the child, whatever variable carries it.
    if let Some(token) = &config.replicate_api_token {
        env.retain(|(_, v)| v.to_str() != Some(token.as_str()));
    }
    env
}
