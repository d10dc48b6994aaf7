//! Small helpers shared by rules: type-name families and the output classes.

use crate::validate::python::{ClassInfo, Span, TypeExpr};
use crate::validate::rule::Context;

/// Qualified names of mapping types.
pub(crate) fn is_dict(name: &str) -> bool {
    matches!(
        name,
        "dict"
            | "typing.Dict"
            | "typing.Mapping"
            | "typing.MutableMapping"
            | "typing.OrderedDict"
            | "typing.DefaultDict"
            | "typing.TypedDict"
            | "collections.OrderedDict"
            | "collections.defaultdict"
            | "collections.abc.Mapping"
            | "collections.abc.MutableMapping"
    )
}

/// Qualified names of list types.
pub(crate) fn is_list(name: &str) -> bool {
    matches!(name, "list" | "typing.List")
}

/// Every node of a type tree, depth first.
pub(crate) fn walk_type<'t>(t: &'t TypeExpr, out: &mut Vec<&'t TypeExpr>) {
    out.push(t);
    match t {
        TypeExpr::Generic { args, .. } => args.iter().for_each(|a| walk_type(a, out)),
        TypeExpr::Union { members, .. } => members.iter().for_each(|m| walk_type(m, out)),
        _ => {}
    }
}

/// The `BaseModel` class a type names, if any.
pub(crate) fn model_class<'a>(ctx: &Context<'a>, t: &TypeExpr) -> Option<&'a ClassInfo> {
    let TypeExpr::Name { name, .. } = t else {
        return None;
    };
    ctx.python()?.model.class(name).filter(|c| c.is_base_model)
}

/// `BaseModel` classes the predict function returns (anywhere in its return type), with
/// where each is named.
pub(crate) fn returned_models<'a>(ctx: &Context<'a>) -> Vec<(&'a ClassInfo, Span)> {
    let Some(returns) = ctx.run_function().and_then(|f| f.returns.as_ref()) else {
        return Vec::new();
    };
    let mut nodes = Vec::new();
    walk_type(returns, &mut nodes);
    nodes
        .into_iter()
        .filter_map(|n| model_class(ctx, n).map(|c| (c, n.span())))
        .collect()
}

/// The classes whose fields form the output: the returned models, plus a `BaseModel`
/// named `Output`; each once.
pub(crate) fn output_classes<'a>(ctx: &Context<'a>) -> Vec<&'a ClassInfo> {
    let mut out: Vec<&ClassInfo> = Vec::new();
    for (c, _) in returned_models(ctx) {
        if !out.iter().any(|o| o.name == c.name) {
            out.push(c);
        }
    }
    if let Some(py) = ctx.python()
        && let Some(c) = py.model.class("Output").filter(|c| c.is_base_model)
        && !out.iter().any(|o| o.name == c.name)
    {
        out.push(c);
    }
    out
}

/// Backticked, comma-separated list.
pub(crate) fn list_names<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Each call of a `use()`d model with the reference and the cached schema of that model
/// (calls of models without a known reference or schema are skipped).
pub(crate) fn calls_with_schema<'a>(
    ctx: &Context<'a>,
) -> Vec<(
    &'a crate::validate::python::ModelCallSite,
    &'a str,
    &'a crate::schema::ModelSchema,
)> {
    let Some(py) = ctx.python() else {
        return Vec::new();
    };
    py.model
        .model_calls
        .iter()
        .filter_map(|call| {
            let reference = py
                .model
                .use_calls
                .iter()
                .find(|u| u.binding.as_deref() == Some(call.binding.as_str()))?
                .reference
                .reference()?;
            let schema = ctx.schemas.get(reference)?;
            Some((call, crate::schema::ModelRef::model_of(reference), schema))
        })
        .collect()
}

/// The usage key of the predict function (`run`, or `Predictor.predict`), unless it reads its
/// locals dynamically (`locals()`, `eval`, …): then which names it uses cannot be known.
pub(crate) fn static_run_key(ctx: &Context<'_>) -> Option<String> {
    let py = ctx.python()?;
    let name = ctx.run_name();
    let key = if py.model.function(name).is_some() {
        name.to_string()
    } else {
        format!("{name}.predict")
    };
    (!py.usage.dynamic.contains(&key)).then_some(key)
}
