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
                let loads = |name: &str| {
                    py.usage
                        .uses
                        .get(function)
                        .and_then(|uses| uses.get(name))
                        .map(|u| u.loads as usize)
                };
                if name.starts_with('_') {
                    continue;
                }
                if loads(name).is_none_or(|n| n > 0) {
                    // A `create()`d prediction read only by `.output()` calls whose output
                    // nobody reads was paid for nothing too.
                    if called.ends_with(".create")
                        && let Some(finding) = unread_output(ctx, function, name, called, &loads)
                    {
                        out.push(finding);
                    }
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

/// The first `name.output()` of a prediction whose every read is an `.output()` call and
/// none of whose outputs is read; `None` when anything else reads it (then it is used).
fn unread_output(
    ctx: &Context<'_>,
    function: &str,
    name: &str,
    called: &str,
    loads: &dyn Fn(&str) -> Option<usize>,
) -> Option<Finding> {
    let py = ctx.python()?;
    let outputs: Vec<_> = py
        .model
        .output_calls
        .iter()
        .filter(|o| o.function.as_deref() == Some(function) && o.prediction == name)
        .collect();
    if outputs.is_empty() || loads(name) != Some(outputs.len()) {
        return None;
    }
    let unread = |o: &&crate::validate::python::OutputCall| match &o.result {
        CallResult::Discarded { .. } => true,
        CallResult::Bound(out) => !out.starts_with('_') && loads(out) == Some(0),
        CallResult::Other => false,
    };
    if !outputs.iter().all(unread) {
        return None;
    }
    let first = outputs.first()?;
    let message = match &first.result {
        CallResult::Bound(out) => format!(
            "`{out}`, the output of `{name}` (`{called}(...)`), is never read: the prediction runs, and is paid for, for nothing"
        ),
        _ => format!(
            "the output of `{name}` (`{called}(...)`) is never read: the prediction runs, and is paid for, for nothing"
        ),
    };
    Some(Finding::new(
        ctx.py_at(first.span),
        message,
        "Use the output (return it, or pass it on to the next step) or remove the call".to_owned(),
    ))
}
