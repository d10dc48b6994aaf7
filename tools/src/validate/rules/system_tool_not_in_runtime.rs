use crate::validate::python::system_tools::executables_of;
use crate::validate::rule::{Context, Finding, Findings, Location, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a program run by a literal name (`subprocess.run(["sox", …])`,
    /// `os.system("gifsicle …")`, `shutil.which("exiftool")`) that is neither one of the
    /// runtime's system packages (curl, ffmpeg, ffprobe, imagemagick's commands) nor a basic
    /// command every Linux image has (`sh`, `ls`, `cp`, `python`…). Computed program names
    /// are not flagged. Checks the predict file and the local modules it imports.
    ///
    /// ## Why is this bad?
    /// The pipelines runtime has a fixed set of system packages and `cog.yaml` cannot add
    /// any: a program installed on the developer's machine runs locally and is missing on
    /// Replicate, where the call fails (or a `which()` fallback silently changes behaviour).
    ///
    /// ## Example
    /// ```python
    /// subprocess.run(["sox", str(song), "-r", "16000", "/tmp/out.wav"], check=True)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// subprocess.run(["ffmpeg", "-i", str(song), "-ar", "16000", "/tmp/out.wav"], check=True)
    /// ```
    pub(crate) static PY033 = {
        code: "PY033",
        name: "system-tool-not-in-runtime",
        severity: Warning,
        cites: ["runtime"],
        check: check,
    };
}

/// Commands of any Debian-based image (essential packages), never flagged.
const BASE_COMMANDS: &[&str] = &[
    "sh",
    "bash",
    "dash",
    "env",
    "python",
    "python3",
    "pip",
    "pip3",
    "ls",
    "cp",
    "mv",
    "rm",
    "mkdir",
    "rmdir",
    "cat",
    "echo",
    "printf",
    "true",
    "false",
    "test",
    "sleep",
    "touch",
    "chmod",
    "chown",
    "ln",
    "head",
    "tail",
    "wc",
    "sort",
    "uniq",
    "cut",
    "tr",
    "grep",
    "egrep",
    "sed",
    "awk",
    "find",
    "xargs",
    "tar",
    "gzip",
    "gunzip",
    "zcat",
    "date",
    "uname",
    "id",
    "whoami",
    "pwd",
    "du",
    "df",
    "stat",
    "readlink",
    "realpath",
    "basename",
    "dirname",
    "tee",
    "sha256sum",
    "sha1sum",
    "md5sum",
    "base64",
    "mktemp",
    "nproc",
    "kill",
    "which",
    "nice",
    "timeout",
    "split",
    "cmp",
    "diff",
    "od",
    "seq",
    "yes",
    "dd",
    "sync",
    "hostname",
];

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    let files = || std::iter::once(py).chain(ctx.project.local_modules.iter().map(AsRef::as_ref));
    if files().all(|file| file.usage.tools.is_empty()) {
        return;
    }
    let mut runtime: Vec<String> = Vec::new();
    for program in ctx
        .rulebook
        .system_packages
        .iter()
        .flat_map(|p| executables_of(&p.value))
    {
        if !runtime.contains(&program) {
            runtime.push(program);
        }
    }
    let listed = runtime.join(", ");
    for file in files() {
        for found in &file.usage.tools {
            let tool = found.tool.as_str();
            let versioned_python = tool.starts_with("python3.");
            if runtime.iter().any(|r| r == tool)
                || BASE_COMMANDS.contains(&tool)
                || versioned_python
            {
                continue;
            }
            out.push(Finding::new(
                Location::of_span(file, found.span),
                format!("`{tool}` is not a system package of the pipelines runtime"),
                format!(
                    "Use one the runtime has ({listed}) or a runtime Python package; `{tool}` \
                     is missing on Replicate even if this machine has it"
                ),
            ));
        }
    }
}
