//! Resolving one step input's source: the typed value it stands for (a `run()` input,
//! declared from the model input when new; a step's output, picked and joined; a literal; a
//! list of sources), fitted to the model input's type through the coercion table, or a
//! refusal naming the step, the input, what was given, the shapes and the sources that fit.

use super::coerce::{self, Fit};
use super::emit::{Expr, python};
use super::error::ScaffoldError;
use super::inputs::{self, Param};
use super::plan::Pipeline;
use super::source::Source;
use super::types::{PyType, Scalar, Shape, Value};
use crate::schema::InputParam;

/// Which step input is being resolved, for messages.
pub(crate) struct Ctx<'c> {
    pub(crate) index: usize,
    pub(crate) label: &'c str,
    pub(crate) model: &'c str,
    pub(crate) input: &'c InputParam,
}

impl Ctx<'_> {
    pub(crate) fn refuse(&self, given: &serde_json::Value, why: String) -> ScaffoldError {
        let description = self
            .input
            .description
            .as_deref()
            .map(python::one_line)
            .filter(|d| !d.is_empty())
            .map(|d| format!(", \"{d}\""))
            .unwrap_or_default();
        ScaffoldError::InvalidStep {
            index: self.index,
            reason: format!(
                "step {:?}: {}'s `{}` ({}{description}) cannot take {given}: {why}",
                self.label, self.model, self.input.name, self.input.python_type
            ),
        }
    }
}

/// The expression passing `source` to a model input of type `target`.
pub(crate) fn resolve(
    p: &mut Pipeline<'_>,
    ctx: &Ctx<'_>,
    source: &Source,
    target: &PyType,
    raw: &serde_json::Value,
    deps: &mut Vec<usize>,
) -> Result<Expr, ScaffoldError> {
    if let Source::Value(v) = source {
        return literal(v, Some(target)).ok_or_else(|| {
            ctx.refuse(
                raw,
                format!("it is not a {} literal", ctx.input.python_type),
            )
        });
    }
    if let Source::List { items, join } = source {
        if let Some(sep) = join {
            return joined_list(p, ctx, items, sep, target, raw, deps);
        }
        let PyType::List(item_ty) = target else {
            let fix = if *target == PyType::Scalar(Scalar::Str) {
                "; to pass the items as one separated string (files as their URLs), add \
                 \"join\": \",\" (the separator the input's description asks for)"
            } else {
                ""
            };
            return Err(ctx.refuse(
                raw,
                format!(
                    "`list` builds a list and the input takes one {}{fix}",
                    ctx.input.python_type
                ),
            ));
        };
        let mut parts = Vec::new();
        for item in items {
            let value = source_value(p, item, Some((ctx.model, ctx.input)), deps)
                .map_err(|why| ctx.refuse(raw, why))?;
            let fitted = fit_or_refuse(ctx, &value, &PyType::Scalar(*item_ty), raw, p)?;
            parts.push(if *item_ty == Scalar::Path && value.url {
                fitted.url()
            } else {
                fitted
            });
        }
        return Ok(Expr::List(parts));
    }
    let value = source_value(p, source, Some((ctx.model, ctx.input)), deps).map_err(|why| {
        let mut why = why;
        if let Source::Step { step, .. } = source {
            why.push_str(&suggest(p, step, target));
        }
        ctx.refuse(raw, why)
    })?;
    if let Source::Step { join: Some(_), .. } = source
        && *target != PyType::Scalar(Scalar::Str)
    {
        return Err(ctx.refuse(
            raw,
            format!(
                "`join` makes one string and the input takes {}",
                ctx.input.python_type
            ),
        ));
    }
    fit_or_refuse(ctx, &value, target, raw, p)
}

