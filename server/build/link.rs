//! Link arguments that keep a stdio session's resident memory small (issue 24), for
//! release-style builds (`--release`, `--profile dist`, and `cargo bench`) of the binary.
//!
//! - **Text order** (`build/text-order.txt`, written by `scripts/text-order`): the kernel
//!   maps the binary's code 64 KB at a time around each page it executes, so code a session
//!   runs that is spread over the whole of `.text` makes nearly all of it resident. The
//!   file lists, by symbol, the functions a stdio session runs; the linker (rust-lld's
//!   `--symbol-ordering-file`) places them together at the start of `.text`. Names the build
//!   does not have are skipped silently: the build never fails for the file, it only gains
//!   less until the file is regenerated. Names hold across checkouts and machines (cargo
//!   hashes a path dependency by its place in the workspace); they change with the toolchain,
//!   the profile, a dependency of the crate, and, for the ~15 % with a `.llvm.<hash>` suffix
//!   (functions shared between a crate's codegen units), with an edit to their crate: editing
//!   the docs store without regenerating cost ~0.9 MB of the ~9 MB saved.
//! - **Strip** by a link argument rather than the profile's `strip`: the profile is part of
//!   the hash in every Rust symbol name, so the symbols a profiling build keeps
//!   (`MCP_PIPELINES_KEEP_SYMBOLS=1`) name the functions of the build that ships only if both
//!   use the same profile.
//! - **Packed relative relocations** (`-z pack-relative-relocs`, DT_RELR): the dynamic loader
//!   reads ~1 MB of relocation records at every start otherwise. The binary then needs
//!   glibc ≥ 2.36, so it is used only when building for this machine and its glibc has it.

use std::{env, path::Path, process::Command};

/// Emits the link arguments for the binary; `manifest` is the server crate's directory.
pub fn configure(manifest: &Path) {
    println!("cargo:rerun-if-env-changed=MCP_PIPELINES_KEEP_SYMBOLS");
    let order = manifest.join("build/text-order.txt");
    println!("cargo:rerun-if-changed={}", order.display());
    let var = |name: &str| env::var(name).unwrap_or_default();
    let linux = var("CARGO_CFG_TARGET_OS") == "linux";
    if var("PROFILE") != "release" || !linux {
        return;
    }
    if var("MCP_PIPELINES_KEEP_SYMBOLS").is_empty() {
        println!("cargo:rustc-link-arg-bins=-Wl,--strip-all");
    }
    if !default_rust_lld(&var) {
        return;
    }
    if order.is_file() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
    if var("HOST") == var("TARGET") && host_glibc_has_relr() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether the binary is linked by rustc's default for x86_64 Linux (GNU): `cc` driving the
/// bundled rust-lld (Rust ≥ 1.90). A linker or linker flags chosen by the builder (a
/// `linker` setting, `-C linker…`, `-fuse-ld=…`, `-C link-self-contained`) may be GNU ld or
/// mold, which lack `--symbol-ordering-file`: then nothing is added.
fn default_rust_lld(var: &impl Fn(&str) -> String) -> bool {
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    var("CARGO_CFG_TARGET_ARCH") == "x86_64"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
        && var("RUSTC_LINKER").is_empty()
        && !["linker", "fuse-ld", "link-self-contained"]
            .iter()
            .any(|f| flags.contains(f))
}

/// Whether this machine's glibc loads DT_RELR binaries (2.36 and later).
fn host_glibc_has_relr() -> bool {
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    // "glibc 2.36"
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(version) = text.trim().strip_prefix("glibc ") else {
        return false;
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    out.status.success() && (major, minor) >= (2, 36)
}
