use super::helpers::{calls_with_schema, list_names};
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a call of a `use()`d model that omits inputs its cached schema marks required
    /// (calls that pass `**kwargs` or positional arguments are skipped).
    ///
    /// ## Why is this bad?
    /// Replicate rejects the prediction with a validation error at run time.
    ///
    /// ## Example
    /// ```python
    /// images = flux_dev(seed=1)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// images = flux_dev(prompt="a cat", seed=1)
    /// ```
    pub(crate) static PY018 = {
        code: "PY018",
        name: "missing-required-model-input",
        severity: Error,
        cites: ["replicate-python-library"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    for (call, model, schema) in calls_with_schema(ctx) {
        if call.has_splat || call.positional > 0 {
            continue;
        }
        let missing: Vec<&str> = schema
            .inputs
            .iter()
            .filter(|i| i.required && !call.keywords.iter().any(|k| k.name == i.name))
            .map(|i| i.name.as_str())
            .collect();
        if missing.is_empty() {
            continue;
        }
        out.push(Finding::new(
            ctx.py_at(call.span),
            format!(
                "call to `{model}` is missing required input{} {}",
                if missing.len() == 1 { "" } else { "s" },
                list_names(&missing)
            ),
            format!(
                "Pass {} as keyword argument{}",
                list_names(&missing),
                if missing.len() == 1 { "" } else { "s" }
            ),
        ));
    }
}
