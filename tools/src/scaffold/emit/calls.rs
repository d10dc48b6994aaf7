//! The calls of `run()` as statements: calls that do not read each other's outputs are
//! started together (`create()` each, then `.output()`), as the spec's efficient-usage
//! section asks; a fan-out starts one prediction per value.

use super::Stmt;
use super::expr::{Arg, Expr, Sym};
use crate::scaffold::plan::{Call, Pipeline};

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

/// The call's arguments: its keyword arguments, then the optional ones through `given`.
fn args_of(call: &Call) -> Vec<Arg> {
    let mut args: Vec<Arg> = call
        .args
        .iter()
        .map(|(k, v)| Arg::Kw(k.clone(), v.clone()))
        .collect();
    if !call.when_given.is_empty() {
        let given = call
            .when_given
            .iter()
            .map(|(k, v)| Arg::Kw(k.clone(), v.clone()))
            .collect();
        args.push(Arg::Spread(Expr::call(Expr::Sym(Sym::Given), given)));
    }
    args
}

/// `binding(args)` or `binding.create(args)`.
fn callee(p: &Pipeline<'_>, call: &Call, create: bool) -> Expr {
    let model = Expr::name(p.bindings[call.binding].ident.clone());
    if create {
        Expr::Attr(Box::new(model), "create".to_string())
    } else {
        model
    }
}

fn fan_out_start(p: &Pipeline<'_>, call: &Call) -> Option<Stmt> {
    let over = call.over.as_ref()?;
    let mut args = args_of(call);
    args.push(Arg::Kw(over.input.clone(), Expr::name(over.var.clone())));
    let create = Expr::call(callee(p, call, true), args);
    let values = Expr::List(over.values.clone());
    Some(Stmt::Assign(
        over.predictions.clone(),
        values.each(&over.var, create, true),
    ))
}

fn fan_out_end(p: &Pipeline<'_>, call: &Call) -> Stmt {
    let predictions = call
        .over
        .as_ref()
        .map(|o| o.predictions.clone())
        .unwrap_or_default();
    let each = Expr::name("prediction").method("output");
    Stmt::Assign(
        p.call_var(call),
        Expr::name(predictions).each("prediction", each, true),
    )
}

/// The statements of one wave (see [`waves`]); `predictions` from [`name_predictions`].
pub(crate) fn wave(p: &Pipeline<'_>, wave: &[usize], predictions: &[(usize, String)]) -> Vec<Stmt> {
    let mut out = Vec::new();
    if let [only] = wave {
        let call = &p.calls[*only];
        if let Some(start) = fan_out_start(p, call) {
            let input = call.over.as_ref().map(|o| o.input.as_str()).unwrap_or("");
            out.push(Stmt::Comment(format!(
                "One prediction per {input}, run in parallel; .output() waits for each."
            )));
            out.push(start);
            out.push(fan_out_end(p, call));
        } else {
            let value = Expr::call(callee(p, call, false), args_of(call));
            out.push(Stmt::Assign(p.call_var(call), value));
        }
        return out;
    }
    out.push(Stmt::Comment(
        "Independent calls, started together; .output() waits for each.".to_string(),
    ));
    let prediction = |i: usize| {
        predictions
            .iter()
            .find(|(c, _)| *c == i)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    for &i in wave {
        let call = &p.calls[i];
        match fan_out_start(p, call) {
            Some(start) => out.push(start),
            None => out.push(Stmt::Assign(
                prediction(i),
                Expr::call(callee(p, call, true), args_of(call)),
            )),
        }
    }
    for &i in wave {
        let call = &p.calls[i];
        out.push(if call.over.is_some() {
            fan_out_end(p, call)
        } else {
            Stmt::Assign(p.call_var(call), Expr::name(prediction(i)).method("output"))
        });
    }
    out
}
