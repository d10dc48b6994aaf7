use super::helpers::{is_list, model_class, walk_type};
use crate::validate::python::TypeExpr;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a predict function that returns a list of `BaseModel` objects
    /// (`list[Output]`, `List[Output]`).
    ///
    /// ## Why is this bad?
    /// Lists of custom output classes are not supported; only lists of primitives and files
    /// are.
    ///
    /// ## Example
    /// ```python
    /// def run() -> list[Output]:
    ///     return [Output(text="a"), Output(text="b")]
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def run() -> list[str]:
    ///     return ["a", "b"]
    /// ```
    pub(crate) static PY005 = {
        code: "PY005",
        name: "list-of-output-class",
        severity: Error,
        cites: ["cog/outputs"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(returns) = ctx.run_function().and_then(|f| f.returns.as_ref()) else {
        return;
    };
    let mut nodes = Vec::new();
    walk_type(returns, &mut nodes);
    for node in nodes {
        let TypeExpr::Generic { base, args, span } = node else {
            continue;
        };
        if !is_list(base) {
            continue;
        }
        if let Some(class) = args.iter().find_map(|a| model_class(ctx, a)) {
            out.push(Finding::new(
                ctx.py_at(*span),
                format!(
                    "returning a list of `{}` objects is not supported",
                    class.name
                ),
                "Return a list of primitives or files (`list[str]`, `list[Path]`), or one \
                 `Output` with separate singular fields",
            ));
        }
    }
}
