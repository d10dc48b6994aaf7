//! The automatic wiring: the `steps` that `models` alone describes, in call order, chaining
//! one model's output into the next where the types fit. The planner then turns them into
//! code like any agent's steps, and the result returns them to edit and resend.
//!
//! For each input a model requires, the source is, in order of preference:
//! 1. the output of an earlier model, most recent first, when it fits the input's type (the
//!    notes say so, with the source for the other reading when a run() input also fits);
//!    for a `str` input whose schema says it takes a separated list of URLs or texts, the
//!    items of an earlier list output joined with the separator the schema names (`join`;
//!    no separator written, no join); a URL list never gets a model's text (not known to be
//!    URLs);
//! 2. a `run()` input of the same name and a fitting type;
//! 3. a new `run()` input (when `inputs` was omitted, or the value must be a file or a
//!    secret);
//! 4. nothing: the planner writes a `TODO(...)` placeholder.
//!
//! Optional model inputs get a `run()` input of the same name, or, for a file input, an
//! earlier model's file output the call would otherwise ignore.

use serde_json::{Value as Json, json};

use super::coerce::{self, Fit};
use super::emit::Expr;
use super::emit::names::Namer;
use super::error::ScaffoldError;
use super::inputs;
use super::plan::model_refs;
use super::request::{ScaffoldRequest, StepSpec};
use super::separated;
use super::types::{ParamType, PyType, Scalar, Shape, Value};
use crate::schema::{InputParam, ModelRef, ModelSchema, Schemas};

/// The derived steps and the notes on every link.
pub(crate) struct Auto {
    pub(crate) steps: Vec<StepSpec>,
    pub(crate) notes: Vec<String>,
}

/// A `run()` input known to the wiring: (name, type, used).
struct Known {
    name: String,
    ty: PyType,
    optional: bool,
    used: bool,
}

/// Derives the steps for `models`.
pub(crate) fn auto_steps(req: &ScaffoldRequest, schemas: &Schemas) -> Result<Auto, ScaffoldError> {
    let mut notes = Vec::new();
    let refs = model_refs(req)?;
    let auto_inputs = req.inputs.is_none();
    // The declared inputs are checked by the planner; here only their names and types.
    let mut namer = Namer::new();
    let mut known: Vec<Known> = Vec::new();
    for spec in req.inputs.iter().flatten() {
        namer.take(&spec.name);
        let ty = ParamType::parse(&spec.python_type);
        known.push(Known {
            name: spec.name.clone(),
            ty: ty.ty,
            optional: ty.optional,
            used: false,
        });
    }
    let mut models: Vec<(String, &ModelSchema)> = Vec::new();
    let mut steps = Vec::new();
    for reference in &refs {
        let model = ModelRef::model_of(reference).to_string();
        let schema = schemas
            .get(reference)
            .ok_or_else(|| ScaffoldError::MissingSchema {
                model: model.clone(),
            })?;
        let mut wiring = Wiring {
            model: &model,
            previous: &models,
            known: &mut known,
            namer: &mut namer,
            notes: &mut notes,
            auto_inputs,
        };
        let mut step_inputs = std::collections::BTreeMap::new();
        let mut chained = false;
        for input in &schema.inputs {
            let source = if input.required {
                wiring.required(input)
            } else {
                wiring.optional(input)
            };
            if let Some(source) = source {
                chained |= source.get("step").is_some();
                step_inputs.insert(input.name.clone(), source);
            }
        }
        if step_inputs.is_empty()
            && !schema.inputs.is_empty()
            && let Some((name, source)) = wiring.main_input(&schema.inputs)
        {
            step_inputs.insert(name, source);
        }
        if !chained && let Some((previous, previous_schema)) = models.last() {
            notes.push(not_chained_note(&model, previous, previous_schema, schema));
        }
        steps.push(StepSpec {
            model: reference.clone(),
            id: None,
            inputs: step_inputs,
            over: None,
        });
        models.push((model, schema));
    }
    Ok(Auto { steps, notes })
}

struct Wiring<'w> {
    model: &'w str,
    previous: &'w [(String, &'w ModelSchema)],
    known: &'w mut Vec<Known>,
    namer: &'w mut Namer,
    notes: &'w mut Vec<String>,
    auto_inputs: bool,
}

