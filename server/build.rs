//! Embeds every `prompts/*.md` and `prompts/guide/*.md` file at build time, so adding a
//! prompt or a guide needs no code change; and sets the release binary's link arguments
//! (`build/link.rs`).

use std::{env, fs, io, path::PathBuf};

#[path = "build/link.rs"]
mod link;

fn main() -> io::Result<()> {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(io::Error::other)?);
    link::configure(&manifest);
    let dir = manifest.join("../prompts");
    let mut out = embed(
        &dir,
        "/// Every `prompts/*.md`, as (file name, text).\npub const PROMPT_FILES",
    )?;
    out.push_str(&embed(
        &dir.join("guide"),
        "/// Every `prompts/guide/*.md` (the guides served as `pipelines://guide/{name}`), as\n/// (file name, text).\npub const GUIDE_FILES",
    )?);
    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(io::Error::other)?);
    fs::write(out_dir.join("prompt_files.rs"), out)
}

/// `NAME: &[(&str, &str)]` holding every `*.md` of `dir`, sorted by name.
fn embed(dir: &std::path::Path, decl: &str) -> io::Result<String> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    let mut out = format!("{decl}: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let abs = fs::canonicalize(f)?;
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            abs.display().to_string()
        ));
    }
    out.push_str("];\n");
    Ok(out)
}
