use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a `predict` target that names a class (such as a `BasePredictor` subclass), and
    /// a module-level `setup()` function. Reported at the class (or `setup`) definition.
    ///
    /// ## Why is this bad?
    /// A pipeline runs once and is discarded: it is one function, with no setup step. A
    /// predictor class with `setup()` is the shape of a GPU model, not of a pipeline.
    ///
    /// ## Example
    /// ```python
    /// class Predictor(BasePredictor):
    ///     def setup(self):
    ///         self.flux = replicate.use("black-forest-labs/flux-schnell")
    ///
    ///     def predict(self, prompt: str) -> Path:
    ///         return self.flux(prompt=prompt)[0]
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// flux = replicate.use("black-forest-labs/flux-schnell")
    ///
    /// def run(prompt: str) -> Path:
    ///     return flux(prompt=prompt)[0]
    /// ```
    pub(crate) static PY028 = {
        code: "PY028",
        name: "class-predictor",
        severity: Warning,
        cites: ["overview", "cog"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    let target = ctx.run_name();
    if let Some(class) = py.model.class(target)
        && py.model.function(target).is_none()
    {
        out.push(Finding::new(
            ctx.py_at(class.name_span),
            format!(
                "`predict` names the class `{}`: a pipeline is one function, with no setup step",
                class.name
            ),
            format!(
                "Move the body of `{}.predict` into a module-level `def run(...)`, bind models \
                 with `replicate.use()` at module scope, and set `predict: \"{}:run\"`",
                class.name, py.path
            ),
        ));
    }
    if let Some(setup) = py.model.function("setup") {
        out.push(Finding::new(
            ctx.py_at(setup.name_span),
            "`setup()` is never called: a pipeline has no setup step",
            "Move its work to module scope (e.g. `replicate.use()` bindings) or into `run()`",
        ));
    }
}
