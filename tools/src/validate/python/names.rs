//! Local names resolved through the module's imports (`Dict` → `typing.Dict`).

use std::collections::HashMap;

use ruff_python_ast::Expr;

/// Bare names treated as `typing.X` even when not imported (common in snippets).
const TYPING_BARE: &[&str] = &[
    "Any",
    "AsyncIterator",
    "Dict",
    "Iterator",
    "List",
    "Mapping",
    "Optional",
    "Union",
];

/// Resolves local names through the module's imports.
#[derive(Debug, Default)]
pub(crate) struct Names {
    map: HashMap<String, String>,
}

impl Names {
    /// Records that `local` names the qualified `qualified` (an import binding).
    pub(super) fn bind(&mut self, local: String, qualified: String) {
        self.map.insert(local, qualified);
    }

    fn resolve(&self, id: &str) -> String {
        match self.map.get(id) {
            Some(q) => q.clone(),
            None if TYPING_BARE.contains(&id) => format!("typing.{id}"),
            None => id.to_string(),
        }
    }

    /// The qualified dotted name of a `Name` or `Attribute` chain.
    /// Linear in the chain's length (no recursion, one string).
    pub(crate) fn qualify(&self, expr: &Expr) -> Option<String> {
        let mut attrs: Vec<&str> = Vec::new();
        let mut cur = expr;
        while let Expr::Attribute(a) = cur {
            attrs.push(a.attr.id.as_str());
            cur = &a.value;
        }
        let Expr::Name(n) = cur else {
            return None;
        };
        let mut out = self.resolve(n.id.as_str());
        for attr in attrs.iter().rev() {
            out.push('.');
            out.push_str(attr);
        }
        Some(out)
    }

    pub(crate) fn qualify_dotted(&self, text: &str) -> String {
        match text.split_once('.') {
            Some((first, rest)) => format!("{}.{rest}", self.resolve(first)),
            None => self.resolve(text),
        }
    }
}
