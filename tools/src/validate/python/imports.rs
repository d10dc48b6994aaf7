//! The module's imports, and the local names they bind.

use ruff_python_ast::Stmt;
use ruff_python_ast::visitor::{self, Visitor};

use super::Span;
use super::names::Names;

/// An `import` or `from … import …` statement (anywhere in the file).
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// The dotted module: `os.path` for `import os.path`, `PIL` for `from PIL import Image`;
    /// empty for `from . import x`.
    pub module: String,
    /// Relative import level (0 for absolute).
    pub level: u32,
    /// Where the module name is written.
    pub span: Span,
}

impl Import {
    /// The top-level package: `os` for `os.path`.
    pub fn top(&self) -> &str {
        self.module.split('.').next().unwrap_or_default()
    }
}

/// Every import in `body` (at any depth), and the names the absolute ones bind.
pub(super) fn collect(body: &[Stmt]) -> (Names, Vec<Import>) {
    let mut names = Names::default();
    let mut imports = ImportCollector {
        names: &mut names,
        imports: Vec::new(),
    };
    imports.visit_body(body);
    let imports = imports.imports;
    (names, imports)
}

struct ImportCollector<'n> {
    names: &'n mut Names,
    imports: Vec<Import>,
}

impl<'a> Visitor<'a> for ImportCollector<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(i) => {
                for alias in &i.names {
                    let module = alias.name.id.as_str().to_owned();
                    match &alias.asname {
                        Some(a) => {
                            self.names.bind(a.id.as_str().to_owned(), module.clone());
                        }
                        None => {
                            let top = module.split('.').next().unwrap_or_default().to_string();
                            self.names.bind(top.clone(), top);
                        }
                    }
                    self.imports.push(Import {
                        module,
                        level: 0,
                        span: Span::from_range(alias.name.range),
                    });
                }
            }
            Stmt::ImportFrom(i) => {
                let module = i
                    .module
                    .as_ref()
                    .map(|m| m.id.as_str().to_owned())
                    .unwrap_or_default();
                let span = i.module.as_ref().map_or(i.range, |m| m.range);
                if i.level == 0 {
                    for alias in &i.names {
                        let local = alias.asname.as_ref().unwrap_or(&alias.name);
                        self.names.bind(
                            local.id.as_str().to_owned(),
                            format!("{module}.{}", alias.name.id),
                        );
                    }
                }
                self.imports.push(Import {
                    module,
                    level: i.level,
                    span: Span::from_range(span),
                });
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }
}
