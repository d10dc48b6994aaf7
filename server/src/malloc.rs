//! A stdio session runs with glibc's malloc thresholds fixed (issue 24: ≤ 15 MB resident).
//!
//! glibc serves a block of 128 KB or more from its own mapping and returns it to the system
//! when freed, but after freeing one it raises that bar to the freed block's size (up to
//! 32 MB). The docs store opens sled for each operation, and each open allocates two zeroed
//! tables (4 MB and 2 MB): after the first close they no longer get fresh mappings (of which
//! only the pages sled touches become resident) but come from the heap, zeroed in full, and
//! stay there: ≈ 7 MB of a stdio session's ≈ 20. Setting any malloc threshold turns that
//! adjustment off; `mallopt` needs `unsafe`, which this workspace forbids, and glibc reads
//! its environment once, at start. So a stdio server whose environment sets no malloc
//! tuning runs itself again, at once, with `MALLOC_TRIM_THRESHOLD_` at glibc's default
//! (128 KB): same process id and descriptors, ~1 ms more to start. The HTTP server keeps
//! glibc's adjustment (fewer system calls under load). If the run cannot happen (no
//! `/proc/self/exe`), the session goes on as it is.

/// Whether the command line asks for `--stdio` (before any `--`); checked before clap
/// parses it, so the first run does as little as it can. A `--stdio` that turns out to be
/// another flag's value only costs the second run.
pub fn stdio_requested(args: impl Iterator<Item = std::ffi::OsString>) -> bool {
    args.take_while(|a| a != "--").any(|a| a == "--stdio")
}

/// Replaces this process with itself, same arguments, `MALLOC_TRIM_THRESHOLD_` set, unless
/// the environment already tunes malloc; returns only when it does not.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn fix_thresholds() {
    use std::os::unix::process::CommandExt;
    let tuned = std::env::vars_os().any(|(name, _)| {
        let name = name.to_string_lossy();
        name.starts_with("MALLOC_") || name == "GLIBC_TUNABLES"
    });
    if tuned {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    // glibc's default value: it fixes the thresholds, nothing else. Returns only on failure.
    let _ = command
        .args(args)
        .env("MALLOC_TRIM_THRESHOLD_", "131072")
        .exec();
}

/// Other platforms: nothing to do.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn fix_thresholds() {}
