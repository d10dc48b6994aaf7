use super::flow_support::{events, in_run, replace_edit};
use crate::validate::python::flow::{State, Use};
use crate::validate::python::{PythonFile, Span};
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a `use_async=True` model's call, `create()` or `output()` without `await`,
    /// `await` on a sync model, and an async model in a non-async `run`. The last covers an
    /// async model called (or `use_async=True` used) inside a non-async `run`.
    ///
    /// ## Why is this bad?
    /// An async model returns coroutines: without `await` the code holds a coroutine, not
    /// the output. A sync model returns the output itself, which cannot be awaited. A
    /// non-async `run` cannot await at all.
    ///
    /// ## Example
    /// ```python
    /// flux = replicate.use("black-forest-labs/flux-schnell", use_async=True)
    ///
    /// async def run(prompt: str) -> Path:
    ///     images = flux(prompt=prompt)
    ///     return images[0]
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// flux = replicate.use("black-forest-labs/flux-schnell", use_async=True)
    ///
    /// async def run(prompt: str) -> Path:
    ///     images = await flux(prompt=prompt)
    ///     return images[0]
    /// ```
    pub(crate) static PY024 = {
        code: "PY024",
        name: "async-misuse",
        severity: Error,
        cites: ["replicate-python-library"],
        check: check,
    };
}

/// A coroutine used without `await`, reported at the call that made it (where `await`
/// goes), with the edit adding it; the use is named in the message. One finding per call.
fn not_awaited(
    ctx: &Context<'_>,
    py: &PythonFile,
    name: &str,
    origin: Span,
    use_span: Span,
) -> Finding {
    let call = py.text(origin);
    // `await` binds tighter than `.attr`/`[i]`/`(...)`: a call used as a primary gets
    // parentheses, `(await forge.create(...)).output()`.
    let rest = py.source.get(origin.end as usize..).unwrap_or_default();
    let primary = rest
        .trim_start_matches([' ', '\t'])
        .starts_with(['.', '[', '(']);
    let used = if use_span != origin {
        let (line, _) = py.line_col(use_span.start);
        format!(
            "returns a coroutine; `{}` on line {line} uses it without `await`",
            py.text(use_span)
        )
    } else if primary {
        "returns a coroutine, used here without `await`".to_owned()
    } else {
        "returns a coroutine that is never awaited".to_owned()
    };
    let fixed = if primary {
        format!("(await {call})")
    } else {
        format!("await {call}")
    };
    Finding::new(
        ctx.py_at(origin),
        format!("`{name}` was made with `use_async=True`: `{call}` {used}"),
        format!("Write `{fixed}` (inside an `async def`)"),
    )
    .with_edit(replace_edit(py, origin, &fixed))
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some((py, flow)) = events(ctx) else {
        return;
    };
    let mut reported: Vec<Span> = Vec::new();
    for event in &flow.events {
        let Some(model) = flow.model(&event.value) else {
            continue;
        };
        let name = &model.name;
        let sync_run =
            in_run(ctx, flow, event) && flow.function(event).is_some_and(|f| !f.is_async);
        let run = ctx.run_name();
        let finding = match &event.kind {
            Use::NotAwaited if !sync_run && let Some(origin) = event.value.origin => {
                if reported.contains(&origin) {
                    continue;
                }
                reported.push(origin);
                not_awaited(ctx, py, name, origin, event.span)
            }
            Use::NotAwaited if !sync_run => Finding::new(
                ctx.py_at(event.span),
                format!(
                    "`{name}` was made with `use_async=True`: `{}` is a coroutine, used here without `await`",
                    py.text(event.span)
                ),
                format!(
                    "Write `await` before the call of `{name}` that produced it (inside an `async def`)"
                ),
            ),
            Use::AwaitSync { operand_start } => Finding::new(
                ctx.py_at(event.span),
                format!(
                    "`{name}` is a sync model (no `use_async=True`): its result cannot be awaited"
                ),
                "Remove `await`, or pass `use_async=True` to its `replicate.use()`",
            )
            .with_edit(replace_edit(
                py,
                Span {
                    start: event.span.start,
                    end: *operand_start,
                },
                "",
            )),
            Use::AsyncCallInSyncFunction if sync_run => {
                let what = if event.value.state == State::Model {
                    format!("`use_async=True` inside the non-async `{run}`")
                } else {
                    format!(
                        "async model `{name}` called inside the non-async `{run}`, which cannot await it"
                    )
                };
                Finding::new(
                    ctx.py_at(event.span),
                    what,
                    format!(
                        "Declare `async def {run}(...)` and `await` each call, or drop `use_async=True`"
                    ),
                )
            }
            _ => continue,
        };
        out.push(finding);
    }
}
