use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags each call of `TODO("…")`, the placeholder `scaffold_pipeline` writes where a
    /// decision is the author's (which field of an object output, which item of a list, how
    /// to combine values, a value only the author's code can compute). Only calls of a
    /// function named exactly `TODO` that the module itself defines count; the text passed
    /// is the finding's message.
    ///
    /// ## Why is this bad?
    /// The placeholder raises `NotImplementedError` when it runs: the pipeline fails on its
    /// first prediction. It marks a choice the scaffold would not guess (a wrong guess runs
    /// and returns the wrong thing).
    ///
    /// ## Example
    /// ```python
    /// def run(prompt: str) -> Output:
    ///     video = make_video(prompt=prompt)
    ///     return Output(video=TODO("choose what Output.video gets from video (object): video[\"video\"] (Path), video[\"zip\"] (Path)"))
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def run(prompt: str) -> Output:
    ///     video = make_video(prompt=prompt)
    ///     return Output(video=video["video"])
    /// ```
    pub(crate) static PY032 = {
        code: "PY032",
        name: "scaffold-placeholder",
        severity: Error,
        cites: ["replicate-python-library"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    if py.model.function("TODO").is_none() {
        return;
    }
    for todo in &py.usage.todos {
        let text = todo
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or("a decision the scaffold left to you");
        out.push(Finding::new(
            ctx.py_at(todo.span),
            text.to_string(),
            "Replace the `TODO(...)` call with the value the pipeline should use (it raises \
             NotImplementedError when it runs); then delete the `TODO` function once no call \
             is left",
        ));
    }
}
