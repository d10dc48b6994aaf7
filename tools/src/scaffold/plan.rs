//! The planned `run()`: its parameters, the models it binds and the calls it makes. One
//! planner builds it (`steps`) from the agent's `steps`, or from the steps the automatic
//! wiring (`auto`) derives from `models`.

use super::emit::Expr;
use super::emit::names::{Namer, to_identifier};
use super::error::ScaffoldError;
use super::inputs::Param;
use super::request::{ScaffoldRequest, StepSpec};
use super::source::Source;
use super::types::Value;
use crate::schema::{ModelRef, ModelSchema, Schemas};

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
        let output = &self.schema.output;
        match &output.shape {
            Some(shape) => {
                let mut v = Value::of_shape(Expr::name(self.out_var.clone()), shape);
                // A concatenated stream is one `str` whatever its item schema says.
                if output.kind == crate::schema::OutputKind::ConcatenatedString {
                    v = Value::of_type(
                        Expr::name(self.out_var.clone()),
                        &super::types::PyType::Scalar(super::types::Scalar::Str),
                    );
                }
                v
            }
            None => {
                let ty = super::types::PyType::parse(&output.python_type);
                let mut v = Value::of_type(Expr::name(self.out_var.clone()), &ty);
                v.shape = super::types::Shape::of_output(output);
                v.url = true;
                v
            }
        }
    }

    /// `owner/name`.
    pub(crate) fn model(&self) -> &str {
        ModelRef::model_of(&self.reference)
    }
}

/// One call of a bound model: its keyword arguments as expressions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    pub(crate) binding: usize,
    pub(crate) args: Vec<(String, Expr)>,
    /// Optional `run()` parameters (default `None`) for optional model inputs: sent only when
    /// set, because the API rejects `null` for an input (`**given(seed=seed)`).
    pub(crate) when_given: Vec<(String, Expr)>,
    /// The variable holding this call's result, when not the binding's.
    pub(crate) out_var: Option<String>,
    /// The result, when not the binding's output (a fan-out, a named step).
    pub(crate) output: Option<Value>,
    /// One `create()` per value of one input, run in parallel (`steps[].over`).
    pub(crate) over: Option<super::steps::FanOut>,
    /// The earlier calls whose outputs it reads.
    pub(crate) deps: Vec<usize>,
}

/// Everything `main.py` needs except the return.
#[derive(Debug)]
pub(crate) struct Pipeline<'a> {
    pub(crate) params: Vec<Param>,
    pub(crate) bindings: Vec<Binding<'a>>,
    pub(crate) calls: Vec<Call>,
    pub(crate) namer: Namer,
    pub(crate) notes: Vec<String>,
    /// Step names (id, else model) → call index.
    pub(crate) names: Vec<(String, usize)>,
    /// `Output` fields named by the request, in order, with their sources.
    pub(crate) output_fields: Vec<(String, Source)>,
    /// The text of every `TODO(...)` placeholder written, in order.
    pub(crate) placeholders: Vec<String>,
    /// The steps the calls were planned from (the agent's, or the automatic wiring's).
    pub(crate) steps: Vec<StepSpec>,
    /// The prediction variable of each call started together with others (`emit`).
    pub(crate) predictions: Vec<(usize, String)>,
    /// Placeholder statements before the return, for calls whose output nothing reads.
    pub(crate) unread: Vec<Expr>,
}

impl Pipeline<'_> {
    /// A `TODO("…")` placeholder call, recorded for the notes.
    pub(crate) fn todo(&mut self, text: String) -> Expr {
        self.placeholders.push(text.clone());
        Expr::Todo { text, about: None }
    }

    /// A `TODO("…", value)` placeholder about `value`: the value is handed to it, so the
    /// result it names counts as read (no PY035 beside the PY032) until the agent replaces
    /// the call.
    pub(crate) fn todo_about(&mut self, text: String, value: &Expr) -> Expr {
        self.placeholders.push(text.clone());
        Expr::Todo {
            text,
            about: Some(Box::new(value.clone())),
        }
    }
}

impl<'a> Pipeline<'a> {
    /// The binding for `reference`, bound at module scope on first use.
    pub(crate) fn bind(
        &mut self,
        reference: &str,
        schemas: &'a Schemas,
    ) -> Result<usize, ScaffoldError> {
        if let Some(i) = self.bindings.iter().position(|b| b.reference == reference) {
            return Ok(i);
        }
        let key = ModelRef::model_of(reference);
        let schema = schemas
            .get(reference)
            .ok_or_else(|| ScaffoldError::MissingSchema {
                model: key.to_string(),
            })?;
        let (owner, name) = key.split_once('/').unwrap_or(("", key));
        let ident = self.namer.fresh(&[
            to_identifier(name),
            to_identifier(&format!("{owner}_{name}")),
        ]);
        let out_var = self.namer.fresh(&[format!("{ident}_output")]);
        self.bindings.push(Binding {
            reference: reference.to_string(),
            ident,
            out_var,
            schema,
        });
        Ok(self.bindings.len() - 1)
    }
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
        let model = |r: &str| r.split(':').next().unwrap_or(r).to_string();
        if let Some(first) = out.iter().position(|r| model(r) == model(reference)) {
            return Err(ScaffoldError::RepeatedModel {
                first,
                index,
                model: model(reference),
            });
        }
        out.push(reference.to_string());
    }
    Ok(out)
}

/// Plans the parameters, bindings and calls: from `steps` when given, else from the steps
/// the automatic wiring derives from `models`.
pub(crate) fn plan<'a>(
    req: &ScaffoldRequest,
    schemas: &'a Schemas,
) -> Result<Pipeline<'a>, ScaffoldError> {
    if let Some(steps) = req.steps.as_deref() {
        return super::steps::plan_steps(req, steps, schemas, Vec::new());
    }
    let auto = super::auto::auto_steps(req, schemas)?;
    super::steps::plan_steps(req, &auto.steps, schemas, auto.notes)
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
}
