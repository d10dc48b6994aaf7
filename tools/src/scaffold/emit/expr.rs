//! The typed expression tree the planner builds and the emitter alone renders: every value
//! `run()` passes, picks, joins or returns is an [`Expr`], never Python source text.

use std::fmt;

use serde_json::Value as Json;

use super::python;
use crate::scaffold::types::PyType;

/// A name the generated module imports or defines itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sym {
    /// `replicate.get_path_url` (imported from `replicate`).
    GetPathUrl,
    /// `cog.Path`.
    Path,
    /// `cog.Input`.
    Input,
    /// The `replicate` module.
    Replicate,
    /// The `TODO` placeholder function the module defines.
    Todo,
    /// The helper that drops `None` keyword arguments.
    Given,
    /// The module's `class Output(BaseModel)`.
    Output,
}

impl Sym {
    /// The identifier in the generated module.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Sym::GetPathUrl => "get_path_url",
            Sym::Path => "Path",
            Sym::Input => "Input",
            Sym::Replicate => "replicate",
            Sym::Todo => "TODO",
            Sym::Given => "given",
            Sym::Output => "Output",
        }
    }
}

/// What an index takes: an item of a list or a field of an object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Key {
    Item(usize),
    Field(String),
}

/// One argument of a call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Pos(Expr),
    Kw(String, Expr),
    /// `**mapping`.
    Spread(Expr),
}

impl Arg {
    /// The argument's expression.
    pub(crate) fn expr(&self) -> &Expr {
        match self {
            Arg::Pos(e) | Arg::Kw(_, e) | Arg::Spread(e) => e,
        }
    }

    /// What the emitter writes before the expression (`name=`, `**`).
    pub(crate) fn prefix(&self) -> String {
        match self {
            Arg::Pos(_) => String::new(),
            Arg::Kw(k, _) => format!("{k}="),
            Arg::Spread(_) => "**".to_string(),
        }
    }
}

/// An expression of the generated `main.py`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// A local or module-level variable.
    Name(String),
    /// A name imported or defined by the module.
    Sym(Sym),
    /// A literal (a string, a number, a list of them…), typed for its target.
    Lit { value: Json, ty: Option<PyType> },
    /// `value.attr`.
    Attr(Box<Expr>, String),
    /// `value[0]`, `value["field"]`.
    Index(Box<Expr>, Key),
    /// `callee(args)`.
    Call(Box<Expr>, Vec<Arg>),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `[elt for var in iter …]` (`list`), or the bare generator inside a call.
    Comp {
        elt: Box<Expr>,
        loops: Vec<(String, Expr)>,
        list: bool,
    },
    /// `"sep".join(items)`: the items of a list of texts as one string.
    Join { sep: String, items: Box<Expr> },
    /// `TODO("text", about)`: a decision left to the agent, handed the value it is about.
    Todo {
        text: String,
        about: Option<Box<Expr>>,
    },
}

impl Expr {
    /// A variable.
    pub(crate) fn name(n: impl Into<String>) -> Expr {
        Expr::Name(n.into())
    }

    /// A string literal.
    pub(crate) fn str(s: &str) -> Expr {
        Expr::Lit {
            value: Json::String(s.to_string()),
            ty: None,
        }
    }

    /// `callee(args)`.
    pub(crate) fn call(callee: Expr, args: Vec<Arg>) -> Expr {
        Expr::Call(Box::new(callee), args)
    }

    /// `self.method()`.
    pub(crate) fn method(self, method: &str) -> Expr {
        Expr::call(Expr::Attr(Box::new(self), method.to_string()), Vec::new())
    }

    /// `self[i]`.
    pub(crate) fn item(self, i: usize) -> Expr {
        Expr::Index(Box::new(self), Key::Item(i))
    }

    /// `self["field"]`.
    pub(crate) fn field(self, f: &str) -> Expr {
        Expr::Index(Box::new(self), Key::Field(f.to_string()))
    }

    /// `get_path_url(self)`: a model file as its URL.
    pub(crate) fn url(self) -> Expr {
        Expr::call(Expr::Sym(Sym::GetPathUrl), vec![Arg::Pos(self)])
    }

    /// `Path(self)`.
    pub(crate) fn path(self) -> Expr {
        Expr::call(Expr::Sym(Sym::Path), vec![Arg::Pos(self)])
    }

