use super::flow_support::{Resolved, events, model_name, resolve};
use crate::validate::python::flow::Use;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags indexing, slicing or iterating the output of a model that `replicate.use()`
    /// returns as one concatenated `str` (a language model without `streaming=True`).
    ///
    /// ## Why is this bad?
    /// Without `streaming=True` the streamed chunks arrive joined into one string:
    /// `output[0]` is its first character and `for c in output` walks characters. It is
    /// almost always a list assumed by mistake.
    ///
    /// ## Example
    /// ```python
    /// text = chatter(prompt=prompt)
    /// return text[0]
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// text = chatter(prompt=prompt)
    /// return text
    /// ```
    pub(crate) static PY023 = {
        code: "PY023",
        name: "str-output-indexed",
        severity: Warning,
        cites: ["replicate-python-library"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some((py, flow)) = events(ctx) else {
        return;
    };
    for event in &flow.events {
        let what = match &event.kind {
            Use::Subscript { .. } => "indexes",
            Use::Iterate => "iterates over",
            _ => continue,
        };
        if resolve(ctx, flow, &event.value) != Some(Resolved::Concatenated) {
            continue;
        }
        let model = flow
            .model(&event.value)
            .and_then(model_name)
            .unwrap_or("the model");
        out.push(Finding::new(
            ctx.py_at(event.span),
            format!(
                "`{}` {what} the output of `{model}`, which is one concatenated str (characters, not items)",
                py.text(event.span)
            ),
            "Use the whole string, or pass `streaming=True` to `replicate.use()` to iterate over chunks",
        ));
    }
}
