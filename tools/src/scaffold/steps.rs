//! Planning `run()` from explicit `steps`: each model input's source is given (a `run()`
//! input, an earlier step's output, a fixed value), a step may fan out over values, and
//! `output_fields` names what `run()` returns.

use super::error::ScaffoldError;
use super::inputs::{self, Param};
use super::names::{Namer, to_identifier};
use super::plan::{Binding, Call, Pipeline};
use super::python;
use super::request::{ScaffoldRequest, StepInput, StepSpec};
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
}

fn bad(index: usize, reason: String) -> ScaffoldError {
    ScaffoldError::InvalidStep { index, reason }
}

/// Plans parameters, bindings and calls from `steps`.
pub(crate) fn plan_steps<'a>(
    req: &ScaffoldRequest,
    steps: &[StepSpec],
    schemas: &'a Schemas,
) -> Result<Pipeline<'a>, ScaffoldError> {
    let mut namer = Namer::new();
    let params = inputs::declared(req.inputs.as_deref().unwrap_or_default(), &mut namer)?;
    let mut p = Pipeline {
        params,
        bindings: Vec::new(),
        calls: Vec::new(),
        namer,
        notes: Vec::new(),
        output_fields: Vec::new(),
    };
    // Step names (id, else model) → call index.
    let mut names: Vec<(String, usize)> = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        let reference = step.model.trim();
        if ModelRef::parse(reference).is_err() {
            return Err(bad(
                index,
                format!("model {reference:?} is not \"owner/name\""),
            ));
        }
        let key = ModelRef::model_of(reference);
        let schema = schemas
            .get(reference)
            .ok_or_else(|| ScaffoldError::MissingSchema {
                model: key.to_string(),
            })?;
        let binding = match p.bindings.iter().position(|b| b.reference == reference) {
            Some(i) => i,
            None => {
                let (owner, name) = key.split_once('/').unwrap_or(("", key));
                let ident = p.namer.fresh(&[
                    to_identifier(name),
                    to_identifier(&format!("{owner}_{name}")),
                ]);
                let out_var = p.namer.fresh(&[format!("{ident}_output")]);
                p.bindings.push(Binding {
                    reference: reference.to_string(),
                    ident,
                    out_var,
                    schema,
                });
                p.bindings.len() - 1
            }
        };
        let call = plan_step(&mut p, &names, index, step, binding)?;
        let label = step.id.clone().unwrap_or_else(|| key.to_string());
        if names.iter().any(|(n, _)| *n == label) {
            return Err(bad(
                index,
                format!("another step is already named {label:?}; give this one an `id`"),
            ));
        }
        names.push((label, p.calls.len()));
        p.calls.push(call);
    }
    if let Some((index, param)) = p
        .params
        .iter()
        .enumerate()
        .find(|(_, param)| param.uses == 0)
    {
        return Err(ScaffoldError::InvalidInput {
            index,
            name: param.name.clone(),
            reason:
                "no step uses this run() input; pass it with {\"input\": \"NAME\"} or remove it"
                    .to_string(),
        });
    }
    for (field, step) in req.output_fields.iter().flatten() {
        if !super::names::is_identifier(field) {
            return Err(ScaffoldError::InvalidOutputField {
                field: field.clone(),
                reason: "the name must be a Python identifier".to_string(),
            });
        }
        let call = find(&names, step).ok_or_else(|| ScaffoldError::InvalidOutputField {
            field: field.clone(),
            reason: format!("no step is named {step:?}; use a step id or model"),
        })?;
        p.output_fields.push((field.clone(), call));
    }
    Ok(p)
}

fn find(names: &[(String, usize)], step: &str) -> Option<usize> {
    names
        .iter()
        .rev()
        .find(|(n, _)| n == step || ModelRef::model_of(n) == step)
        .map(|(_, i)| *i)
}

