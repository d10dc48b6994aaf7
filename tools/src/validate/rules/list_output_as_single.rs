use super::flow_support::{
    Resolved, events, in_run, insert_edit, model_name, resolve, single_return, type_name,
};
use crate::schema::Scalar;
use crate::validate::python::flow::Use;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};
use crate::validate::value_shape::ValueShape;

declare_rule! {
    /// ## What it does
    /// Flags a list output (`list[Path]`, `list[str]`) passed whole to a model input that
    /// takes one file, URI or string, or returned where `run()` returns one `Path`/`str`.
    ///
    /// ## Why is this bad?
    /// Image models return a list even for one image. Passing the list where one value is
    /// expected fails validation on Replicate, or returns the wrong thing from `run()`.
    ///
    /// ## Example
    /// ```python
    /// images = flux(prompt=prompt)
    /// return upscale(image=images)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// images = flux(prompt=prompt)
    /// return upscale(image=images[0])
    /// ```
    pub(crate) static PY022 = {
        code: "PY022",
        name: "list-output-as-single",
        severity: Error,
        cites: ["replicate-python-library"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some((py, flow)) = events(ctx) else {
        return;
    };
    for event in &flow.events {
        let Some(Resolved::Shape(shape @ ValueShape::List { .. })) =
            resolve(ctx, flow, &event.value)
        else {
            continue;
        };
        let target = match &event.kind {
            Use::ModelInput { callee, keyword } => {
                let Some(callee) = flow.models.get(*callee) else {
                    continue;
                };
                let Some(schema) = callee.reference.as_deref().and_then(|r| ctx.schemas.get(r))
                else {
                    continue;
                };
                let Some(input) = schema.inputs.iter().find(|i| &i.name == keyword) else {
                    continue;
                };
                if !(input.python_type.is(Scalar::Path) || input.python_type.is(Scalar::Str)) {
                    continue;
                }
                let name = model_name(callee).unwrap_or("the model");
                format!(
                    "input `{keyword}` of `{name}`, which takes one {}",
                    input.python_type
                )
            }
            Use::Return if in_run(ctx, flow, event) => match single_return(ctx) {
                Some(ty) => format!("`{}()`, which returns one {ty}", ctx.run_name()),
                None => continue,
            },
            _ => continue,
        };
        let text = py.text(event.span);
        let simple = !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '"' | '\''));
        let indexed = if simple {
            format!("{text}[0]")
        } else {
            format!("({text})[0]")
        };
        let edit = if simple {
            insert_edit(py, event.span.end, "[0]")
        } else {
            None
        };
        let model = flow
            .model(&event.value)
            .and_then(model_name)
            .unwrap_or("the model");
        out.push(
            Finding::new(
                ctx.py_at(event.span),
                format!(
                    "`{text}` is a {} from `{model}`, passed whole to {target}",
                    type_name(&shape)
                ),
                format!("Pass one item, e.g. `{indexed}`, or loop over the list"),
            )
            .with_edit(edit),
        );
    }
}
