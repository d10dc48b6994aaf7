use crate::validate::import_names::distribution_for;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};
use crate::validate::stdlib::is_stdlib;

declare_rule! {
    /// ## What it does
    /// Flags imports of modules that are neither in the standard library, nor `cog` or
    /// `replicate`, nor provided by one of the runtime's packages (read from the cached
    /// spec; import names are mapped to distributions, e.g. `PIL` → `pillow`,
    /// `sklearn` → `scikit-learn`). The project's own modules and relative imports are fine.
    ///
    /// ## Why is this bad?
    /// The pipelines runtime has a fixed set of packages and installs nothing else; an
    /// import of anything else fails when the model loads.
    ///
    /// ## Example
    /// ```python
    /// import numpy as np
    /// ```
    ///
    /// ## Use instead
    /// Use a package the runtime provides, or call an HTTP API with `requests` (passing
    /// keys as `cog.Secret` inputs).
    pub(crate) static PY009 = {
        code: "PY009",
        name: "unsupported-import",
        severity: Error,
        cites: ["runtime", "runtime/handling-unsupported-dependencies"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    let packages = &ctx.rulebook.python_packages;
    for import in &py.model.imports {
        let top = import.top();
        if import.level > 0
            || top.is_empty()
            || top == "__future__"
            || top == "cog"
            || top == "replicate"
            || is_stdlib(top)
            || is_local(ctx, top)
        {
            continue;
        }
        let dist = distribution_for(top);
        if ctx.rulebook.python_package(&dist).is_some() {
            continue;
        }
        let available: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
        let from = if dist == top {
            String::new()
        } else {
            format!(" (from `{dist}`)")
        };
        out.push(Finding::new(
            ctx.py_at(import.span),
            format!("`{top}`{from} is not available in the pipelines runtime"),
            format!(
                "Use the runtime's packages ({}) or the standard library, or call an HTTP API \
                 with `requests`",
                available.join(", ")
            ),
        ));
    }
}

fn is_local(ctx: &Context<'_>, top: &str) -> bool {
    let entries = &ctx.project.entries;
    entries.contains(&format!("{top}.py")) || entries.contains(top)
}
