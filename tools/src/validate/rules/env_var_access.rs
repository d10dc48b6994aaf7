use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags reads of the process environment: `os.environ`, `os.environ.get`,
    /// `os.getenv` (however `os` or the names were imported).
    ///
    /// ## Why is this bad?
    /// The pipelines runtime provides no environment variables: API keys and other secrets
    /// must be passed as `cog.Secret` inputs.
    ///
    /// ## Example
    /// ```python
    /// import os
    ///
    /// def run(prompt: str) -> str:
    ///     key = os.environ["OPENAI_API_KEY"]
    ///     ...
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// from cog import Secret
    ///
    /// def run(prompt: str, api_key: Secret) -> str:
    ///     key = api_key.get_secret_value()
    ///     ...
    /// ```
    pub(crate) static PY010 = {
        code: "PY010",
        name: "env-var-access",
        severity: Error,
        cites: [
            "runtime/handling-unsupported-dependencies",
            "runtime/using-cog-secret-for-api-authentication",
        ],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(py) = ctx.python() else {
        return;
    };
    for (name, span) in &py.model.env_accesses {
        out.push(Finding::new(
            ctx.py_at(*span),
            format!("`{name}` reads the environment, which the pipelines runtime does not provide"),
            "Take the value as a `Secret` parameter of the predict function and read it with \
             `.get_secret_value()`",
        ));
    }
}
