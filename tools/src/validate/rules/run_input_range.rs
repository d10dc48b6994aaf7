//! PY019's second half: a `run()` input passed straight to a model input must not allow
//! what the model input refuses — its `default`, each of its `choices`, and its `ge`/`le`
//! bounds are checked against the model input's enum and bounds (a `choices` subset of
//! the enum passes; an input without bounds is not judged).

use crate::schema::InputParam;
use crate::validate::python::{DefaultKind, Literal, ParamInfo};
use crate::validate::rule::{Context, Finding, Findings};

use super::helpers::{calls_with_schema, static_run_key};

/// What is wrong with letting `param` reach `input`, if anything.
fn problems(
    param: &ParamInfo,
    input: &InputParam,
    problem: impl Fn(&Literal) -> Option<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let DefaultKind::Input {
        default: Some(default),
    } = &param.default
        && *default != Literal::None
        && *default != Literal::Unknown
        && let Some(p) = problem(default)
    {
        out.push(format!("its default {}", p));
    }
    if let Some(choices) = &param.allowed.choices {
        for choice in choices {
            if let Some(p) = problem(choice) {
                out.push(format!("its choice {}", p));
            }
        }
    }
    if let (Some(ge), Some(min)) = (param.allowed.ge, input.minimum)
        && ge < min
    {
        out.push(format!("`ge={ge}` allows values below the minimum {min}"));
    }
    if let (Some(le), Some(max)) = (param.allowed.le, input.maximum)
        && le > max
    {
        out.push(format!("`le={le}` allows values above the maximum {max}"));
    }
    out
}

/// Every `run()` input passed unchanged to a model input whose schema refuses part of what
/// the `run()` input allows; reported at the input's declaration (what the fix changes).
pub(super) fn check(
    ctx: &Context<'_>,
    out: &mut Findings,
    problem: impl Fn(&InputParam, &Literal) -> Option<String>,
    fix: impl Fn(&InputParam) -> String,
) {
    let Some(py) = ctx.python() else {
        return;
    };
    let Some(key) = static_run_key(ctx) else {
        return;
    };
    let uses = py.usage.uses.get(&key);
    let calls = calls_with_schema(ctx);
    for param in ctx.run_params() {
        // Rebound somewhere: what reaches the model is not the input as declared.
        if uses
            .and_then(|u| u.get(&param.name))
            .is_none_or(|u| u.stores > 0)
        {
            continue;
        }
        for (call, model, schema) in &calls {
            if call.function.as_deref() != Some(key.as_str()) {
                continue;
            }
            for kw in call
                .keywords
                .iter()
                .filter(|kw| kw.value_name.as_deref() == Some(param.name.as_str()))
            {
                let Some(input) = schema.inputs.iter().find(|i| i.name == kw.name) else {
                    continue;
                };
                let found = problems(param, input, |value| problem(input, value));
                if found.is_empty() {
                    continue;
                }
                let (line, _) = py.line_col(kw.value_span.start);
                out.push(Finding::new(
                    ctx.py_at(param.span),
                    format!(
                        "`{}` is passed as input `{}` of `{model}` (line {line}), which refuses what it allows: {}",
                        param.name,
                        kw.name,
                        found.join("; ")
                    ),
                    format!(
                        "Declare `{}` with what `{}` accepts: {}",
                        param.name,
                        kw.name,
                        fix(input).trim_start_matches("Pass ")
                    ),
                ));
            }
        }
    }
}
