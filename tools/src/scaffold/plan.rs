//! Planning `run()`: which parameters it takes, which models it binds, and where every model
//! input's value comes from.
//!
//! For each input a model requires, the value is, in order of preference:
//! 1. a `run()` parameter of the same name and a compatible type that no earlier call used
//!    for a required input;
//! 2. the output of an earlier model, most recent first, when the types fit (a `list[Path]`
//!    gives its first file to a `Path` input, a language model's `str` feeds a `str` input);
//! 3. a `run()` parameter of the same name already passed to an earlier model;
//! 4. a new `run()` parameter (when `inputs` was omitted, or the value must be a file or a
//!    secret);
//! 5. a literal of the right type inside the input's choices and bounds.
//!
//! Optional model inputs are passed only when a `run()` parameter has their name, or, for a
//! file input, when the call would otherwise ignore an earlier model's file output.

use serde_json::Value as Json;

use super::error::ScaffoldError;
use super::inputs::{self, Param};
use super::names::{Namer, to_identifier};
use super::python;
use super::request::ScaffoldRequest;
use super::types::{ParamType, PyType, Scalar, Shape, Value};
use crate::schema::{InputParam, ModelRef, ModelSchema, Schemas};

/// A model bound at module scope.
#[derive(Debug, Clone)]
pub(crate) struct Binding<'a> {
    /// The reference as requested (`owner/name` or `owner/name:version`).
    pub(crate) reference: String,
    /// The module-level variable.
    pub(crate) ident: String,
    /// The local variable holding its output.
    pub(crate) out_var: String,
    pub(crate) schema: &'a ModelSchema,
}

impl Binding<'_> {
    /// The call's result as a value.
    pub(crate) fn output(&self) -> Value {
        let item = match PyType::parse(&self.schema.output.python_type) {
            PyType::List(s) => Some(s),
            _ => None,
        };
        Value {
            expr: self.out_var.clone(),
            shape: Shape::of_output(&self.schema.output),
            item,
        }
    }
}

/// One call of a bound model: keyword arguments as Python source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    pub(crate) binding: usize,
    pub(crate) args: Vec<(String, String)>,
    /// Optional `run()` parameters (default `None`) for optional model inputs: sent only when
    /// set, because the API rejects `null` for an input (`**given(seed=seed)`).
    pub(crate) when_given: Vec<(String, String)>,
    /// The variable holding this call's result, when not the binding's (`steps`).
    pub(crate) out_var: Option<String>,
    /// The result, when not the binding's output (a fan-out, `steps`).
    pub(crate) output: Option<Value>,
    /// One `create()` per value of one input, run in parallel (`steps[].over`).
    pub(crate) over: Option<super::steps::FanOut>,
}

/// The module-level helper that drops `None` values from keyword arguments.
pub(crate) const GIVEN_HELPER: &str = "given";

/// Everything `main.py` needs except the return.
#[derive(Debug)]
pub(crate) struct Pipeline<'a> {
    pub(crate) params: Vec<Param>,
    pub(crate) bindings: Vec<Binding<'a>>,
    pub(crate) calls: Vec<Call>,
    pub(crate) namer: Namer,
    pub(crate) notes: Vec<String>,
    /// `Output` fields named by the request (`output_fields`): (name, call index).
    pub(crate) output_fields: Vec<(String, usize)>,
}

/// The requested model references, checked and without duplicates, in order.
pub(crate) fn model_refs(req: &ScaffoldRequest) -> Result<Vec<String>, ScaffoldError> {
    let mut out: Vec<String> = Vec::new();
    for (index, reference) in req.models.iter().flatten().enumerate() {
        let reference = reference.trim();
        if ModelRef::parse(reference).is_err() {
            return Err(ScaffoldError::InvalidModelRef {
                index,
                reference: reference.to_string(),
            });
        }
        if !out.iter().any(|r| r == reference) {
            out.push(reference.to_string());
        }
    }
    Ok(out)
}

/// Plans the parameters, bindings and calls.
pub(crate) fn plan<'a>(
    req: &ScaffoldRequest,
    schemas: &'a Schemas,
) -> Result<Pipeline<'a>, ScaffoldError> {
    if let Some(steps) = req.steps.as_deref() {
        return super::steps::plan_steps(req, steps, schemas);
    }
    let mut namer = Namer::new();
    let mut notes = Vec::new();
    let params = inputs::declared(req.inputs.as_deref().unwrap_or_default(), &mut namer)?;
    let refs = model_refs(req)?;
    if req.models.iter().flatten().count() > refs.len() {
        notes.push("Duplicate model references were bound once.".to_string());
    }
    let mut bindings = Vec::with_capacity(refs.len());
    for reference in refs {
        let key = ModelRef::model_of(&reference);
        let schema = schemas
            .get(&reference)
            .ok_or_else(|| ScaffoldError::MissingSchema {
                model: key.to_string(),
            })?;
        let (owner, name) = key.split_once('/').unwrap_or(("", key));
        let ident = namer.fresh(&[
            to_identifier(name),
            to_identifier(&format!("{owner}_{name}")),
        ]);
        let out_var = namer.fresh(&[format!("{ident}_output")]);
        bindings.push(Binding {
            reference,
            ident,
            out_var,
            schema,
        });
    }
    let mut pipeline = Pipeline {
        params,
        bindings,
        calls: Vec::new(),
        namer,
        notes,
        output_fields: Vec::new(),
    };
    let auto_inputs = req.inputs.is_none();
    for index in 0..pipeline.bindings.len() {
        let mut call = plan_call(&mut pipeline, index, auto_inputs);
        if call.args.is_empty() && call.when_given.is_empty() {
            super::fill::fill_one_input(&mut pipeline, &mut call, auto_inputs)?;
        }
        pipeline.calls.push(call);
    }
    if let Some(e) = super::fill::unused_inputs(&pipeline) {
        return Err(e);
    }
    Ok(pipeline)
}

