use crate::validate::edit;
use crate::validate::python::PythonFile;
use crate::validate::python::model::MovableUse;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `replicate.use()` called inside a function, method or lambda — however
    /// `replicate` or `use` was imported (`import replicate as r`,
    /// `from replicate import use`).
    ///
    /// ## Why is this bad?
    /// The runtime resolves the models a pipeline uses when the module is imported; a
    /// `use()` inside a function body fails at run time.
    ///
    /// ## Example
    /// ```python
    /// import replicate
    ///
    /// def run(prompt: str) -> str:
    ///     llm = replicate.use("openai/gpt-4.1-nano")
    ///     return llm(prompt=prompt)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// import replicate
    ///
    /// llm = replicate.use("openai/gpt-4.1-nano")
    ///
    /// def run(prompt: str) -> str:
    ///     return llm(prompt=prompt)
    /// ```
    pub(crate) static PY001 = {
        code: "PY001",
        name: "use-not-at-module-scope",
        severity: Error,
        cites: ["replicate-python-library"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    for call in &py.model.use_calls {
        let Some(function) = &call.in_function else {
            continue;
        };
        let place = if function == "<lambda>" {
            "a lambda".to_string()
        } else {
            format!("`{function}`")
        };
        let edit = call.movable.as_ref().and_then(|m| hoist(py, m));
        out.push(
            Finding::new(
                ctx.py_at(call.span),
                format!("`replicate.use()` is called inside {place}"),
                "Call `replicate.use()` once at module level, assign it to a variable, and \
                 call that variable inside the function",
            )
            .with_edit(edit),
        );
    }
}

/// Moves the assignment above the enclosing module-level statement.
fn hoist(py: &PythonFile, m: &MovableUse) -> Option<String> {
    let src = &py.source;
    let stmt_text = py.text(m.stmt).to_string();
    let remove_start = py.line_start(m.stmt.start) as usize;
    let remove_end = src
        .get(m.stmt.end as usize..)
        .and_then(|rest| rest.find('\n'))
        .map_or(src.len(), |i| m.stmt.end as usize + i + 1);
    let insert = py.line_start(m.before.start) as usize;
    if insert >= remove_start || stmt_text.is_empty() {
        return None;
    }
    let mut new = String::with_capacity(src.len() + 4);
    new.push_str(src.get(..insert)?);
    new.push_str(&stmt_text);
    new.push_str("\n\n\n");
    new.push_str(src.get(insert..remove_start)?);
    new.push_str(src.get(remove_end..)?);
    edit::unified(&py.path, src, &new)
}
