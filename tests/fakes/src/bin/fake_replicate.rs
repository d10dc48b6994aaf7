//! Runs the fake Replicate API standalone, for Python-side tests.
//!
//! Prints its base URL (e.g. `http://127.0.0.1:41234`) as the first line of stdout, then
//! serves until SIGTERM or SIGINT.
//!
//! Options: `--port N` (default 0: any free port), `--require-token TOKEN` (401 without
//! `Authorization: Bearer TOKEN`), `--delay-ms N` (delay every API response).

#![warn(clippy::too_many_lines)]
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use pipelines_test_fakes::replicate::FakeReplicate;

struct Args {
    port: u16,
    token: Option<String>,
    delay_ms: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 0,
        token: None,
        delay_ms: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                args.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "--require-token" => args.token = Some(value("--require-token")?),
            "--delay-ms" => {
                args.delay_ms = value("--delay-ms")?
                    .parse()
                    .map_err(|e| format!("--delay-ms: {e}"))?
            }
            "-h" | "--help" => {
                return Err(
                    "usage: fake-replicate [--port N] [--require-token TOKEN] [--delay-ms N]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fake-replicate: {e}");
            std::process::exit(2);
        }
    };
    let fake = match FakeReplicate::start_on(SocketAddr::from(([127, 0, 0, 1], args.port))).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fake-replicate: cannot bind 127.0.0.1:{}: {e}", args.port);
            std::process::exit(1);
        }
    };
    fake.require_token(args.token.as_deref());
    fake.set_delay(Duration::from_millis(args.delay_ms));
    println!("{}", fake.base_url);
    let _ = std::io::stdout().flush();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake-replicate: {e}");
            std::process::exit(1);
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    drop(fake);
}
