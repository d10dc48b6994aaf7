use super::flow_support::{Resolved, events, model_name, resolve};
use super::helpers::list_names;
use crate::validate::python::flow::{Step, Use};
use crate::validate::rule::{Context, Finding, Findings, declare_rule};
use crate::validate::value_shape::ValueShape;

declare_rule! {
    /// ## What it does
    /// Flags `result["key"]` where the fetched schema's object output has no field `key`.
    /// It looks into nested objects too, and suggests the closest field and lists the real
    /// ones.
    ///
    /// ## Why is this bad?
    /// The dict `replicate.use()` returns holds exactly the schema's fields: an unknown
    /// key raises `KeyError` at run time.
    ///
    /// ## Example
    /// ```python
    /// result = scene_inspector(image=image, question="What is this?")
    /// return result["anwser"]
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// result = scene_inspector(image=image, question="What is this?")
    /// return result["answer"]
    /// ```
    pub(crate) static PY021 = {
        code: "PY021",
        name: "unknown-output-field",
        severity: Warning,
        cites: ["miscellaneous-important-things-to-keep-in-mind", "replicate-python-library"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some((_, flow)) = events(ctx) else {
        return;
    };
    for event in &flow.events {
        let Use::Subscript {
            step: Step::Key(key),
        } = &event.kind
        else {
            continue;
        };
        let Some(Resolved::Shape(ValueShape::Object {
            fields: Some(fields),
        })) = resolve(ctx, flow, &event.value)
        else {
            continue;
        };
        if fields.is_empty() || fields.iter().any(|f| &f.name == key) {
            continue;
        }
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        let closest = names
            .iter()
            .map(|n| (strsim::jaro_winkler(key, n), *n))
            .filter(|(score, _)| *score >= 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, n)| n);
        let model = flow
            .model(&event.value)
            .and_then(model_name)
            .unwrap_or("the model");
        let (message, fix) = match closest {
            Some(best) => (
                format!(
                    "the output of `{model}` has no field `{key}`; did you mean `{best}`? (fields: {})",
                    list_names(&names)
                ),
                format!("Replace `[\"{key}\"]` with `[\"{best}\"]`"),
            ),
            None => (
                format!(
                    "the output of `{model}` has no field `{key}` (fields: {})",
                    list_names(&names)
                ),
                format!("Use one of the output's fields: {}", list_names(&names)),
            ),
        };
        out.push(Finding::new(ctx.py_at(event.span), message, fix));
    }
}
