//! The planner: turns steps (the agent's, or the automatic wiring's) into calls. Each model
//! input's source is resolved to a typed value, picked, joined or listed, and fitted to the
//! input's type through the one coercion table (`coerce`); what does not fit is refused with
//! the step, the input, what was given, the output's shape, the input's type and the picks
//! that would fit. A required input no step gives gets a `TODO(...)` placeholder.

use super::emit::Expr;
use super::emit::names::{Namer, to_identifier};
use super::error::ScaffoldError;
use super::inputs;
use super::plan::{Call, Pipeline};
use super::request::{ScaffoldRequest, StepSpec};
use super::source::Source;
use super::types::{ParamType, Scalar, Shape, Value};
use crate::schema::{InputParam, ModelRef, OutputShape, Schemas};

/// A fan-out: `input` takes each of `values` (literals) in its own prediction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FanOut {
    pub(crate) input: String,
    pub(crate) values: Vec<Expr>,
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

    /// The refusal for a step name that no earlier step has, naming the ones there are.
    pub(crate) fn unknown_step(&self, step: &str) -> String {
        let names: Vec<String> = self.names.iter().map(|(n, _)| format!("{n:?}")).collect();
        if names.is_empty() {
            return format!("no earlier step is named {step:?}: there is no earlier step");
        }
        format!(
            "no earlier step is named {step:?}; earlier steps are named {} (a step's `id`, \
             else its model as owner/name)",
            names.join(", ")
        )
    }

    /// The value of a source (without a target: `output_fields`), recording the calls read.
    pub(crate) fn value_of(
        &mut self,
        src: &Source,
        deps: &mut Vec<usize>,
    ) -> Result<Value, String> {
        super::resolve::source_value(self, src, None, deps)
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
        unread: Vec::new(),
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

/// The input of a step's model named `name`, or a refusal listing its inputs.
fn known<'s>(
    schema: &'s crate::schema::ModelSchema,
    index: usize,
    model: &str,
    name: &str,
) -> Result<&'s InputParam, ScaffoldError> {
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
        known(schema, index, &model, name)?;
    }
    let ordered = schema
        .inputs
        .iter()
        .filter_map(|i| step.inputs.get_key_value(&i.name));
    for (name, raw) in ordered {
        let input = known(schema, index, &model, name)?;
        plan_input(p, &mut call, index, label, &model, input, raw)?;
    }
    if let Some(over) = &step.over {
        let input = known(schema, index, &model, &over.input)?;
        fan_out(p, &mut call, (index, label), step, input)?;
    } else if step.id.is_some() || p.calls.iter().any(|c| c.binding == binding) {
        let base = step
            .id
            .as_deref()
            .map(to_identifier)
            .unwrap_or_else(|| p.bindings[binding].out_var.clone());
        let var = p.namer.fresh(&[base.clone(), format!("{base}_output")]);
        let mut value = p.bindings[binding].output();
        value.expr = Expr::name(var.clone());
        call.out_var = Some(var);
        call.output = Some(value);
    }
    fill_required(p, &mut call, step, &model);
    Ok(call)
}

/// One model input from its source: fitted, and passed only when set when it is a run()
/// input that may be `None`.
fn plan_input(
    p: &mut Pipeline<'_>,
    call: &mut Call,
    index: usize,
    label: &str,
    model: &str,
    input: &InputParam,
    raw: &serde_json::Value,
) -> Result<(), ScaffoldError> {
    let name = &input.name;
    let target = ParamType::of(&input.python_type).ty;
    let ctx = super::resolve::Ctx {
        index,
        label,
        model,
        input,
    };
    let source = Source::parse(raw).map_err(|e| bad(index, format!("`{name}`: {e}")))?;
    let expr = super::resolve::resolve(p, &ctx, &source, &target, raw, &mut call.deps)?;
    // A run() input that may be None is passed only when set (the API refuses null).
    let when_given = matches!(&source, Source::Input(n)
        if p.params.iter().any(|q| q.name == *n && q.may_be_none()));
    if when_given {
        call.when_given.push((name.clone(), expr));
    } else {
        call.args.push((name.clone(), expr));
    }
    Ok(())
}

/// `over`: one prediction per value of one input; the result is the list of outputs.
fn fan_out(
    p: &mut Pipeline<'_>,
    call: &mut Call,
    (index, label): (usize, &str),
    step: &StepSpec,
    input: &InputParam,
) -> Result<(), ScaffoldError> {
    let Some(over) = &step.over else {
        return Ok(());
    };
    let target = ParamType::of(&input.python_type).ty;
    let model = p.bindings[call.binding].model().to_string();
    let ctx = super::resolve::Ctx {
        index,
        label,
        model: &model,
        input,
    };
    let mut values = Vec::new();
    for v in &over.values {
        values.push(super::resolve::literal(v, Some(&target)).ok_or_else(|| {
            ctx.refuse(
                v,
                format!(
                    "`over.values` holds literals of the input's type ({}); for values from \
                     run() inputs or steps, send one step per value (each with an `id`) and \
                     set `{}` in its `inputs`",
                    input.python_type, over.input
                ),
            )
        })?);
    }
    if values.is_empty() {
        return Err(bad(index, "`over.values` is empty".to_string()));
    }
    let binding = call.binding;
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
    let var = p.namer.fresh(&[format!("{base}_outputs")]);
    call.out_var = Some(var.clone());
    call.output = Some(fan_out_value(&p.bindings[binding].output(), var));
    Ok(())
}

/// The list a fan-out returns: one item per value, each shaped like the model's output.
fn fan_out_value(item: &Value, var: String) -> Value {
    if let Some(d) = &item.detail {
        return Value::of_shape(
            Expr::name(var),
            &OutputShape {
                python_type: format!("list[{}]", d.python_type),
                file: false,
                fields: Vec::new(),
                items: Some(Box::new(d.clone())),
                any_of: Vec::new(),
                cut: None,
                choices: Vec::new(),
            },
        );
    }
    let (shape, item_scalar) = match item.shape {
        Shape::Path => (Shape::PathList, Some(Scalar::Path)),
        Shape::Str => (Shape::List, Some(Scalar::Str)),
        Shape::Int => (Shape::List, Some(Scalar::Int)),
        Shape::Float => (Shape::List, Some(Scalar::Float)),
        Shape::Bool => (Shape::List, Some(Scalar::Bool)),
        _ => (Shape::List, None),
    };
    Value {
        expr: Expr::name(var),
        shape,
        item: item_scalar,
        url: true,
        detail: None,
    }
}

/// Placeholders (PY032) for the required inputs no source gives, and for the main input of
/// a model that requires nothing (called without arguments it would run on its defaults).
fn fill_required(p: &mut Pipeline<'_>, call: &mut Call, step: &StepSpec, model: &str) {
    let schema = p.bindings[call.binding].schema;
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
}