impl Wiring<'_> {
    /// The most recent earlier output that fits `target` without a decision.
    fn earlier(&self, target: &PyType, files_only: bool) -> Option<(String, Fit)> {
        self.previous.iter().rev().find_map(|(model, schema)| {
            let value = output_value(schema);
            if files_only
                && !value.shape.is_file()
                && value.detail.as_ref().is_none_or(|d| !d.has_files())
            {
                return None;
            }
            let fit = coerce::fit(&value, target);
            // The wiring never guesses: a lossless fit, or the obvious file of a file output.
            let file_target = matches!(
                target,
                PyType::Scalar(Scalar::Path) | PyType::List(Scalar::Path)
            );
            let ok = match &fit {
                Fit::Exact(_) => true,
                Fit::Obvious { .. } => file_target,
                _ => false,
            };
            ok.then(|| (model.clone(), fit))
        })
    }

    /// A declared run() input named like `input` whose type fits.
    fn param(&self, input: &InputParam, target: &PyType) -> Option<usize> {
        let i = self.known.iter().position(|k| k.name == input.name)?;
        let k = &self.known[i];
        if k.optional && input.required {
            return None;
        }
        let value = Value::of_type(Expr::name(k.name.clone()), &k.ty);
        matches!(coerce::fit(&value, target), Fit::Exact(_)).then_some(i)
    }

    /// Marks run() input `i` used and says how to pass it instead of the chained output.
    fn instead(&mut self, i: usize, input: &InputParam) -> String {
        self.known[i].used = true;
        format!(
            " To pass run() input `{}` instead, send `steps` with \"{}\": {{\"input\": \"{}\"}}.",
            self.known[i].name, input.name, self.known[i].name
        )
    }

    fn chain(&mut self, input: &InputParam, from: &str, param: Option<usize>) -> Json {
        let mut note = format!(
            "{} gets `{}` from the output of {from} (chained).",
            self.model, input.name
        );
        if let Some(i) = param {
            note.push_str(&self.instead(i, input));
        }
        self.notes.push(note);
        json!({"step": from})
    }

    /// The most recent earlier list output joined into a `str` input that takes a separated
    /// list of URLs (files) or texts, with the separator its schema names; with none named, a
    /// note and no join.
    fn join(
        &mut self,
        input: &InputParam,
        list: separated::Separated,
        param: Option<usize>,
    ) -> Option<Json> {
        let (from, what) = self.previous.iter().rev().find_map(|(model, schema)| {
            let value = output_value(schema);
            let what = match (value.shape, value.item) {
                (Shape::PathList, _) if list.urls && value.url => "its files' URLs",
                (Shape::List, Some(Scalar::Str)) if !list.urls => "its texts",
                _ => return None,
            };
            coerce::join(&value, ",").ok()?;
            Some((model.clone(), what))
        })?;
        let said = input
            .description
            .as_deref()
            .map(|d| format!(" (its schema: \"{}\")", super::emit::python::one_line(d)))
            .unwrap_or_default();
        let Some(sep) = list.sep else {
            self.notes.push(format!(
                "{}'s `{}`{said} takes several items in one string, but its schema does not \
                 say how they are separated, so {from}'s output is not joined into it. To pass \
                 it, send `steps` with \"{}\": {{\"step\": \"{from}\", \"join\": \"<separator>\"}}.",
                self.model, input.name, input.name
            ));
            return None;
        };
        let shown = serde_json::to_string(&sep).unwrap_or_default();
        let mut note = format!(
            "{} gets `{}` from the output of {from}: {what} joined with {shown} into one \
             string{said}.",
            self.model, input.name
        );
        if let Some(i) = param {
            note.push_str(&self.instead(i, input));
        }
        self.notes.push(note);
        Some(json!({"step": from, "join": sep}))
    }

    fn use_param(&mut self, input: &InputParam, i: usize) -> Json {
        self.known[i].used = true;
        let name = self.known[i].name.clone();
        self.notes.push(format!(
            "{} gets `{}` from run() input `{name}`.",
            self.model, input.name
        ));
        json!({"input": name})
    }

    fn new_param(&mut self, input: &InputParam) -> Option<Json> {
        let ty = ParamType::of(&input.python_type).ty;
        inputs::from_model_input(input.name.clone(), self.model, input)?;
        let ident = super::emit::names::to_identifier(self.model.rsplit('/').next().unwrap_or(""));
        let name = self
            .namer
            .fresh(&[input.name.clone(), format!("{ident}_{}", input.name)]);
        if !self.auto_inputs {
            self.notes.push(format!(
                "Added run() input `{name}`: {} requires `{}` ({}) and nothing else supplies it.",
                self.model, input.name, input.python_type
            ));
        }
        self.known.push(Known {
            name: name.clone(),
            ty,
            optional: false,
            used: true,
        });
        Some(json!({"input": name}))
    }

    fn required(&mut self, input: &InputParam) -> Option<Json> {
        let target = ParamType::of(&input.python_type).ty;
        let param = self.param(input, &target);
        let list = (target == PyType::Scalar(Scalar::Str))
            .then(|| separated::separated(input))
            .flatten();
        // A model's text is not known to be URLs: a URL list gets files' URLs or nothing.
        let url_list = list.as_ref().is_some_and(|l| l.urls);
        if !url_list && let Some((from, _)) = self.earlier(&target, false) {
            return Some(self.chain(input, &from, param));
        }
        if let Some(list) = list
            && let Some(source) = self.join(input, list, param)
        {
            return Some(source);
        }
        if let Some(i) = param {
            return Some(self.use_param(input, i));
        }
        let must_be_param = matches!(
            target,
            PyType::Scalar(Scalar::Path | Scalar::Secret) | PyType::List(Scalar::Path)
        );
        if self.auto_inputs || must_be_param {
            return self.new_param(input);
        }
        None
    }

    /// An optional model input gets a declared run() input of its name, never an earlier
    /// output (which optional input should take it is the agent's call: the notes say how).
    fn optional(&mut self, input: &InputParam) -> Option<Json> {
        let target = ParamType::of(&input.python_type).ty;
        let i = self.param(input, &target)?;
        Some(self.use_param(input, i))
    }

    /// A model whose schema requires nothing is never called without arguments: its main
    /// input gets an unused run() input, an earlier output, or (when `inputs` was omitted) a
    /// new run() input; else the planner writes a placeholder for it.
    fn main_input(&mut self, inputs: &[InputParam]) -> Option<(String, Json)> {
        let input = main_input(inputs)?;
        let target = ParamType::of(&input.python_type).ty;
        let unused = self.known.iter().position(|k| {
            !k.used
                && !k.optional
                && matches!(
                    coerce::fit(&Value::of_type(Expr::name(k.name.clone()), &k.ty), &target),
                    Fit::Exact(_)
                )
        });
        if let Some(i) = unused {
            self.known[i].used = true;
            let name = self.known[i].name.clone();
            self.notes.push(format!(
                "{} requires no input; run() input `{name}` is passed as its `{}`: confirm that \
                 is what it should get.",
                self.model, input.name
            ));
            return Some((input.name.clone(), json!({"input": name})));
        }
        if let Some((from, _)) = self.earlier(&target, false) {
            let source = self.chain(input, &from, None);
            return Some((input.name.clone(), source));
        }
        if !self.auto_inputs {
            return None;
        }
        let source = self.new_param(input)?;
        self.notes.push(format!(
            "{} requires no input; added run() input `{}` for its `{}`.",
            self.model,
            source["input"].as_str().unwrap_or_default(),
            input.name
        ));
        Some((input.name.clone(), source))
    }
}

