use super::helpers::calls_with_schema;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a keyword passed to a `use()`d model that its cached schema does not define,
    /// suggesting the closest input name.
    ///
    /// ## Why is this bad?
    /// Replicate rejects (or silently drops) unknown inputs, so the call fails or the
    /// intended setting is lost.
    ///
    /// ## Example
    /// ```python
    /// images = flux_dev(promt="a cat")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// images = flux_dev(prompt="a cat")
    /// ```
    pub(crate) static PY017 = {
        code: "PY017",
        name: "unknown-model-input",
        severity: Error,
        cites: ["replicate-python-library"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    for (call, model, schema) in calls_with_schema(ctx) {
        for kw in &call.keywords {
            if schema.inputs.iter().any(|i| i.name == kw.name) {
                continue;
            }
            let closest = schema
                .inputs
                .iter()
                .map(|i| (strsim::jaro_winkler(&kw.name, &i.name), &i.name))
                .filter(|(score, _)| *score >= 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, n)| n);
            let names: Vec<&str> = schema.inputs.iter().map(|i| i.name.as_str()).collect();
            let (message, fix) = match closest {
                Some(name) => (
                    format!(
                        "`{model}` has no input `{}`; did you mean `{name}`?",
                        kw.name
                    ),
                    format!("Rename `{}` to `{name}`", kw.name),
                ),
                None => (
                    format!("`{model}` has no input `{}`", kw.name),
                    format!("Use one of the model's inputs: {}", names.join(", ")),
                ),
            };
            out.push(Finding::new(ctx.py_at(kw.span), message, fix));
        }
    }
}