fn plan_step(
    p: &mut Pipeline<'_>,
    names: &[(String, usize)],
    index: usize,
    step: &StepSpec,
    binding: usize,
) -> Result<Call, ScaffoldError> {
    let schema = p.bindings[binding].schema;
    let model = ModelRef::model_of(&p.bindings[binding].reference).to_string();
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
    };
    for (name, source) in &step.inputs {
        let input = known(name)?;
        let target = ParamType::parse(&input.python_type).ty;
        let expr = match source {
            StepInput::Value { value } => {
                python::literal(value, Some(&target)).ok_or_else(|| {
                    bad(
                        index,
                        format!(
                            "{value} is not a {} literal for `{name}`",
                            input.python_type
                        ),
                    )
                })?
            }
            StepInput::Input { input: param } => {
                let expr = run_input(p, index, &model, input, param)?;
                // A run() input that may be None is passed only when given: replicate
                // sends None as null, which the API refuses for most inputs.
                let may_be_none = p.params.iter().find(|q| q.name == *param).is_some_and(|q| {
                    q.ty.optional && q.default.as_ref().is_none_or(serde_json::Value::is_null)
                });
                if may_be_none {
                    call.when_given.push((name.clone(), expr));
                    continue;
                }
                expr
            }
            StepInput::Step { step: from, pick } => {
                let call = find(names, from)
                    .ok_or_else(|| bad(index, format!("no earlier step is named {from:?}")))?;
                let value = picked(p, &p.calls[call], pick.as_deref())
                    .map_err(|reason| bad(index, reason))?;
                value.adapt_to(&target).ok_or_else(|| {
                    bad(
                        index,
                        format!(
                            "the output of {from:?} ({}) does not fit `{name}` ({}); choose a \
                             `pick` (\"first\", \"all\" or an output field)",
                            shape_name(&value),
                            input.python_type
                        ),
                    )
                })?
            }
        };
        call.args.push((name.clone(), expr));
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
        call.out_var = Some(p.namer.fresh(&[format!("{base}_outputs")]));
        call.output = Some(Value {
            expr: call.out_var.clone().unwrap_or_default(),
            shape: match item.shape {
                Shape::Path => Shape::PathList,
                _ => Shape::List,
            },
            item: match item.shape {
                Shape::Path => Some(Scalar::Path),
                Shape::Str => Some(Scalar::Str),
                _ => None,
            },
        });
    } else if let Some(id) = &step.id {
        let var = p
            .namer
            .fresh(&[to_identifier(id), format!("{}_output", to_identifier(id))]);
        let mut value = p.bindings[binding].output();
        value.expr = var.clone();
        call.out_var = Some(var);
        call.output = Some(value);
    } else if p.calls.iter().any(|c| c.binding == binding) {
        let var = p.namer.fresh(&[p.bindings[binding].out_var.clone()]);
        let mut value = p.bindings[binding].output();
        value.expr = var.clone();
        call.out_var = Some(var);
        call.output = Some(value);
    }
    if call.args.is_empty() && !schema.inputs.is_empty() && call.over.is_none() {
        let all: Vec<String> = schema
            .inputs
            .iter()
            .map(|i| format!("{}: {}", i.name, i.python_type))
            .collect();
        return Err(bad(
            index,
            format!(
                "{model} gets no inputs; give at least one in `inputs`. Its inputs: {}",
                all.join(", ")
            ),
        ));
    }
    Ok(call)
}

/// The expression for a `run()` input, declaring it from the model input when `inputs` was
/// omitted.
fn run_input(
    p: &mut Pipeline<'_>,
    index: usize,
    model: &str,
    input: &InputParam,
    name: &str,
) -> Result<String, ScaffoldError> {
    let target = ParamType::parse(&input.python_type).ty;
    if let Some(i) = p.params.iter().position(|param| param.name == name) {
        p.params[i].uses += 1;
        return p.params[i].value().adapt_to(&target).ok_or_else(|| {
            bad(
                index,
                format!(
                    "run() input `{name}` ({}) does not fit {model}'s `{}` ({})",
                    p.params[i].ty.render(),
                    input.name,
                    input.python_type
                ),
            )
        });
    }
    if !super::names::is_identifier(name) || !p.namer.take(name) {
        return Err(bad(
            index,
            format!("`{name}` cannot be a run() input name; pick another identifier"),
        ));
    }
    let mut param: Param =
        inputs::from_model_input(name.to_string(), model, input).ok_or_else(|| {
            bad(
                index,
                format!(
                    "{model}'s `{}` ({}) cannot be a run() input",
                    input.name, input.python_type
                ),
            )
        })?;
    param.uses = 1;
    let expr = param
        .value()
        .adapt_to(&target)
        .unwrap_or_else(|| name.to_string());
    p.params.push(param);
    Ok(expr)
}

/// A step's output after `pick`.
fn picked(p: &Pipeline<'_>, call: &Call, pick: Option<&str>) -> Result<Value, String> {
    let value = p.call_value(call);
    let e = value.expr.clone();
    match pick {
        None | Some("all") => Ok(value),
        Some("first") => match value.shape {
            Shape::PathList => Ok(Value {
                expr: format!("{e}[0]"),
                shape: Shape::Path,
                item: None,
            }),
            Shape::List => Ok(Value {
                expr: format!("{e}[0]"),
                shape: match value.item {
                    Some(Scalar::Str) => Shape::Str,
                    Some(Scalar::Path) => Shape::Path,
                    _ => Shape::Opaque,
                },
                item: None,
            }),
            _ => Err(format!("`pick: \"first\"` needs a list; {e} is not one")),
        },
        Some(field) => {
            let schema = p.bindings[call.binding].schema;
            let shape: Option<&OutputShape> = schema.output.shape.as_ref();
            let found = shape
                .filter(|_| value.shape == Shape::Dict)
                .and_then(|s| s.fields.iter().find(|f| f.name == field));
            let Some(found) = found else {
                let fields: Vec<String> = shape
                    .map(|s| s.fields.iter().map(|f| f.name.clone()).collect())
                    .unwrap_or_default();
                return Err(format!(
                    "`pick: {field:?}`: {} has no output field {field:?}{}",
                    ModelRef::model_of(&p.bindings[call.binding].reference),
                    if fields.is_empty() {
                        String::new()
                    } else {
                        format!("; its fields: {}", fields.join(", "))
                    }
                ));
            };
            let ty = PyType::parse(&found.shape.python_type);
            Ok(Value {
                expr: format!("{e}[{}]", python::string(field)),
                shape: ty.shape(),
                item: match ty {
                    PyType::List(s) => Some(s),
                    _ => None,
                },
            })
        }
    }
}

fn shape_name(v: &Value) -> &'static str {
    match v.shape {
        Shape::Str => "str",
        Shape::Int => "int",
        Shape::Float => "float",
        Shape::Bool => "bool",
        Shape::Path => "Path",
        Shape::PathList => "list[Path]",
        Shape::List => "list",
        Shape::Dict => "dict",
        Shape::Secret => "Secret",
        Shape::Opaque => "value",
    }
}
