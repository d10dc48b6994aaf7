//! The one Python emitter. The planner builds a typed tree ([`Expr`], [`Stmt`]); only this
//! module writes Python: it owns the identifiers (`names`), literals (`python`), the import
//! set (collected from the names the tree uses) and the line width (`layout`).
//!
//! - `expr` — the expression tree; `layout` — wrapping at 88 columns;
//! - `calls` — the calls of `run()` as statements (independent calls started together);
//! - `module` — the sections of `main.py` (imports, bindings, params, body…).

pub(crate) mod calls;
pub(crate) mod expr;
mod layout;
pub(crate) mod module;
pub(crate) mod names;
pub(crate) mod python;

use std::collections::BTreeSet;

pub(crate) use expr::{Arg, Expr, Sym};
pub(crate) use layout::WIDTH;

use crate::scaffold::types::PyType;

/// A statement of the generated module.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stmt {
    /// `name = value`.
    Assign(String, Expr),
    /// `return value`.
    Return(Expr),
    /// A bare expression (a placeholder call).
    Expr(Expr),
    /// `# text`, wrapped.
    Comment(String),
}

/// The names the module imports, collected from what it uses.
#[derive(Debug, Default)]
pub(crate) struct Imports {
    cog: BTreeSet<&'static str>,
    replicate: bool,
    get_path_url: bool,
}

impl Imports {
    /// Records the imports an expression needs.
    pub(crate) fn expr(&mut self, e: &Expr) {
        e.walk(&mut |e| {
            if let Expr::Sym(s) = e {
                self.sym(*s);
            }
        });
    }

    fn sym(&mut self, s: Sym) {
        match s {
            Sym::GetPathUrl => self.get_path_url = true,
            Sym::Path => {
                self.cog.insert("Path");
            }
            Sym::Input => {
                self.cog.insert("Input");
            }
            Sym::Output => {
                self.cog.insert("BaseModel");
            }
            Sym::Replicate => self.replicate = true,
            Sym::Todo | Sym::Given => {}
        }
    }

    /// Records the imports an annotation needs.
    pub(crate) fn annotation(&mut self, ty: &PyType) {
        if let Some(name) = ty.cog_import() {
            self.cog.insert(name);
        }
    }

    /// The import lines, in the order isort writes them.
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.replicate {
            out.push("import replicate".to_string());
        }
        if !self.cog.is_empty() {
            let names: Vec<&str> = self.cog.iter().copied().collect();
            out.push(format!("from cog import {}", names.join(", ")));
        }
        if self.get_path_url {
            out.push("from replicate import get_path_url".to_string());
        }
        out
    }
}

/// A statement's lines at `indent`, recording its imports.
pub(crate) fn stmt(s: &Stmt, indent: usize, imports: &mut Imports) -> Vec<String> {
    match s {
        Stmt::Assign(name, e) => {
            imports.expr(e);
            layout::lines(indent, &format!("{name} = "), e, "")
        }
        Stmt::Return(e) => {
            imports.expr(e);
            layout::lines(indent, "return ", e, "")
        }
        Stmt::Expr(e) => {
            imports.expr(e);
            layout::lines(indent, "", e, "")
        }
        Stmt::Comment(text) => comment(text, indent),
    }
}

/// A `# ...` comment wrapped at the line width.
pub(crate) fn comment(text: &str, indent: usize) -> Vec<String> {
    let pad = " ".repeat(indent);
    let mut lines = Vec::new();
    let mut line = format!("{pad}#");
    for word in text.split_whitespace() {
        if line.len() > indent + 1 && line.len() + 1 + word.len() > WIDTH {
            lines.push(std::mem::replace(&mut line, format!("{pad}#")));
        }
        line.push(' ');
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// A parameter of `run()`: `name: T = Input(...)`, with its trailing comma.
pub(crate) fn param(name: &str, ty: &str, input: &Expr, imports: &mut Imports) -> Vec<String> {
    imports.expr(input);
    layout::lines(4, &format!("{name}: {ty} = "), input, ",")
}
