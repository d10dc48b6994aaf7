use super::helpers::{is_dict, output_classes, walk_type};
use crate::validate::python::TypeExpr;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a predict function that returns a mapping — `dict`, `dict[...]`, `Dict[...]`,
    /// `Mapping` — anywhere in its return type, and mapping-typed fields of the output class.
    ///
    /// ## Why is this bad?
    /// cog cannot describe a plain dictionary in the model's output schema; the spec forbids
    /// it even though cog accepts it locally.
    ///
    /// ## Example
    /// ```python
    /// def run(prompt: str) -> dict:
    ///     return {"text": prompt, "score": 0.9}
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// from cog import BaseModel
    ///
    /// class Output(BaseModel):
    ///     text: str
    ///     score: float
    ///
    /// def run(prompt: str) -> Output:
    ///     return Output(text=prompt, score=0.9)
    /// ```
    pub(crate) static PY003 = {
        code: "PY003",
        name: "dict-output",
        severity: Error,
        cites: ["cog/outputs"],
        check: check,
    };
}

const FIX: &str = "Define `class Output(BaseModel)` with one typed field per value and return \
                   it (or return a `str`, e.g. JSON text)";

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let (Some(py), Some(f)) = (ctx.python(), ctx.run_function()) else {
        return;
    };
    if let Some(returns) = &f.returns {
        for node in dicts(returns) {
            out.push(Finding::new(
                ctx.py_at(node.span()),
                format!(
                    "`{}` returns `{}`; a mapping is not a supported output type",
                    f.name,
                    py.text(node.span())
                ),
                FIX,
            ));
        }
    }
    for class in output_classes(ctx) {
        for field in &class.fields {
            for node in dicts(&field.annotation) {
                out.push(Finding::new(
                    ctx.py_at(node.span()),
                    format!(
                        "field `{}` of `{}` is a mapping (`{}`), not a supported output type",
                        field.name,
                        class.name,
                        py.text(node.span())
                    ),
                    "Replace the mapping with separate typed fields",
                ));
            }
        }
    }
}

fn dicts(t: &TypeExpr) -> Vec<&TypeExpr> {
    let mut nodes = Vec::new();
    walk_type(t, &mut nodes);
    nodes
        .into_iter()
        .filter(|n| n.head().is_some_and(is_dict))
        .collect()
}
