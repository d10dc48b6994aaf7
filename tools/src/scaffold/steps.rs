//! The planner: turns steps (the agent's, or the automatic wiring's) into calls. Each model
//! input's source is resolved to a typed value, picked, joined or listed, and fitted to the
//! input's type through the one coercion table (`coerce`); what does not fit is refused with
//! the step, the input, what was given, the output's shape, the input's type and the picks
//! that would fit. A required input no step gives gets a `TODO(...)` placeholder.

use super::error::ScaffoldError;
use super::inputs;
use super::names::{Namer, to_identifier};
use super::plan::{Call, Pipeline};
use super::python;
use super::request::{ScaffoldRequest, StepSpec};
use super::source::Source;
use super::types::{ParamType, Scalar, Shape, Value};
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
        let target = ParamType::of(&input.python_type).ty;
        let ctx = super::resolve::Ctx {
            index,
            label,
            model: &model,
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
    }
    if let Some(over) = &step.over {
        let input = known(&over.input)?;
        let target = ParamType::of(&input.python_type).ty;
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
                    choices: Vec::new(),
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
