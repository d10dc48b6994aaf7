//! Module-level classes and functions: signatures, defaults, fields, `BaseModel` bases.

use std::collections::HashSet;

use ruff_python_ast::{Expr, Parameters, Stmt, StmtClassDef, StmtFunctionDef};

use super::Span;
use super::literal::Literal;
use super::names::Names;
use super::types::TypeExpr;

/// A parameter default.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultKind {
    /// No default.
    Missing,
    /// `= None`.
    None,
    /// `= Input(...)`, with its `default` when given.
    Input {
        /// The `default=` value.
        default: Option<Literal>,
    },
    /// Any other default.
    Value,
}

/// A function parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    /// Its name.
    pub name: String,
    /// Where the name is written.
    pub span: Span,
    /// The annotation.
    pub annotation: Option<TypeExpr>,
    /// The default.
    pub default: DefaultKind,
    /// What `Input(choices=…, ge=…, le=…)` allows, when those are literals.
    pub allowed: Allowed,
}

/// The values a `cog.Input` allows, from its literal `choices`, `ge` and `le`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Allowed {
    /// `choices=[…]`.
    pub choices: Option<Vec<Literal>>,
    /// `ge=`.
    pub ge: Option<f64>,
    /// `le=`.
    pub le: Option<f64>,
}

/// A function (module level, or a method).
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionInfo {
    /// Its name.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// Where the `)` closing the parameters ends (where `-> T` would go).
    pub params_end: u32,
    /// The parameters (excluding `*args`/`**kwargs`).
    pub params: Vec<ParamInfo>,
    /// `*args`, `**kwargs` as written.
    pub varargs: Vec<(String, Span)>,
    /// The return annotation.
    pub returns: Option<TypeExpr>,
}

/// An annotated class attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldInfo {
    /// Its name.
    pub name: String,
    /// Where the name is written.
    pub span: Span,
    /// Its annotation.
    pub annotation: TypeExpr,
}

/// A module-level class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassInfo {
    /// Its name.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// The qualified names of its bases.
    pub bases: Vec<String>,
    /// Whether it derives (directly or through another class here) from a `BaseModel`.
    pub is_base_model: bool,
    /// Annotated attributes.
    pub fields: Vec<FieldInfo>,
    /// Methods.
    pub methods: Vec<FunctionInfo>,
    /// `name = "…"` style string attributes.
    pub string_attrs: Vec<(String, String)>,
}

/// A module-level class: its bases, fields, methods and string attributes.
pub(super) fn class_info(c: &StmtClassDef, names: &Names) -> ClassInfo {
    let mut info = ClassInfo {
        name: c.name.id.as_str().to_owned(),
        name_span: Span::from_range(c.name.range),
        bases: Vec::new(),
        is_base_model: false,
        fields: Vec::new(),
        methods: Vec::new(),
        string_attrs: Vec::new(),
    };
    let bases: Vec<String> = c
        .arguments
        .iter()
        .flat_map(|a| a.args.iter())
        .filter_map(|b| names.qualify(b))
        .collect();
    info.is_base_model = bases
        .iter()
        .any(|b| b == "BaseModel" || b.ends_with(".BaseModel"));
    for item in &c.body {
        match item {
            Stmt::AnnAssign(a) => {
                if let Expr::Name(n) = &*a.target {
                    info.fields.push(FieldInfo {
                        name: n.id.as_str().to_owned(),
                        span: Span::from_range(n.range),
                        annotation: TypeExpr::from_expr(&a.annotation, names),
                    });
                }
            }
            Stmt::Assign(a) => {
                if let ([Expr::Name(n)], Expr::StringLiteral(s)) = (a.targets.as_slice(), &*a.value)
                {
                    info.string_attrs
                        .push((n.id.as_str().to_owned(), s.value.to_str().to_string()));
                }
            }
            Stmt::FunctionDef(f) => info.methods.push(function_info(f, names)),
            _ => {}
        }
    }
    info.bases = bases;
    info
}

pub(super) fn resolve_base_models(classes: &mut [ClassInfo]) {
    let bases: Vec<Vec<String>> = classes.iter().map(|c| c.bases.clone()).collect();
    loop {
        let models: HashSet<String> = classes
            .iter()
            .filter(|c| c.is_base_model)
            .map(|c| c.name.clone())
            .collect();
        let mut changed = false;
        for (class, bases) in classes.iter_mut().zip(&bases) {
            if !class.is_base_model && bases.iter().any(|b| models.contains(b)) {
                class.is_base_model = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

pub(super) fn function_info(f: &StmtFunctionDef, names: &Names) -> FunctionInfo {
    let p: &Parameters = &f.parameters;
    let params = p
        .iter_non_variadic_params()
        .map(|pw| ParamInfo {
            name: pw.parameter.name.id.as_str().to_owned(),
            span: Span::from_range(pw.parameter.name.range),
            annotation: pw
                .parameter
                .annotation
                .as_deref()
                .map(|a| TypeExpr::from_expr(a, names)),
            default: default_kind(pw.default.as_deref(), names),
            allowed: allowed(pw.default.as_deref(), names),
        })
        .collect();
    let mut varargs = Vec::new();
    if let Some(v) = &p.vararg {
        varargs.push((format!("*{}", v.name.id), Span::from_range(v.range)));
    }
    if let Some(k) = &p.kwarg {
        varargs.push((format!("**{}", k.name.id), Span::from_range(k.range)));
    }
    FunctionInfo {
        name: f.name.id.as_str().to_owned(),
        name_span: Span::from_range(f.name.range),
        params_end: p.range.end().to_u32(),
        params,
        varargs,
        returns: f.returns.as_deref().map(|r| TypeExpr::from_expr(r, names)),
    }
}

fn allowed(default: Option<&Expr>, names: &Names) -> Allowed {
    let Some(Expr::Call(call)) = default else {
        return Allowed::default();
    };
    if !matches!(
        names.qualify(&call.func).as_deref(),
        Some("cog.Input" | "Input")
    ) {
        return Allowed::default();
    }
    let keyword = |name: &str| {
        call.arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == name))
            .map(|k| Literal::from_expr(&k.value))
    };
    let number = |name: &str| match keyword(name) {
        Some(Literal::Int(i)) => Some(i as f64),
        Some(Literal::Float(f)) => Some(f),
        _ => None,
    };
    Allowed {
        choices: match keyword("choices") {
            Some(Literal::List(items)) if !items.contains(&Literal::Unknown) => Some(items),
            _ => None,
        },
        ge: number("ge"),
        le: number("le"),
    }
}

fn default_kind(default: Option<&Expr>, names: &Names) -> DefaultKind {
    match default {
        None => DefaultKind::Missing,
        Some(Expr::NoneLiteral(_)) => DefaultKind::None,
        Some(Expr::Call(call))
            if matches!(
                names.qualify(&call.func).as_deref(),
                Some("cog.Input" | "Input")
            ) =>
        {
            let keyword = call
                .arguments
                .keywords
                .iter()
                .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == "default"))
                .map(|k| &k.value);
            let value = keyword.or_else(|| call.arguments.args.first());
            DefaultKind::Input {
                default: value.map(Literal::from_expr),
            }
        }
        Some(_) => DefaultKind::Value,
    }
}
