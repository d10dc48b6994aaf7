use super::helpers::is_list;
use crate::validate::python::TypeExpr;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags predict parameters of a type cog does not take as input: only `str`, `int`,
    /// `float`, `bool`, `cog.Path`, `cog.Secret`, `cog.File`, their lists and optionals.
    ///
    /// ## Why is this bad?
    /// Inputs travel as JSON; cog cannot build a schema for other types (`dict`, `tuple`,
    /// `Any`, custom classes) and the model fails to load.
    ///
    /// ## Example
    /// ```python
    /// def run(options: dict) -> str: ...
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def run(width: int, height: int) -> str: ...
    /// ```
    pub(crate) static PY013 = {
        code: "PY013",
        name: "unsupported-input-type",
        severity: Error,
        cites: ["cog/types"],
        check: check,
    };
}

const SCALARS: &[&str] = &[
    "str",
    "int",
    "float",
    "bool",
    "Path",
    "Secret",
    "File",
    "cog.Path",
    "cog.Secret",
    "cog.File",
    "cog.types.Path",
    "cog.types.Secret",
    "cog.types.File",
    "pathlib.Path",
];

fn supported(t: &TypeExpr, allow_list: bool) -> bool {
    match t {
        TypeExpr::Name { name, .. } => SCALARS.contains(&name.as_str()),
        TypeExpr::Generic { base, args, .. } if allow_list && is_list(base) => {
            args.len() == 1 && args.iter().all(|a| supported(a, false))
        }
        TypeExpr::Union { .. } => {
            let members = t.without_none();
            members.len() == 1 && members.iter().all(|m| supported(m, allow_list))
        }
        _ => false,
    }
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    for param in ctx.run_params() {
        let Some(annotation) = &param.annotation else {
            continue;
        };
        if supported(annotation, true) {
            continue;
        }
        out.push(Finding::new(
            ctx.py_at(annotation.span()),
            format!(
                "`{}` has type `{}`, which is not a supported input type",
                param.name,
                py.text(annotation.span())
            ),
            "Use str, int, float, bool, Path or Secret (from cog), a list of one of them, or \
             `T | None`; split structured values into several inputs",
        ));
    }
}
