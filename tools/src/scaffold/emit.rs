//! The calls of `run()` as Python: calls that do not read each other's outputs are started
//! together (`create()` each, then `.output()`), as the spec's efficient-usage section asks;
//! a fan-out starts one prediction per value.

use super::plan::{Call, GIVEN_HELPER, Pipeline};

/// Consecutive calls none of which reads another's output, in call order.
pub(crate) fn waves(p: &Pipeline<'_>) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for (i, call) in p.calls.iter().enumerate() {
        if call.deps.iter().any(|d| current.contains(d)) {
            out.push(std::mem::take(&mut current));
        }
        current.push(i);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Names the prediction of every call started together with others.
pub(crate) fn name_predictions(p: &mut Pipeline<'_>) -> Vec<(usize, String)> {
    let mut names = Vec::new();
    for wave in waves(p) {
        if wave.len() < 2 {
            continue;
        }
        for i in wave {
            if p.calls[i].over.is_none() {
                let var = p.call_var(&p.calls[i]);
                let base = var.strip_suffix("_output").unwrap_or(&var).to_string();
                names.push((i, p.namer.fresh(&[format!("{base}_prediction")])));
            }
        }
    }
    names
}

fn args_of(call: &Call) -> Vec<String> {
    let mut args: Vec<String> = call.args.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if !call.when_given.is_empty() {
        let given: Vec<String> = call
            .when_given
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        args.push(format!("**{GIVEN_HELPER}({})", given.join(", ")));
    }
    args
}

/// `lhs = callee(args)` on one line when it fits in 88 columns (with 4 of indent).
fn assign_call(lhs: &str, callee: &str, args: &[String]) -> String {
    let one = format!("{lhs} = {callee}({})", args.join(", "));
    if one.len() + 4 <= 88 {
        one
    } else {
        let lines: Vec<String> = args.iter().map(|a| format!("    {a},")).collect();
        format!("{lhs} = {callee}(\n{}\n)", lines.join("\n"))
    }
}

fn fan_out_start(p: &Pipeline<'_>, call: &Call) -> Vec<String> {
    let Some(over) = &call.over else {
        return Vec::new();
    };
    let b = &p.bindings[call.binding];
    let mut args = args_of(call);
    args.push(format!("{}={}", over.input, over.var));
    vec![
        format!(
            "# One prediction per {}, run in parallel; .output() waits for each.",
            over.input
        ),
        format!(
            "{} = [\n    {}.create({})\n    for {} in [{}]\n]",
            over.predictions,
            b.ident,
            args.join(", "),
            over.var,
            over.values.join(", ")
        ),
    ]
}

fn fan_out_end(p: &Pipeline<'_>, call: &Call) -> String {
    let predictions = call
        .over
        .as_ref()
        .map(|o| o.predictions.as_str())
        .unwrap_or("");
    format!(
        "{} = [prediction.output() for prediction in {predictions}]",
        p.call_var(call)
    )
}

/// The lines of one wave (see [`waves`]); `predictions` from [`name_predictions`].
pub(crate) fn wave_lines(
    p: &Pipeline<'_>,
    wave: &[usize],
    predictions: &[(usize, String)],
) -> Vec<String> {
    let mut lines = Vec::new();
    if let [only] = wave {
        let call = &p.calls[*only];
        if call.over.is_some() {
            lines.extend(fan_out_start(p, call));
            lines.push(fan_out_end(p, call));
        } else {
            let b = &p.bindings[call.binding];
            lines.push(assign_call(&p.call_var(call), &b.ident, &args_of(call)));
        }
        return lines;
    }
    lines.push("# Independent calls, started together; .output() waits for each.".to_string());
    let prediction = |i: usize| {
        predictions
            .iter()
            .find(|(c, _)| *c == i)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    for &i in wave {
        let call = &p.calls[i];
        if call.over.is_some() {
            lines.extend(fan_out_start(p, call).into_iter().skip(1));
        } else {
            let b = &p.bindings[call.binding];
            let callee = format!("{}.create", b.ident);
            lines.push(assign_call(&prediction(i), &callee, &args_of(call)));
        }
    }
    for &i in wave {
        let call = &p.calls[i];
        if call.over.is_some() {
            lines.push(fan_out_end(p, call));
        } else {
            lines.push(format!("{} = {}.output()", p.call_var(call), prediction(i)));
        }
    }
    lines
}