fn fit_or_refuse(
    ctx: &Ctx<'_>,
    value: &Value,
    target: &PyType,
    raw: &serde_json::Value,
    p: &mut Pipeline<'_>,
) -> Result<Expr, ScaffoldError> {
    match coerce::fit(value, target) {
        Fit::Exact(e) => Ok(e),
        Fit::Obvious { expr, note } => {
            p.notes.push(format!(
                "{} gets `{}` from {note}.",
                ctx.model, ctx.input.name
            ));
            Ok(expr)
        }
        Fit::Choose(_) | Fit::No => {
            let list_into_text = *target == PyType::Scalar(Scalar::Str)
                && matches!(value.shape, Shape::List | Shape::PathList)
                && coerce::join(value, ",").is_ok();
            let mut why = format!("it is {} ({})", value.describe(), value.expr);
            if list_into_text {
                why.push_str("; a list into one string needs `join`: add \"join\": \",\"");
            }
            match raw.get("step").and_then(serde_json::Value::as_str) {
                Some(step) => why.push_str(&suggest(p, step, target)),
                None => why.push_str(&format!(
                    "; give a source of type {}",
                    ctx.input.python_type
                )),
            }
            Err(ctx.refuse(raw, why))
        }
    }
}

/// `; sources that fit: …` for a step's whole output, or that none does.
fn suggest(p: &Pipeline<'_>, step: &str, target: &PyType) -> String {
    let Some(call) = p.find(step) else {
        return String::new();
    };
    let whole = p.call_value(&p.calls[call]);
    let picks = coerce::picks_that_fit(step, &whole, target);
    if picks.is_empty() {
        format!(
            "; no pick of {step:?}'s output ({}) fits: use another source",
            whole.describe()
        )
    } else {
        format!("; sources that fit: {}", picks.join(", "))
    }
}

/// `{"list": [...], "join": sep}`: the items as one string, files as their URLs —
/// `sep.join([...])` — for an input that takes a separated list in one `str`.
fn joined_list(
    p: &mut Pipeline<'_>,
    ctx: &Ctx<'_>,
    items: &[Source],
    sep: &str,
    target: &PyType,
    raw: &serde_json::Value,
    deps: &mut Vec<usize>,
) -> Result<Expr, ScaffoldError> {
    if *target != PyType::Scalar(Scalar::Str) {
        return Err(ctx.refuse(
            raw,
            format!(
                "`join` makes one string and the input takes {}",
                ctx.input.python_type
            ),
        ));
    }
    let mut parts = Vec::new();
    for item in items {
        let value = source_value(p, item, Some((ctx.model, ctx.input)), deps)
            .map_err(|why| ctx.refuse(raw, why))?;
        let part = match value.shape {
            Shape::Path if value.url => value.expr.clone().url(),
            Shape::Path => {
                return Err(ctx.refuse(
                    raw,
                    format!(
                        "`{}` is a local file (a run() input), which has no URL to join",
                        value.expr
                    ),
                ));
            }
            _ => fit_or_refuse(ctx, &value, target, raw, p)?,
        };
        parts.push(part);
    }
    Ok(Expr::Join {
        sep: sep.to_string(),
        items: Box::new(Expr::List(parts)),
    })
}

/// The value a source stands for (before fitting it to a target). `input` is the model
/// input it feeds, used to declare an unknown `run()` input from it.
pub(crate) fn source_value(
    p: &mut Pipeline<'_>,
    source: &Source,
    input: Option<(&str, &InputParam)>,
    deps: &mut Vec<usize>,
) -> Result<Value, String> {
    match source {
        Source::Input(name) => run_input(p, name, input),
        Source::Step { step, pick, join } => {
            let call = p.find(step).ok_or_else(|| p.unknown_step(step))?;
            if !deps.contains(&call) {
                deps.push(call);
            }
            let value = p.call_value(&p.calls[call]);
            let picked = coerce::pick(&value, pick)?;
            if let Some(field) = coerce::optional_field(&value, pick) {
                let note = format!(
                    "`{}` may be absent: the schema of {step:?}'s output does not require \
                     `{field}`; handle a missing value in main.py if the model can omit it.",
                    picked.expr
                );
                if !p.notes.contains(&note) {
                    p.notes.push(note);
                }
            }
            match join {
                Some(sep) => {
                    let expr = coerce::join(&picked, sep)?;
                    Ok(Value::of_type(expr, &PyType::Scalar(Scalar::Str)))
                }
                None => Ok(picked),
            }
        }
        Source::Value(v) => {
            let ty = match v {
                serde_json::Value::String(_) => PyType::Scalar(Scalar::Str),
                serde_json::Value::Bool(_) => PyType::Scalar(Scalar::Bool),
                serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => {
                    PyType::Scalar(Scalar::Int)
                }
                serde_json::Value::Number(_) => PyType::Scalar(Scalar::Float),
                _ => PyType::Other("value".into()),
            };
            let lit = literal(v, Some(&ty)).ok_or_else(|| format!("{v} is not a literal"))?;
            Ok(Value::of_type(lit, &ty))
        }
        Source::List { .. } => Err("`list` is for a model input that takes a list".to_string()),
        Source::Computed { .. } => {
            Err("`type` declares an `Output` field the code computes; not a step input".into())
        }
    }
}

