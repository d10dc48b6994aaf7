//! Literal values as written in the source.

use ruff_python_ast::{Expr, Number, UnaryOp};

/// A literal value as written in the source (what PY019 can check).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// `True`/`False`.
    Bool(bool),
    /// `None`.
    None,
    /// A list or tuple of literals.
    List(Vec<Literal>),
    /// Not a literal (a variable, a call…).
    Unknown,
}

impl Literal {
    pub(super) fn from_expr(expr: &Expr) -> Literal {
        match expr {
            Expr::StringLiteral(s) => Literal::Str(s.value.to_str().to_string()),
            Expr::NumberLiteral(n) => match &n.value {
                Number::Int(i) => i.as_i64().map_or(Literal::Unknown, Literal::Int),
                Number::Float(f) => Literal::Float(*f),
                Number::Complex { .. } => Literal::Unknown,
            },
            Expr::BooleanLiteral(b) => Literal::Bool(b.value),
            Expr::NoneLiteral(_) => Literal::None,
            Expr::UnaryOp(u) if u.op == UnaryOp::USub => match Literal::from_expr(&u.operand) {
                Literal::Int(i) => Literal::Int(-i),
                Literal::Float(f) => Literal::Float(-f),
                _ => Literal::Unknown,
            },
            Expr::List(l) => Literal::List(l.elts.iter().map(Literal::from_expr).collect()),
            Expr::Tuple(t) => Literal::List(t.elts.iter().map(Literal::from_expr).collect()),
            _ => Literal::Unknown,
        }
    }
}
