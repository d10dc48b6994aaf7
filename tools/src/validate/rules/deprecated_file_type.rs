use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags uses of `cog.File`.
    ///
    /// ## Why is this bad?
    /// `cog.File` is deprecated; `cog.Path` is the supported file type for inputs and
    /// outputs.
    ///
    /// ## Example
    /// ```python
    /// from cog import File
    ///
    /// def run(image: File) -> str: ...
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// from cog import Path
    ///
    /// def run(image: Path) -> str: ...
    /// ```
    pub(crate) static PY015 = {
        code: "PY015",
        name: "deprecated-file-type",
        severity: Warning,
        cites: ["cog/outputs"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    for span in &py.model.file_type_uses {
        out.push(Finding::new(
            ctx.py_at(*span),
            "`cog.File` is deprecated",
            "Use `cog.Path` (`from cog import Path`)",
        ));
    }
}
