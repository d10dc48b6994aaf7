use super::helpers::{model_class, output_classes, walk_type};
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags fields of the output class typed with another `BaseModel` class.
    ///
    /// ## Why is this bad?
    /// Nesting structured types in the output is not supported.
    ///
    /// ## Example
    /// ```python
    /// class ContactInfo(BaseModel):
    ///     email: str
    ///
    /// class Output(BaseModel):
    ///     contact_info: ContactInfo
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class Output(BaseModel):
    ///     contact_email: str
    /// ```
    pub(crate) static PY007 = {
        code: "PY007",
        name: "nested-output-type",
        severity: Error,
        cites: ["cog/outputs"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    for class in output_classes(ctx) {
        for field in &class.fields {
            let mut nodes = Vec::new();
            walk_type(&field.annotation, &mut nodes);
            if let Some((node, inner)) = nodes
                .into_iter()
                .find_map(|n| model_class(ctx, n).map(|c| (n, c)))
            {
                out.push(Finding::new(
                    ctx.py_at(node.span()),
                    format!(
                        "field `{}` of `{}` is typed with the structured type `{}`; nesting is \
                         not supported",
                        field.name, class.name, inner.name
                    ),
                    format!(
                        "Flatten `{}` into separate primitive fields of `{}`",
                        inner.name, class.name
                    ),
                ));
            }
        }
    }
}
