//! A model whose schema requires no input is never called with no arguments: it gets its
//! main input from an unused run() input, an earlier output, or a new run() input.

use super::error::ScaffoldError;
use super::inputs;
use super::plan::{Call, Pipeline, chain_note};
use super::types::{ParamType, PyType, Scalar};
use crate::schema::{InputParam, ModelRef};

/// A model whose schema requires nothing would be called with no arguments (PY030): give
/// it its main input — the first text input (`prompt` first), else its first input — from
/// an unused run() input, an earlier model's output, or (when `inputs` was omitted) a new
/// run() input.
pub(crate) fn fill_one_input(
    p: &mut Pipeline<'_>,
    call: &mut Call,
    auto_inputs: bool,
) -> Result<(), ScaffoldError> {
    let binding = p.bindings[call.binding].clone();
    let inputs = &binding.schema.inputs;
    if inputs.is_empty() {
        return Ok(());
    }
    let model = crate::schema::ModelRef::model_of(&binding.reference).to_string();
    let is_text =
        |i: &&InputParam| ParamType::parse(&i.python_type).ty == PyType::Scalar(Scalar::Str);
    let input = inputs
        .iter()
        .find(|i| i.name == "prompt")
        .or_else(|| inputs.iter().find(is_text))
        .unwrap_or(&inputs[0]);
    let target = ParamType::parse(&input.python_type).ty;
    let unused = p
        .params
        .iter()
        .position(|param| param.uses == 0 && param.value().adapt_to(&target).is_some());
    if let Some(i) = unused {
        p.params[i].uses += 1;
        let expr = p.params[i].value().adapt_to(&target).unwrap_or_default();
        p.notes.push(format!(
            "{model} requires no input; run() input `{}` is passed as its `{}`: confirm that is \
             what it should get.",
            p.params[i].name, input.name
        ));
        call.args.push((input.name.clone(), expr));
        return Ok(());
    }
    let previous = p.bindings[..call.binding].iter().rev().find_map(|b| {
        b.output().adapt_to(&target).map(|e| {
            (
                e,
                crate::schema::ModelRef::model_of(&b.reference).to_string(),
            )
        })
    });
    if let Some((expr, from)) = previous {
        p.notes.push(chain_note(&model, &input.name, &from));
        call.args.push((input.name.clone(), expr));
        return Ok(());
    }
    if auto_inputs {
        let name = p.namer.fresh(&[
            input.name.clone(),
            format!("{}_{}", binding.ident, input.name),
        ]);
        if let Some(mut param) = inputs::from_model_input(name.clone(), &model, input) {
            param.uses = 1;
            param.default = None;
            param.ty.optional = false;
            let expr = param
                .value()
                .adapt_to(&target)
                .unwrap_or_else(|| name.clone());
            p.notes.push(format!(
                "{model} requires no input; added run() input `{name}` for its `{}`.",
                input.name
            ));
            p.params.push(param);
            call.args.push((input.name.clone(), expr));
            return Ok(());
        }
    }
    Err(ScaffoldError::CallWithoutInputs {
        model,
        inputs: inputs
            .iter()
            .map(|i| format!("{}: {}", i.name, i.python_type))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Declared run() inputs the automatic wiring passed to no model: a refusal naming them and
/// the model inputs to choose from (`steps` can place them; PY029 would flag them).
pub(crate) fn unused_inputs(p: &Pipeline<'_>) -> Option<ScaffoldError> {
    let unused: Vec<&str> = p
        .params
        .iter()
        .filter(|p| p.declared && p.uses == 0)
        .map(|p| p.name.as_str())
        .collect();
    if let Some(first) = unused.first() {
        return Some(ScaffoldError::UnusedInputs {
            names: unused
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            first: (*first).to_string(),
            inputs: if p.bindings.is_empty() {
                "none — no `models` given; fetch_model_schema the models and pass them in \
                 `models`"
                    .to_string()
            } else {
                p.bindings
                    .iter()
                    .map(|b| {
                        let inputs: Vec<String> = b
                            .schema
                            .inputs
                            .iter()
                            .map(|i| format!("{}: {}", i.name, i.python_type))
                            .collect();
                        format!(
                            "{}({})",
                            ModelRef::model_of(&b.reference),
                            inputs.join(", ")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            },
        });
    }
    None
}
