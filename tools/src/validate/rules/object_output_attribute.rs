use super::flow_support::{Resolved, events, model_name, replace_edit, resolve};
use crate::validate::python::Span;
use crate::validate::python::flow::Use;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};
use crate::validate::value_shape::ValueShape;

declare_rule! {
    /// ## What it does
    /// Flags attribute access (`result.caption`, `result.speakers.count`) on the output of
    /// a model whose fetched schema returns an object, or on one of its nested objects.
    ///
    /// ## Why is this bad?
    /// `replicate.use()` returns object outputs as plain `dict`s: `result.caption` raises
    /// `AttributeError` at run time. Fields must be read as `result["caption"]`.
    ///
    /// ## Example
    /// ```python
    /// result = scene_inspector(image=image, question="What is this?")
    /// return result.answer
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// result = scene_inspector(image=image, question="What is this?")
    /// return result["answer"]
    /// ```
    pub(crate) static PY020 = {
        code: "PY020",
        name: "object-output-attribute",
        severity: Error,
        cites: ["miscellaneous-important-things-to-keep-in-mind", "replicate-python-library"],
        check: check,
    };
}

/// Attributes every `dict` has.
const DICT_ATTRS: &[&str] = &[
    "get",
    "keys",
    "values",
    "items",
    "copy",
    "pop",
    "popitem",
    "setdefault",
    "update",
    "clear",
    "fromkeys",
    "__class__",
    "__dict__",
    "__len__",
    "__contains__",
    "__getitem__",
];

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some((py, flow)) = events(ctx) else {
        return;
    };
    for event in &flow.events {
        let Use::Attribute {
            names,
            base_end,
            end,
        } = &event.kind
        else {
            continue;
        };
        let Some(Resolved::Shape(shape @ ValueShape::Object { .. })) =
            resolve(ctx, flow, &event.value)
        else {
            continue;
        };
        let Some(first) = names.first() else { continue };
        if DICT_ATTRS.contains(&first.as_str()) {
            continue;
        }
        // Inside a double-quoted f-string, keys take single quotes.
        let line = py
            .source
            .get(py.line_start(*base_end) as usize..*base_end as usize)
            .unwrap_or_default();
        let quote = if line.matches('"').count() % 2 == 1 {
            '\''
        } else {
            '"'
        };
        // Rewrite each attribute while the value is still an object.
        let mut current = Some(&shape);
        let mut keys = String::new();
        let mut dotted = String::new();
        for name in names {
            if !matches!(current, Some(ValueShape::Object { .. })) {
                break;
            }
            keys.push_str(&format!("[{quote}{name}{quote}]"));
            dotted.push_str(&format!(".{name}"));
            current = current.and_then(|s| s.field(name));
        }
        let text = py.text(Span {
            start: *base_end,
            end: *end,
        });
        let edit = text.starts_with(&dotted).then(|| {
            let span = Span {
                start: *base_end,
                end: *base_end + dotted.len() as u32,
            };
            replace_edit(py, span, &keys)
        });
        let model = flow
            .model(&event.value)
            .and_then(model_name)
            .unwrap_or("the model");
        out.push(
            Finding::new(
                ctx.py_at(event.span),
                format!(
                    "`{model}` returns an object as a dict, so `{dotted}` raises AttributeError"
                ),
                format!("Read the field as a dict key: write `{keys}` instead of `{dotted}`"),
            )
            .with_edit(edit.flatten()),
        );
    }
}
