//! The planner: turns steps (the agent's, or the automatic wiring's) into calls. Each model
//! input's source is resolved to a typed value, picked, joined or listed, and fitted to the
//! input's type through the one coercion table (`coerce`); what does not fit is refused with
//! the step, the input, what was given, the output's shape, the input's type and the picks
//! that would fit. A required input no step gives gets a `TODO(...)` placeholder.

use super::coerce::{self, Fit};
use super::error::ScaffoldError;
use super::inputs::{self, Param};
use super::names::{Namer, to_identifier};
use super::plan::{Call, Pipeline};
use super::python;
use super::request::{ScaffoldRequest, StepSpec};
use super::source::Source;
use super::types::{ParamType, PyType, Scalar, Shape, Value};
use crate::schema::{InputParam, ModelRef, OutputShape, Schemas};

/// A fan-out: `input` takes each of `values` (Python literals) in its own prediction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FanOut {
    pub(crate) input: String,
    pub(crate) values: Vec<String>,
    /// The loop variable and the list of predictions.
    pub(crate) var: String,
    pub(crate) predictions: String,
}

impl Pipeline<'_> {
    /// The variable holding a call's result.
    pub(crate) fn call_var(&self, call: &Call) -> String {
        call.out_var
            .clone()
            .unwrap_or_else(|| self.bindings[call.binding].out_var.clone())
    }

    /// A call's result as a value.
    pub(crate) fn call_value(&self, call: &Call) -> Value {
        call.output
            .clone()
            .unwrap_or_else(|| self.bindings[call.binding].output())
    }

    /// The call a step name (id or model) refers to, latest first.
    pub(crate) fn find(&self, step: &str) -> Option<usize> {
        self.names
            .iter()
            .rev()
            .find(|(n, _)| n == step || ModelRef::model_of(n) == step)
            .map(|(_, i)| *i)
    }

    /// The value of a source (without a target: `output_fields`), recording the calls read.
    pub(crate) fn value_of(
        &mut self,
        src: &Source,
        deps: &mut Vec<usize>,
    ) -> Result<Value, String> {
        source_value(self, src, None, deps)
    }
}

fn bad(index: usize, reason: String) -> ScaffoldError {
    ScaffoldError::InvalidStep { index, reason }
}

/// Plans parameters, bindings and calls from `steps`.
pub(crate) fn plan_steps<'a>(
    req: &ScaffoldRequest,
    steps: &[StepSpec],
    schemas: &'a Schemas,
    notes: Vec<String>,
) -> Result<Pipeline<'a>, ScaffoldError> {
    let mut namer = Namer::new();
    let params = inputs::declared(req.inputs.as_deref().unwrap_or_default(), &mut namer)?;
    let mut p = Pipeline {
        params,
        bindings: Vec::new(),
        calls: Vec::new(),
        namer,
        notes,
        names: Vec::new(),
        output_fields: Vec::new(),
        placeholders: Vec::new(),
        steps: steps.to_vec(),
        predictions: Vec::new(),
    };
    for (index, step) in steps.iter().enumerate() {
        let reference = step.model.trim();
        if ModelRef::parse(reference).is_err() {
            return Err(bad(
                index,
                format!("model {reference:?} is not \"owner/name\""),
            ));
        }
        let binding = p.bind(reference, schemas)?;
        let label = step
            .id
            .clone()
            .unwrap_or_else(|| ModelRef::model_of(reference).to_string());
        if p.names.iter().any(|(n, _)| *n == label) {
            return Err(bad(
                index,
                format!("another step is already named {label:?}; give this one an `id`"),
            ));
        }
        let call = plan_step(&mut p, index, &label, step, binding)?;
        p.names.push((label, p.calls.len()));
        p.calls.push(call);
    }
    for param in p.params.iter().filter(|param| param.uses == 0) {
        p.notes.push(format!(
            "run() input `{}` is not used by any step: use it in your code (validate_pipeline \
             reports it as PY029 until the code reads it).",
            param.name
        ));
    }
    for (field, value) in req.output_fields.iter().flat_map(|f| f.0.iter()) {
        let fail = |reason: String| ScaffoldError::InvalidOutputField {
            field: field.clone(),
            reason,
        };
        if !super::names::is_identifier(field) {
            return Err(fail("the name must be a Python identifier".to_string()));
        }
        let source = Source::parse_field(value).map_err(fail)?;
        p.output_fields.push((field.clone(), source));
    }
    Ok(p)
}