fn plan_call(p: &mut Pipeline<'_>, index: usize, auto_inputs: bool) -> Call {
    let binding = p.bindings[index].clone();
    let previous: Vec<(String, Value)> = p.bindings[..index]
        .iter()
        .rev()
        .map(|b| (ModelRef::model_of(&b.reference).to_string(), b.output()))
        .collect();
    let model = ModelRef::model_of(&binding.reference).to_string();
    let mut call = Call {
        binding: index,
        args: Vec::new(),
        when_given: Vec::new(),
        out_var: None,
        output: None,
        over: None,
    };
    let mut used_previous = false;
    for input in &binding.schema.inputs {
        let target = ParamType::parse(&input.python_type).ty;
        if input.required {
            let (expr, from) = required_source(p, &binding, input, &target, &previous, auto_inputs);
            if let Some(from) = from {
                used_previous = true;
                p.notes.push(chain_note(&model, &input.name, &from));
            }
            call.args.push((input.name.clone(), expr));
            continue;
        }
        match optional_source(p, &binding, input, &target, &previous, used_previous) {
            Some(Source::Previous { expr, from }) => {
                used_previous = true;
                p.notes.push(chain_note(&model, &input.name, &from));
                call.args.push((input.name.clone(), expr));
            }
            Some(Source::Param { expr, may_be_none }) if may_be_none => {
                call.when_given.push((input.name.clone(), expr));
            }
            Some(Source::Param { expr, .. }) => call.args.push((input.name.clone(), expr)),
            None => {}
        }
    }
    call
}

/// Where an optional model input's value comes from.
enum Source {
    /// A `run()` parameter; `may_be_none` when it defaults to `None`.
    Param { expr: String, may_be_none: bool },
    /// An earlier model's output.
    Previous {
        /// The expression.
        expr: String,
        /// The model whose output it is.
        from: String,
    },
}

/// Notes that a model input is fed from a run() input (every automatic link is listed).
fn param_note(p: &mut Pipeline<'_>, model: &str, input: &str, param: usize) {
    let note = format!(
        "{model} gets `{input}` from run() input `{}`.",
        p.params[param].name
    );
    p.notes.push(note);
}

pub(crate) fn chain_note(model: &str, input: &str, from: &str) -> String {
    format!("{model} gets `{input}` from the output of {from}.")
}

/// The index of a parameter named like `input` whose value fits `target`, with the
/// expression passing it.
fn matching_param(
    params: &[Param],
    input: &InputParam,
    target: &PyType,
) -> Option<(usize, String)> {
    let i = params.iter().position(|p| p.name == input.name)?;
    let param = &params[i];
    if param.ty.optional && input.required {
        return None;
    }
    param.value().adapt_to(target).map(|expr| (i, expr))
}

fn required_source(
    p: &mut Pipeline<'_>,
    binding: &Binding<'_>,
    input: &InputParam,
    target: &PyType,
    previous: &[(String, Value)],
    auto_inputs: bool,
) -> (String, Option<String>) {
    let model = ModelRef::model_of(&binding.reference).to_string();
    let matched = matching_param(&p.params, input, target);
    if let Some((i, expr)) = &matched
        && !p.params[*i].fed_required
    {
        p.params[*i].uses += 1;
        p.params[*i].fed_required = true;
        check_choices(p, &model, input, *i);
        param_note(p, &model, &input.name, *i);
        return (expr.clone(), None);
    }
    if let Some((expr, from)) = previous
        .iter()
        .find_map(|(m, v)| v.adapt_to(target).map(|e| (e, m.clone())))
    {
        return (expr, Some(from));
    }
    if let Some((i, expr)) = matched {
        p.params[i].uses += 1;
        if *target == PyType::Scalar(Scalar::Str) {
            p.notes.push(format!(
                "run() input `{}` is also passed to {model} as its `{}`: confirm it should get \
                 the user's text rather than an earlier output or a fixed instruction (use \
                 `steps` to say).",
                p.params[i].name, input.name
            ));
        }
        return (expr, None);
    }
    let must_be_param = matches!(
        target,
        PyType::Scalar(Scalar::Path | Scalar::Secret) | PyType::List(Scalar::Path)
    );
    if auto_inputs || must_be_param {
        let name = p.namer.fresh(&[
            input.name.clone(),
            format!("{}_{}", binding.ident, input.name),
        ]);
        if let Some(mut param) = inputs::from_model_input(name.clone(), &model, input) {
            param.uses = 1;
            param.fed_required = true;
            let expr = param
                .value()
                .adapt_to(target)
                .unwrap_or_else(|| name.clone());
            if !auto_inputs {
                p.notes.push(format!(
                    "Added run() input `{name}`: {model} requires `{}` ({}) and nothing else \
                     supplies it.",
                    input.name, input.python_type
                ));
            }
            p.params.push(param);
            return (expr, None);
        }
    }
    let literal = literal_for(input, target);
    p.notes.push(match &literal {
        Some(lit) => format!(
            "{model}: required input `{}` is set to the placeholder {lit}; replace it, or add a \
             run() input named `{}`.",
            input.name, input.name
        ),
        None => format!(
            "{model}: required input `{}` has type `{}`, which the scaffold cannot fill; it is \
             passed None: replace it.",
            input.name, input.python_type
        ),
    });
    (literal.unwrap_or_else(|| "None".to_string()), None)
}