/// A model's main input: its first text input (`prompt` first), else its first input.
pub(crate) fn main_input(inputs: &[InputParam]) -> Option<&InputParam> {
    let is_text = |i: &&InputParam| ParamType::of(&i.python_type).ty == PyType::Scalar(Scalar::Str);
    inputs
        .iter()
        .find(|i| i.name == "prompt")
        .or_else(|| inputs.iter().find(is_text))
        .or_else(|| inputs.first())
}

/// A model's output as a value (the name does not matter for fitting).
fn output_value(schema: &ModelSchema) -> Value {
    super::plan::Binding {
        reference: schema.model.clone(),
        ident: String::new(),
        out_var: "output".to_string(),
        schema,
    }
    .output()
}

/// Why a model is not chained to the one before it: the optional inputs that would take its
/// output as is (never chained automatically), with the `steps` to send.
fn not_chained_note(
    model: &str,
    previous: &str,
    previous_schema: &ModelSchema,
    schema: &ModelSchema,
) -> String {
    let output = output_value(previous_schema);
    // Optional inputs that would take it as is are left to run() inputs (which
    // one is the agent's call): the note names them, not "none of its inputs".
    let optional: Vec<&str> = schema
        .inputs
        .iter()
        .filter(|i| !i.required)
        .filter(|i| {
            let target = ParamType::of(&i.python_type).ty;
            matches!(coerce::fit(&output, &target), Fit::Exact(_))
        })
        .map(|i| i.name.as_str())
        .collect();
    match optional.first() {
        Some(first) => format!(
            "{model} is not chained to {previous}: only optional inputs of it take \
             {previous}'s output ({}) as is ({}), and optional inputs are not chained \
             automatically. To chain them, send `steps` with e.g. \"{first}\": \
             {{\"step\": \"{previous}\"}} (pipelines://guide/steps).",
            output.describe(),
            optional
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => format!(
            "{model} is not chained to {previous}: none of its inputs takes {previous}'s \
             output ({}) as is. To chain them, send `steps` with a `pick` or `join` \
             (pipelines://guide/steps).",
            output.describe()
        ),
    }
}
