//! Programs a Python file runs by a literal name: `subprocess.run(["ffprobe", …])`,
//! `os.system("ffmpeg -i …")`, `shutil.which("ffprobe")` and their kin. Computed names
//! (`[tool, …]`, f-strings) are not guessed at. Found while the file is parsed
//! ([`super::Usage::tools`]).

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

use super::Span;
use super::names::Names;

/// Calls whose first argument is a program: a list whose first item is the program, or a
/// command line whose first word is.
const RUNNERS: &[&str] = &[
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.Popen",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "os.system",
    "os.popen",
    "os.execv",
    "os.execvp",
    "os.execl",
    "os.execlp",
    "os.spawnvp",
    "os.spawnlp",
    "asyncio.create_subprocess_exec",
    "asyncio.create_subprocess_shell",
    "shutil.which",
];

/// The programs of the runtime's system packages: imagemagick's commands, ffmpeg's pair.
pub fn executables_of(package: &str) -> Vec<String> {
    match package {
        "imagemagick" => [
            "magick",
            "convert",
            "identify",
            "mogrify",
            "composite",
            "montage",
            "compare",
        ]
        .map(str::to_owned)
        .to_vec(),
        "ffmpeg" => vec!["ffmpeg".into(), "ffprobe".into()],
        other => vec![other.to_owned()],
    }
}

/// One program run by a literal name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolUse {
    /// The program's name (its basename when written as a path).
    pub tool: String,
    /// Where the name is written.
    pub span: Span,
}

/// The programs a parsed module runs by literal name (`names`: its imports), in source order.
pub(crate) fn tool_uses_in(module: &ruff_python_ast::ModModule, names: &Names) -> Vec<ToolUse> {
    let mut finder = Finder {
        names,
        found: Vec::new(),
    };
    finder.visit_body(&module.body);
    finder.found
}

struct Finder<'n> {
    names: &'n Names,
    found: Vec<ToolUse>,
}

impl<'a> Visitor<'a> for Finder<'_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr
            && let Some(found) = self.tool_of(call)
        {
            self.found.push(found);
        }
        visitor::walk_expr(self, expr);
    }
}

impl Finder<'_> {
    fn tool_of(&self, call: &ExprCall) -> Option<ToolUse> {
        let callee = self.names.qualify(&call.func)?;
        if !RUNNERS.contains(&callee.as_str()) {
            return None;
        }
        let arg = call.arguments.args.first().or_else(|| {
            call.arguments
                .keywords
                .iter()
                .find(|k| {
                    k.arg
                        .as_ref()
                        .is_some_and(|a| matches!(a.id.as_str(), "args" | "cmd" | "command"))
                })
                .map(|k| &k.value)
        })?;
        let literal = match arg {
            Expr::List(l) => l.elts.first()?,
            Expr::Tuple(t) => t.elts.first()?,
            other => other,
        };
        let Expr::StringLiteral(s) = literal else {
            return None;
        };
        let text = s.value.to_str();
        let word = text.split_whitespace().next()?;
        let tool = word.rsplit('/').next().unwrap_or(word);
        let plain = !tool.is_empty()
            && tool
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'));
        plain.then(|| ToolUse {
            tool: tool.to_owned(),
            span: Span::from_range(literal.range()),
        })
    }
}

#[cfg(test)]
mod tests {
    fn tools(source: &str) -> Vec<String> {
        super::super::PythonFile::parse("main.py", source)
            .usage
            .tools
            .into_iter()
            .map(|t| t.tool)
            .collect()
    }

    #[test]
    fn finds_programs_named_by_literals() {
        let source = r#"
import os
import shutil
import subprocess as sp
from subprocess import run

def go(path, tool):
    sp.run(["ffprobe", "-v", "error", path], check=True)
    run(("/usr/bin/sox", path))
    os.system("gifsicle -O3 a.gif")
    shutil.which("exiftool")
    sp.check_output(args=["curl", "-s"])
    sp.run([tool, path])
    sp.run(f"{tool} -i x", shell=True)
"#;
        assert_eq!(
            tools(source),
            ["ffprobe", "sox", "gifsicle", "exiftool", "curl"]
        );
    }

    #[test]
    fn ignores_look_alikes() {
        let source = r#"
def run(args):
    return args

run(["sox"])
which = lambda name: name
which("ffprobe")
"#;
        assert!(tools(source).is_empty());
    }
}
