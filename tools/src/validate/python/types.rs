//! Type annotations reduced to a small tree with resolved (qualified) names.

use ruff_python_ast::{Expr, Operator};
use ruff_text_size::Ranged;

use super::Span;
use super::names::Names;

/// An annotation with names resolved through the module's imports
/// (`Dict` from `typing` → `typing.Dict`, `Path` from `cog` → `cog.Path`).
#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    /// A plain name: `str`, `cog.Path`, `Output`.
    Name {
        /// The qualified name.
        name: String,
        /// Where it is written.
        span: Span,
    },
    /// A subscripted generic: `list[str]`, `typing.Dict[str, int]`.
    Generic {
        /// The qualified name of the generic.
        base: String,
        /// Its arguments.
        args: Vec<TypeExpr>,
        /// Where it is written.
        span: Span,
    },
    /// `A | B`, `Union[A, B]`, `Optional[A]` (which adds `None`).
    Union {
        /// The members, flattened.
        members: Vec<TypeExpr>,
        /// Where it is written.
        span: Span,
    },
    /// `None`.
    None {
        /// Where it is written.
        span: Span,
    },
    /// Anything else (a call, a literal…).
    Other {
        /// Where it is written.
        span: Span,
    },
}

impl TypeExpr {
    /// Where the annotation is written.
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Name { span, .. }
            | TypeExpr::Generic { span, .. }
            | TypeExpr::Union { span, .. }
            | TypeExpr::None { span }
            | TypeExpr::Other { span } => *span,
        }
    }

    /// The qualified head name: `list` for `list[str]`, `str` for `str`.
    pub fn head(&self) -> Option<&str> {
        match self {
            TypeExpr::Name { name, .. } => Some(name),
            TypeExpr::Generic { base, .. } => Some(base),
            _ => None,
        }
    }

    /// Whether `None` is one of the allowed values.
    pub fn allows_none(&self) -> bool {
        match self {
            TypeExpr::None { .. } => true,
            TypeExpr::Union { members, .. } => members.iter().any(TypeExpr::allows_none),
            TypeExpr::Name { name, .. } => name == "typing.Any",
            _ => false,
        }
    }

    /// The non-`None` members of a union, or the type itself.
    pub fn without_none(&self) -> Vec<&TypeExpr> {
        match self {
            TypeExpr::Union { members, .. } => members
                .iter()
                .filter(|m| !matches!(m, TypeExpr::None { .. }))
                .collect(),
            TypeExpr::None { .. } => Vec::new(),
            other => vec![other],
        }
    }

    pub(crate) fn from_expr(expr: &Expr, names: &Names) -> TypeExpr {
        let span = Span::from_range(expr.range());
        match expr {
            Expr::NoneLiteral(_) => TypeExpr::None { span },
            Expr::Name(_) | Expr::Attribute(_) => match names.qualify(expr) {
                Some(name) => TypeExpr::Name { name, span },
                None => TypeExpr::Other { span },
            },
            Expr::StringLiteral(s) => {
                let text = s.value.to_str();
                if !text.is_empty()
                    && text.split('.').all(|p| {
                        !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_')
                    })
                {
                    TypeExpr::Name {
                        name: names.qualify_dotted(text),
                        span,
                    }
                } else {
                    TypeExpr::Other { span }
                }
            }
            Expr::BinOp(bin) if bin.op == Operator::BitOr => {
                let mut members = Vec::new();
                for side in [&*bin.left, &*bin.right] {
                    match TypeExpr::from_expr(side, names) {
                        TypeExpr::Union { members: inner, .. } => members.extend(inner),
                        other => members.push(other),
                    }
                }
                TypeExpr::Union { members, span }
            }
            Expr::Subscript(sub) => {
                let Some(base) = names.qualify(&sub.value) else {
                    return TypeExpr::Other { span };
                };
                let args: Vec<TypeExpr> = match &*sub.slice {
                    Expr::Tuple(t) => t
                        .elts
                        .iter()
                        .map(|e| TypeExpr::from_expr(e, names))
                        .collect(),
                    other => vec![TypeExpr::from_expr(other, names)],
                };
                match base.as_str() {
                    "typing.Optional" => {
                        let mut members = args;
                        members.push(TypeExpr::None { span });
                        TypeExpr::Union { members, span }
                    }
                    "typing.Union" => {
                        let mut members = Vec::new();
                        for a in args {
                            match a {
                                TypeExpr::Union { members: inner, .. } => members.extend(inner),
                                other => members.push(other),
                            }
                        }
                        TypeExpr::Union { members, span }
                    }
                    _ => TypeExpr::Generic { base, args, span },
                }
            }
            _ => TypeExpr::Other { span },
        }
    }
}