fn optional_source(
    p: &mut Pipeline<'_>,
    binding: &Binding<'_>,
    input: &InputParam,
    target: &PyType,
    previous: &[(String, Value)],
    used_previous: bool,
) -> Option<Source> {
    if let Some((i, expr)) = matching_param(&p.params, input, target) {
        p.params[i].uses += 1;
        let model = ModelRef::model_of(&binding.reference).to_string();
        check_choices(p, &model, input, i);
        param_note(p, &model, &input.name, i);
        let param = &p.params[i];
        return Some(Source::Param {
            expr,
            may_be_none: param.ty.optional
                && param
                    .default
                    .as_ref()
                    .is_none_or(serde_json::Value::is_null),
        });
    }
    let file_input = matches!(
        target,
        PyType::Scalar(Scalar::Path) | PyType::List(Scalar::Path)
    );
    if used_previous || !file_input {
        return None;
    }
    previous
        .iter()
        .filter(|(_, v)| v.shape.is_file())
        .find_map(|(m, v)| {
            v.adapt_to(target).map(|expr| Source::Previous {
                expr,
                from: m.clone(),
            })
        })
}

/// Notes a declared parameter whose choices the model does not all accept.
fn check_choices(p: &mut Pipeline<'_>, model: &str, input: &InputParam, param: usize) {
    let (Some(allowed), Some(offered)) = (&input.choices, &p.params[param].choices) else {
        return;
    };
    let extra: Vec<String> = offered
        .iter()
        .filter(|c| !allowed.contains(c))
        .map(Json::to_string)
        .collect();
    if !extra.is_empty() {
        p.notes.push(format!(
            "run() input `{}` allows {} which {model} does not accept for `{}`.",
            p.params[param].name,
            extra.join(", "),
            input.name
        ));
    }
}

/// A literal for a required input nothing supplies, inside its choices and bounds.
fn literal_for(input: &InputParam, target: &PyType) -> Option<String> {
    if let Some(choices) = input.choices.as_ref().filter(|c| !c.is_empty()) {
        let pick = input
            .default
            .as_ref()
            .filter(|d| choices.contains(d))
            .unwrap_or(&choices[0]);
        return python::literal(pick, Some(target));
    }
    if let Some(default) = input.default.as_ref().filter(|d| !d.is_null()) {
        return python::literal(default, Some(target));
    }
    let clamp = |start: f64| {
        let mut v = start;
        if let Some(min) = input.minimum {
            v = v.max(min);
        }
        if let Some(max) = input.maximum {
            v = v.min(max);
        }
        v
    };
    match target {
        PyType::Scalar(Scalar::Str) => Some(python::string(&format!(
            "your {}",
            input.name.replace('_', " ")
        ))),
        PyType::Scalar(Scalar::Int) => {
            let v = clamp(1.0);
            let v = if v.fract() == 0.0 || input.maximum.is_some_and(|m| v.ceil() > m) {
                v.floor()
            } else {
                v.ceil()
            };
            python::number(v, true)
        }
        PyType::Scalar(Scalar::Float) => python::float(clamp(1.0)),
        PyType::Scalar(Scalar::Bool) => Some("False".to_string()),
        PyType::List(_) => Some("[]".to_string()),
        PyType::Other(t) if t == "dict" || t.starts_with("dict[") => Some("{}".to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_refs_are_checked() {
        for ok in [
            "acme/pixel-forge",
            "acme/upscale.x2",
            "a/b:0123abc",
            "Org_1/m",
        ] {
            assert!(ModelRef::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "acme", "a/b/c", "a b/c", "../x", "a/..", "a/b:", "a/b:x-y", "/b",
        ] {
            assert!(ModelRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn int_literal_stays_in_bounds() {
        let input = InputParam {
            name: "steps".into(),
            python_type: "int".into(),
            required: true,
            default: None,
            description: None,
            choices: None,
            minimum: Some(2.5),
            maximum: Some(10.0),
        };
        assert_eq!(
            literal_for(&input, &PyType::Scalar(Scalar::Int)).unwrap(),
            "3"
        );
    }
}