/// A `run()` input as a value, declaring it from the model input when it is not declared.
fn run_input(
    p: &mut Pipeline<'_>,
    name: &str,
    input: Option<(&str, &InputParam)>,
) -> Result<Value, String> {
    if let Some(i) = p.params.iter().position(|param| param.name == name) {
        p.params[i].uses += 1;
        if let Some((_, input)) = input {
            check_choices(p, input, i);
        }
        return Ok(p.params[i].value());
    }
    let Some((model, input)) = input else {
        return Err(format!("no run() input is named {name:?}"));
    };
    if !super::names::is_identifier(name) || !p.namer.take(name) {
        return Err(format!(
            "`{name}` cannot be a run() input name; pick another identifier"
        ));
    }
    let mut param: Param =
        inputs::from_model_input(name.to_string(), model, input).ok_or_else(|| {
            format!(
                "`{}` ({}) cannot be a run() input",
                input.name, input.python_type
            )
        })?;
    param.uses = 1;
    let value = param.value();
    p.params.push(param);
    Ok(value)
}

/// Notes a declared parameter whose choices the model does not all accept.
fn check_choices(p: &mut Pipeline<'_>, input: &InputParam, param: usize) {
    let (Some(allowed), Some(offered)) = (&input.choices, &p.params[param].choices) else {
        return;
    };
    let extra: Vec<String> = offered
        .iter()
        .filter(|c| !allowed.contains(c))
        .map(serde_json::Value::to_string)
        .collect();
    if !extra.is_empty() {
        p.notes.push(format!(
            "run() input `{}` allows {} which the model does not accept for `{}`.",
            p.params[param].name,
            extra.join(", "),
            input.name
        ));
    }
}

/// A fixed value as a literal typed for its target; `None` when it cannot be written.
/// A value that is not of the target's type (a dict or a number for a `str` input, a string
/// for an `int`…) is `None`: the scaffold never writes a literal the input cannot take.
pub(crate) fn literal(v: &serde_json::Value, ty: Option<&PyType>) -> Option<Expr> {
    if let Some(ty) = ty
        && !literal_fits(v, ty)
    {
        return None;
    }
    python::literal(v, ty)?;
    Some(Expr::Lit {
        value: v.clone(),
        ty: ty.cloned(),
    })
}

/// Whether a JSON value is a literal of `ty` (`null` stands for an omitted optional value).
fn literal_fits(v: &serde_json::Value, ty: &PyType) -> bool {
    use serde_json::Value as J;
    let scalar = |v: &J, s: &Scalar| match s {
        Scalar::Str | Scalar::Path | Scalar::Secret => v.is_string(),
        Scalar::Int => v.is_i64() || v.is_u64(),
        Scalar::Float => v.is_number(),
        Scalar::Bool => v.is_boolean(),
    };
    match (v, ty) {
        (J::Null, _) | (_, PyType::Other(_)) => true,
        (J::Array(items), PyType::List(s)) => items.iter().all(|i| scalar(i, s)),
        (_, PyType::List(_)) => false,
        (v, PyType::Scalar(s)) => scalar(v, s),
    }
}
