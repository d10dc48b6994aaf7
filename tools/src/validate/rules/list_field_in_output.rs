use super::helpers::{is_list, output_classes};
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags fields of the output class typed as lists (`list[...]`, `List[...]`, `list`),
    /// including optional ones.
    ///
    /// ## Why is this bad?
    /// List properties inside a custom `Output` class are not supported.
    ///
    /// ## Example
    /// ```python
    /// class Output(BaseModel):
    ///     images: list[Path]
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class Output(BaseModel):
    ///     first_image: Path
    ///     second_image: Path
    /// ```
    pub(crate) static PY006 = {
        code: "PY006",
        name: "list-field-in-output",
        severity: Error,
        cites: ["cog/outputs"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    for class in output_classes(ctx) {
        for field in &class.fields {
            let Some(list) = field
                .annotation
                .without_none()
                .into_iter()
                .find(|t| t.head().is_some_and(is_list))
            else {
                continue;
            };
            out.push(Finding::new(
                ctx.py_at(list.span()),
                format!(
                    "field `{}` of `{}` is a list; list fields in output classes are not supported",
                    field.name, class.name
                ),
                "Use separate singular fields, a single concatenated string or file, or return \
                 `list[str]`/`list[Path]` directly instead of an `Output`",
            ));
        }
    }
}
