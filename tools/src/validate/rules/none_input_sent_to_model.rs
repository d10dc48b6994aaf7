use super::helpers::calls_with_schema;
use crate::validate::python::{DefaultKind, Literal, ParamInfo};
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a `run()` input defaulting to `None` passed unchecked to a model input that
    /// does not accept `null` (`seed=seed` with `seed: int | None = Input(default=None)`).
    /// Unchecked: nothing in `run()` checks or replaces it first. It says nothing when the input
    /// is read anywhere else in `run()` (e.g. `if seed is not None:`), rebound, or the call
    /// only happens under a condition.
    ///
    /// ## Why is this bad?
    /// replicate-python sends `None` as JSON `null`, and Replicate checks inputs against the
    /// model's schema before running it: a caller who leaves the input empty gets
    /// `422 Input validation failed … Expected: integer, given: null`.
    ///
    /// ## Example
    /// ```python
    /// def run(prompt: str, seed: int | None = Input(default=None)) -> Path:
    ///     return flux(prompt=prompt, seed=seed)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def run(prompt: str, seed: int | None = Input(default=None)) -> Path:
    ///     extra = {"seed": seed} if seed is not None else {}
    ///     return flux(prompt=prompt, **extra)
    /// ```
    pub(crate) static PY031 = {
        code: "PY031",
        name: "none-input-sent-to-model",
        severity: Error,
        cites: ["replicate-python-library"],
        check: check,
    };
}

fn defaults_to_none(param: &ParamInfo) -> bool {
    matches!(
        &param.default,
        DefaultKind::None
            | DefaultKind::Input {
                default: Some(Literal::None)
            }
    )
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    let Some(key) = super::helpers::static_run_key(ctx) else {
        return;
    };
    let Some(uses) = py.usage.uses.get(&key) else {
        return;
    };
    let calls = calls_with_schema(ctx);
    for param in ctx.run_params().into_iter().filter(|p| defaults_to_none(p)) {
        let Some(seen) = uses.get(&param.name) else {
            continue;
        };
        let passed: Vec<_> = calls
            .iter()
            .filter(|(call, _, _)| call.function.as_deref() == Some(key.as_str()))
            .flat_map(|(call, model, schema)| {
                call.keywords
                    .iter()
                    .filter(|kw| kw.value_name.as_deref() == Some(param.name.as_str()))
                    .map(move |kw| (call, *model, *schema, kw))
            })
            .collect();
        // Every read of the input is one of these arguments, none under a condition, and
        // nothing rebinds it: `None` reaches the model whenever the caller leaves it empty.
        let direct = !passed.is_empty()
            && seen.stores == 0
            && usize::try_from(seen.loads).is_ok_and(|n| n == passed.len())
            && passed.iter().all(|(call, ..)| !call.conditional);
        if !direct {
            continue;
        }
        for (_, model, schema, kw) in passed {
            let Some(input) = schema.inputs.iter().find(|i| i.name == kw.name) else {
                continue;
            };
            if input.python_type.accepts_null() {
                continue;
            }
            out.push(Finding::new(
                ctx.py_at(kw.value_span),
                format!(
                    "`{}` is None unless the caller sets it, and input `{}` of `{model}` ({}) does not accept null: Replicate answers 422",
                    param.name, kw.name, input.python_type
                ),
                format!(
                    "Pass it only when set: `**({{\"{}\": {}}} if {} is not None else {{}})`, or give `{}` a real default",
                    kw.name, param.name, param.name, param.name
                ),
            ));
        }
    }
}
