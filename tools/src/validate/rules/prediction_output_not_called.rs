use super::flow_support::{events, insert_edit};
use crate::validate::python::flow::Use;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `prediction.output` read without calling it, on the result of a model's
    /// `create()`.
    ///
    /// ## Why is this bad?
    /// `output` is a method of the prediction (`Run`): without `()` the code holds the
    /// bound method, not the model's output, and never waits for the prediction.
    ///
    /// ## Example
    /// ```python
    /// prediction = flux.create(prompt=prompt)
    /// images = prediction.output
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// prediction = flux.create(prompt=prompt)
    /// images = prediction.output()
    /// ```
    pub(crate) static PY025 = {
        code: "PY025",
        name: "prediction-output-not-called",
        severity: Error,
        cites: ["miscellaneous-important-things-to-keep-in-mind", "replicate-python-library"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some((py, flow)) = events(ctx) else {
        return;
    };
    for event in &flow.events {
        if event.kind != Use::OutputNotCalled {
            continue;
        }
        let text = py.text(event.span);
        let asynchronous = flow
            .model(&event.value)
            .is_some_and(|m| m.use_async == Some(true));
        let fix = if asynchronous {
            format!("Call and await it: `await {text}()`")
        } else {
            format!("Call it: `{text}()`")
        };
        out.push(
            Finding::new(
                ctx.py_at(event.span),
                format!("`{text}` is the prediction's method, not its output"),
                fix,
            )
            .with_edit(insert_edit(py, event.span.end, "()")),
        );
    }
}