fn plan_step(
    p: &mut Pipeline<'_>,
    index: usize,
    label: &str,
    step: &StepSpec,
    binding: usize,
) -> Result<Call, ScaffoldError> {
    let schema = p.bindings[binding].schema;
    let model = p.bindings[binding].model().to_string();
    let known = |name: &str| -> Result<&InputParam, ScaffoldError> {
        schema
            .inputs
            .iter()
            .find(|i| i.name == name)
            .ok_or_else(|| {
                let all: Vec<&str> = schema.inputs.iter().map(|i| i.name.as_str()).collect();
                bad(
                    index,
                    format!(
                        "{model} has no input {name:?}; its inputs: {}",
                        all.join(", ")
                    ),
                )
            })
    };
    let mut call = Call {
        binding,
        args: Vec::new(),
        when_given: Vec::new(),
        out_var: None,
        output: None,
        over: None,
        deps: Vec::new(),
    };
    if let Some(over) = &step.over
        && step.inputs.contains_key(&over.input)
    {
        return Err(bad(
            index,
            format!(
                "`{}` of {model} has two sources: `inputs` and `over`; keep one",
                over.input
            ),
        ));
    }
    // Unknown names first; then the inputs in the model's own order.
    for name in step.inputs.keys() {
        known(name)?;
    }
    let ordered = schema
        .inputs
        .iter()
        .filter_map(|i| step.inputs.get_key_value(&i.name));
    for (name, raw) in ordered {
        let input = known(name)?;
        let target = ParamType::parse(&input.python_type).ty;
        let ctx = Ctx {
            index,
            label,
            model: &model,
            input,
        };
        let source = Source::parse(raw).map_err(|e| bad(index, format!("`{name}`: {e}")))?;
        let expr = resolve(p, &ctx, &source, &target, raw, &mut call.deps)?;
        // A run() input that may be None is passed only when set (the API refuses null).
        let when_given = matches!(&source, Source::Input(n)
            if p.params.iter().any(|q| q.name == *n && q.may_be_none()));
        if when_given {
            call.when_given.push((name.clone(), expr));
        } else {
            call.args.push((name.clone(), expr));
        }
    }
    if let Some(over) = &step.over {
        let input = known(&over.input)?;
        let target = ParamType::parse(&input.python_type).ty;
        let mut values = Vec::new();
        for v in &over.values {
            values.push(python::literal(v, Some(&target)).ok_or_else(|| {
                bad(
                    index,
                    format!("{v} is not a {} for `{}`", input.python_type, over.input),
                )
            })?);
        }
        if values.is_empty() {
            return Err(bad(index, "`over.values` is empty".to_string()));
        }
        let ident = p.bindings[binding].ident.clone();
        let base = step.id.as_deref().map(to_identifier).unwrap_or(ident);
        call.over = Some(FanOut {
            input: over.input.clone(),
            values,
            var: p
                .namer
                .fresh(&[to_identifier(&over.input), "value".to_string()]),
            predictions: p.namer.fresh(&[format!("{base}_predictions")]),
        });
        let item = p.bindings[binding].output();
        let var = p.namer.fresh(&[format!("{base}_outputs")]);
        call.out_var = Some(var.clone());
        call.output = Some(match &item.detail {
            // One item per value, each shaped like the model's output.
            Some(d) => Value::of_shape(
                var,
                &OutputShape {
                    python_type: format!("list[{}]", d.python_type),
                    file: false,
                    fields: Vec::new(),
                    items: Some(Box::new(d.clone())),
                    any_of: Vec::new(),
                    cut: None,
                },
            ),
            None => {
                let (shape, item_scalar) = match item.shape {
                    Shape::Path => (Shape::PathList, Some(Scalar::Path)),
                    Shape::Str => (Shape::List, Some(Scalar::Str)),
                    Shape::Int => (Shape::List, Some(Scalar::Int)),
                    Shape::Float => (Shape::List, Some(Scalar::Float)),
                    Shape::Bool => (Shape::List, Some(Scalar::Bool)),
                    _ => (Shape::List, None),
                };
                Value {
                    expr: var,
                    shape,
                    item: item_scalar,
                    url: true,
                    detail: None,
                }
            }
        });
    } else if step.id.is_some() || p.calls.iter().any(|c| c.binding == binding) {
        let base = step
            .id
            .as_deref()
            .map(to_identifier)
            .unwrap_or_else(|| p.bindings[binding].out_var.clone());
        let var = p.namer.fresh(&[base.clone(), format!("{base}_output")]);
        let mut value = p.bindings[binding].output();
        rename(&mut value, &var);
        call.out_var = Some(var);
        call.output = Some(value);
    }
    // Required inputs no source gives: a placeholder the validator reports (PY032).
    for input in schema.inputs.iter().filter(|i| i.required) {
        let given = step.inputs.contains_key(&input.name)
            || step.over.as_ref().is_some_and(|o| o.input == input.name);
        if !given {
            let todo = p.todo(format!(
                "choose {model}'s `{}` ({}): a run() input, an earlier step's output or a \
                 fixed value",
                input.name, input.python_type
            ));
            call.args.push((input.name.clone(), todo));
        }
    }
    // A model that requires nothing is never called without arguments (it would run on its
    // defaults): its main input gets a placeholder.
    if call.args.is_empty()
        && call.when_given.is_empty()
        && call.over.is_none()
        && let Some(input) = super::auto::main_input(&schema.inputs)
    {
        let todo = p.todo(format!(
            "choose {model}'s `{}` ({}): it requires no input, and called without one it runs \
             on its defaults",
            input.name, input.python_type
        ));
        call.args.push((input.name.clone(), todo));
    }
    Ok(call)
}