    /// `[elt(var) for var in self]` (a list) or the same generator.
    pub(crate) fn each(self, var: &str, elt: Expr, list: bool) -> Expr {
        Expr::Comp {
            elt: Box::new(elt),
            loops: vec![(var.to_string(), self)],
            list,
        }
    }

    /// Whether the variable `name` is read anywhere in the expression.
    pub(crate) fn mentions(&self, name: &str) -> bool {
        let mut found = false;
        self.walk(&mut |e| found |= matches!(e, Expr::Name(n) if n == name));
        found
    }

    /// Calls `f` on this expression and every expression inside it.
    pub(crate) fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Name(_) | Expr::Sym(_) | Expr::Lit { .. } => {}
            Expr::Attr(e, _) | Expr::Index(e, _) => e.walk(f),
            Expr::Call(callee, args) => {
                callee.walk(f);
                args.iter().for_each(|a| a.expr().walk(f));
            }
            Expr::List(items) => items.iter().for_each(|i| i.walk(f)),
            Expr::Comp { elt, loops, .. } => {
                elt.walk(f);
                loops.iter().for_each(|(_, iter)| iter.walk(f));
            }
            Expr::Join { items, .. } => items.walk(f),
            Expr::Todo { about, .. } => {
                if let Some(a) = about {
                    a.walk(f);
                }
            }
        }
    }

    /// A `TODO(...)` placeholder as the call it is written as.
    pub(crate) fn todo_call(text: &str, about: Option<&Expr>) -> (Expr, Vec<Arg>) {
        let mut args = vec![Arg::Pos(Expr::str(text))];
        if let Some(a) = about {
            args.push(Arg::Pos(a.clone()));
        }
        (Expr::Sym(Sym::Todo), args)
    }
}

/// The flat (one-line) form, also used in messages.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Name(n) => f.write_str(n),
            Expr::Sym(s) => f.write_str(s.name()),
            Expr::Lit { value, ty } => f.write_str(
                &python::literal(value, ty.as_ref()).unwrap_or_else(|| "None".to_string()),
            ),
            Expr::Attr(e, a) => write!(f, "{e}.{a}"),
            Expr::Index(e, Key::Item(i)) => write!(f, "{e}[{i}]"),
            Expr::Index(e, Key::Field(k)) => write!(f, "{e}[{}]", python::string(k)),
            Expr::Call(callee, args) => write!(f, "{callee}({})", flat_args(args)),
            Expr::List(items) => write!(f, "[{}]", joined(items)),
            Expr::Comp { elt, loops, list } => {
                let body = comp_body(elt, loops);
                if *list {
                    write!(f, "[{body}]")
                } else {
                    f.write_str(&body)
                }
            }
            Expr::Join { sep, items } => write!(f, "{}.join({items})", python::string(sep)),
            Expr::Todo { text, about } => {
                let (callee, args) = Expr::todo_call(text, about.as_deref());
                write!(f, "{callee}({})", flat_args(&args))
            }
        }
    }
}

fn joined(items: &[Expr]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn flat_args(args: &[Arg]) -> String {
    args.iter()
        .map(|a| format!("{}{}", a.prefix(), a.expr()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn comp_body(elt: &Expr, loops: &[(String, Expr)]) -> String {
    let mut out = elt.to_string();
    for (var, iter) in loops {
        out.push_str(&format!(" for {var} in {iter}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_forms() {
        let images = Expr::name("images");
        let join = Expr::Join {
            sep: ",".into(),
            items: Box::new(images.clone().each("file", Expr::name("file").url(), false)),
        };
        assert_eq!(
            join.to_string(),
            "\",\".join(get_path_url(file) for file in images)"
        );
        assert_eq!(
            images.clone().field("video").item(0).to_string(),
            "images[\"video\"][0]"
        );
        let todo = Expr::Todo {
            text: "pick \"one\"".into(),
            about: Some(Box::new(images.clone())),
        };
        assert_eq!(todo.to_string(), "TODO('pick \"one\"', images)");
        assert!(todo.mentions("images"));
        assert!(!todo.mentions("image"));
        assert_eq!(
            Expr::name("token").method("get_secret_value").to_string(),
            "token.get_secret_value()"
        );
    }
}
