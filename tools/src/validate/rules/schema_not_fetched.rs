use crate::schema::ModelRef;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a `replicate.use()`d model whose schema has not been fetched into the local
    /// cache, so its calls cannot be checked.
    ///
    /// ## Why is this bad?
    /// The spec requires reading a model's current interface before writing calls to it:
    /// input names and types differ between models and versions, and a wrong input fails
    /// only at run time.
    ///
    /// ## Example
    /// ```python
    /// flux = replicate.use("black-forest-labs/flux-dev")   # schema never fetched
    /// ```
    ///
    /// ## Use instead
    /// Call `fetch_model_schema` with `black-forest-labs/flux-dev`, then write the calls
    /// from the schema it returns.
    pub(crate) static PY016 = {
        code: "PY016",
        name: "schema-not-fetched",
        severity: Error,
        cites: ["replicate-python-library"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    let mut seen: Vec<&str> = Vec::new();
    for call in &py.model.use_calls {
        let Some(reference) = call.reference.reference() else {
            continue;
        };
        let model = ModelRef::model_of(reference);
        if ctx.schemas.get(model).is_some() || seen.contains(&model) || !model.contains('/') {
            continue;
        }
        seen.push(model);
        out.push(Finding::new(
            ctx.py_at(call.span),
            format!("the schema of `{model}` has not been fetched, so its calls are unchecked: call fetch_model_schema with \"{model}\" before writing its calls"),
            format!(
                "Call `fetch_model_schema` with model \"{model}\", write the call from its \
                 inputs, then validate again"
            ),
        ));
    }
}