/// Renames a call's result (and the reads of its parts).
fn rename(value: &mut Value, var: &str) {
    value.expr = var.to_string();
}

/// Which step input is being resolved, for messages.
struct Ctx<'c> {
    index: usize,
    label: &'c str,
    model: &'c str,
    input: &'c InputParam,
}

impl Ctx<'_> {
    fn refuse(&self, given: &serde_json::Value, why: String) -> ScaffoldError {
        let description = self
            .input
            .description
            .as_deref()
            .map(python::one_line)
            .filter(|d| !d.is_empty())
            .map(|d| format!(", \"{d}\""))
            .unwrap_or_default();
        bad(
            self.index,
            format!(
                "step {:?}: {}'s `{}` ({}{description}) cannot take {given}: {why}",
                self.label, self.model, self.input.name, self.input.python_type
            ),
        )
    }
}

/// The expression passing `source` to a model input of type `target`.
fn resolve(
    p: &mut Pipeline<'_>,
    ctx: &Ctx<'_>,
    source: &Source,
    target: &PyType,
    raw: &serde_json::Value,
    deps: &mut Vec<usize>,
) -> Result<String, ScaffoldError> {
    if let Source::Value(v) = source {
        return python::literal(v, Some(target)).ok_or_else(|| {
            ctx.refuse(
                raw,
                format!("it is not a {} literal", ctx.input.python_type),
            )
        });
    }
    if let Source::List(items) = source {
        let PyType::List(item_ty) = target else {
            return Err(ctx.refuse(
                raw,
                format!(
                    "`list` builds a list and the input takes one {}",
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
                format!("get_path_url({fitted})")
            } else {
                fitted
            });
        }
        return Ok(format!("[{}]", parts.join(", ")));
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
) -> Result<String, ScaffoldError> {
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
                && matches!(value.shape, Shape::List | Shape::PathList);
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

/// The value a source stands for (before fitting it to a target). `input` is the model
/// input it feeds, used to declare an unknown `run()` input from it.
fn source_value(
    p: &mut Pipeline<'_>,
    source: &Source,
    input: Option<(&str, &InputParam)>,
    deps: &mut Vec<usize>,
) -> Result<Value, String> {
    match source {
        Source::Input(name) => run_input(p, name, input),
        Source::Step { step, pick, join } => {
            let call = p
                .find(step)
                .ok_or_else(|| format!("no earlier step is named {step:?}"))?;
            if !deps.contains(&call) {
                deps.push(call);
            }
            let value = p.call_value(&p.calls[call]);
            let picked = coerce::pick(&value, pick)?;
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
            let lit =
                python::literal(v, Some(&ty)).ok_or_else(|| format!("{v} is not a literal"))?;
            Ok(Value::of_type(lit, &ty))
        }
        Source::List(_) => Err("`list` is for a model input that takes a list".to_string()),
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
