use crate::validate::python::CallResult;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a model call whose result is never read. That is a call that is a statement
    /// of its own, or whose result is bound to a name the function never reads.
    ///
    /// ## Why is this bad?
    /// Every call runs a prediction, which costs money and time; an output nobody reads
    /// was paid for nothing, and usually means a step was left unwired (a scaffold whose
    /// model call the edited `run()` no longer uses). A result read anywhere, even only in
    /// a log line, counts as read.
    ///
    /// ## Example
    /// ```python
    /// def run(prompt: str) -> Path:
    ///     draft = flux(prompt=prompt)
    ///     images = flux(prompt=prompt + ", detailed")
    ///     return images[0]
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def run(prompt: str) -> Path:
    ///     images = flux(prompt=prompt + ", detailed")
    ///     return images[0]
    /// ```
    pub(crate) static PY035 = {
        code: "PY035",
        name: "unused-model-output",
        severity: Warning,
        cites: ["replicate-python-library"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    for call in &py.model.model_calls {
        let Some(function) = call.function.as_deref() else {
            continue;
        };
        if py.usage.dynamic.contains(function) {
            continue; // `locals()`, `eval`: what it reads cannot be known
        }
        let called = py.text(call.span);
        let (message, fix) = match &call.result {
            CallResult::Discarded { awaited } => {
                // An async model's un-awaited coroutine is PY024's finding.
                let is_async = py
                    .model
                    .flow
                    .models
                    .iter()
                    .any(|m| m.name == call.binding && m.use_async != Some(false));
                if !awaited && is_async {
                    continue;
                }
                (
                    format!(
                        "the result of this `{called}(...)` call is never read: the prediction runs, and is paid for, for nothing"
                    ),
                    "Use its output (return it, or pass it on to the next step) or remove the call"
                        .to_owned(),
                )
            }
            CallResult::Bound(name) => {
                let read = py
                    .usage
                    .uses
                    .get(function)
                    .and_then(|uses| uses.get(name))
                    .is_none_or(|u| u.loads > 0);
                if read || name.starts_with('_') {
                    continue;
                }
                (
                    format!(
                        "`{name}`, the result of `{called}(...)`, is never read: the prediction runs, and is paid for, for nothing"
                    ),
                    format!(
                        "Use `{name}` (return it, or pass it on to the next step) or remove the call"
                    ),
                )
            }
            CallResult::Other => continue,
        };
        out.push(Finding::new(ctx.py_at(call.span), message, fix));
    }
}
