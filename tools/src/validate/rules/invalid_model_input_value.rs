use serde_json::Value;

use super::helpers::calls_with_schema;
use crate::schema::{InputParam, InputType, Scalar};
use crate::validate::python::Literal;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Checks literal values passed to a `use()`d model against its cached schema: the type
    /// (`str`, `int`, `float`, `bool`, file, list), the allowed values of an enum, and the
    /// minimum and maximum. Values that are surely text though not literal — an f-string,
    /// a string literal joined with `+`, `"…".format(…)`, `"…".join(…)` — are checked for
    /// their type too. A `run()` input passed unchanged to a model input is checked the
    /// same way: its `Input(default=…)`, each of its `choices`, and its `ge`/`le` bounds
    /// against the model input's enum and bounds.
    ///
    /// ## Why is this bad?
    /// Replicate rejects the prediction with a validation error at run time.
    ///
    /// ## Example
    /// ```python
    /// images = flux_dev(prompt="a cat", num_outputs="2", output_format="tiff")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// images = flux_dev(prompt="a cat", num_outputs=2, output_format="png")
    /// ```
    pub(crate) static PY019 = {
        code: "PY019",
        name: "invalid-model-input-value",
        severity: Error,
        cites: ["replicate-python-library"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    super::run_input_range::check(ctx, out, problem, fix);
    for (call, model, schema) in calls_with_schema(ctx) {
        for kw in &call.keywords {
            if kw.value == Literal::Unknown {
                // Not a literal, but surely a str (an f-string, "a" + b, "…".format(…)).
                if kw.value_is_str
                    && let Some(input) = schema.inputs.iter().find(|i| i.name == kw.name)
                    && let Some(ty) = not_str(&input.python_type)
                {
                    out.push(Finding::new(
                        ctx.py_at(kw.value_span),
                        format!(
                            "input `{}` of `{model}` expects `{ty}`, got a str (built from text, e.g. an f-string)",
                            kw.name
                        ),
                        fix(input),
                    ));
                }
                continue;
            }
            let Some(input) = schema.inputs.iter().find(|i| i.name == kw.name) else {
                continue;
            };
            if let Some(problem) = problem(input, &kw.value) {
                out.push(Finding::new(
                    ctx.py_at(kw.value_span),
                    format!("input `{}` of `{model}` {problem}", kw.name),
                    fix(input),
                ));
            }
        }
    }
}

/// The input's type (without `None`) when a `str` can never be it (`int`, `float`, `bool`,
/// a list).
fn not_str(ty: &InputType) -> Option<InputType> {
    let ty = ty.non_null();
    (matches!(
        ty,
        InputType::Scalar(Scalar::Int | Scalar::Float | Scalar::Bool) | InputType::List(_)
    ))
    .then_some(ty)
}

fn problem(input: &InputParam, value: &Literal) -> Option<String> {
    if *value == Literal::None {
        return input
            .required
            .then(|| "is required and cannot be None".to_string());
    }
    let ty = input.python_type.non_null();
    let type_ok = match ty {
        InputType::Scalar(Scalar::Str | Scalar::Path) | InputType::File => {
            matches!(value, Literal::Str(_))
        }
        InputType::Scalar(Scalar::Int) => matches!(value, Literal::Int(_)),
        InputType::Scalar(Scalar::Float) => matches!(value, Literal::Int(_) | Literal::Float(_)),
        InputType::Scalar(Scalar::Bool) => matches!(value, Literal::Bool(_)),
        InputType::List(_) => matches!(value, Literal::List(_)),
        _ => true,
    };
    if !type_ok {
        return Some(format!("expects `{ty}`, got {}", describe(value)));
    }
    if let Some(choices) = &input.choices
        && !matches!(value, Literal::List(_))
        && !choices.iter().any(|c| same(c, value))
    {
        let shown: Vec<String> = choices.iter().map(Value::to_string).collect();
        return Some(format!(
            "must be one of {}, got {}",
            shown.join(", "),
            describe(value)
        ));
    }
    let number = match value {
        Literal::Int(i) => Some(*i as f64),
        Literal::Float(f) => Some(*f),
        _ => None,
    };
    if let Some(n) = number {
        if let Some(min) = input.minimum
            && n < min
        {
            return Some(format!("must be at least {min}, got {}", describe(value)));
        }
        if let Some(max) = input.maximum
            && n > max
        {
            return Some(format!("must be at most {max}, got {}", describe(value)));
        }
    }
    None
}

fn same(choice: &Value, value: &Literal) -> bool {
    match (choice, value) {
        (Value::String(c), Literal::Str(v)) => c == v,
        (Value::Bool(c), Literal::Bool(v)) => c == v,
        (Value::Number(c), Literal::Int(v)) => c.as_f64() == Some(*v as f64),
        (Value::Number(c), Literal::Float(v)) => c.as_f64() == Some(*v),
        _ => false,
    }
}

fn describe(value: &Literal) -> String {
    match value {
        Literal::Str(s) => format!("{s:?}"),
        Literal::Int(i) => i.to_string(),
        Literal::Float(f) => f.to_string(),
        Literal::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Literal::None => "None".to_string(),
        Literal::List(_) => "a list".to_string(),
        Literal::Unknown => "a value".to_string(),
    }
}

fn fix(input: &InputParam) -> String {
    let mut parts = vec![format!("Pass a value of type `{}`", input.python_type)];
    if let Some(choices) = &input.choices {
        let shown: Vec<String> = choices.iter().map(Value::to_string).collect();
        parts.push(format!("one of {}", shown.join(", ")));
    }
    match (input.minimum, input.maximum) {
        (Some(min), Some(max)) => parts.push(format!("between {min} and {max}")),
        (Some(min), None) => parts.push(format!("at least {min}")),
        (None, Some(max)) => parts.push(format!("at most {max}")),
        (None, None) => {}
    }
    parts.join(", ")
}
