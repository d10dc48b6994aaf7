use crate::validate::edit::{append_line, unified};
use crate::validate::import_names::distribution_for;
use crate::validate::python::PythonFile;
use crate::validate::rule::{Context, Finding, Findings, Location, declare_rule};
use crate::validate::stdlib::is_stdlib;

declare_rule! {
    /// ## What it does
    /// Flags an import in the predict file (or in a local module it imports) of a package
    /// the runtime provides — e.g. `from PIL import Image` (`pillow`) — that
    /// `requirements.txt` does not list. Reported at the import; the suggested edit adds the
    /// package to `requirements.txt`, with the runtime's specifier when it has one.
    ///
    /// ## Why is this bad?
    /// On Replicate the runtime has the package, but a local run (`run_locally`,
    /// `cog predict`) installs only `requirements.txt` and fails with
    /// `ModuleNotFoundError`.
    ///
    /// ## Example
    /// ```python
    /// from PIL import Image  # requirements.txt lists only replicate
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// replicate>=1.1.0b1,<2.0.0a1
    /// pillow
    /// ```
    pub(crate) static REQ005 = {
        code: "REQ005",
        name: "runtime-package-not-listed",
        severity: Warning,
        cites: ["requirements", "runtime"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let (Some(py), Some(reqs)) = (ctx.python(), &ctx.project.requirements) else {
        return;
    };
    let mut reported: Vec<String> = Vec::new();
    for file in std::iter::once(py).chain(ctx.project.local_modules.iter().map(AsRef::as_ref)) {
        for import in &file.model.imports {
            let top = import.top();
            if import.level > 0
                || top.is_empty()
                || matches!(top, "__future__" | "cog" | "replicate")
                || is_stdlib(top)
                || is_local(ctx, top)
            {
                continue;
            }
            let dist = distribution_for(top);
            if reported.contains(&dist) || reqs.requirements.iter().any(|r| r.name == dist) {
                continue;
            }
            let Some(runtime) = ctx.rulebook.python_package(&dist) else {
                continue; // not in the runtime at all: PY009's finding
            };
            reported.push(dist.clone());
            let line = format!("{}{}", runtime.name, runtime.specifier);
            let edit = unified(&reqs.path, &reqs.source, &append_line(&reqs.source, &line));
            out.push(
                Finding::new(
                    at(file, import.span),
                    format!(
                        "{} is provided by the runtime but {} does not list it: a local run \
                         fails with `ModuleNotFoundError: No module named '{top}'`",
                        if dist == top {
                            format!("`{top}`")
                        } else {
                            format!("`{top}` (from `{}`)", runtime.name)
                        },
                        reqs.path
                    ),
                    format!("Add `{line}` to {}", reqs.path),
                )
                .with_edit(edit),
            );
        }
    }
}

fn at(file: &PythonFile, span: crate::validate::python::Span) -> Location {
    Location::of_span(file, span)
}

fn is_local(ctx: &Context<'_>, top: &str) -> bool {
    let entries = &ctx.project.entries;
    entries.contains(&format!("{top}.py")) || entries.contains(top)
}
