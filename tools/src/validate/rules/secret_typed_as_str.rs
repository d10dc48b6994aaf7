use crate::validate::python::TypeExpr;
use crate::validate::rule::{Context, Finding, Findings, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a predict parameter named like a credential (`api_key`, `token`, `password`,
    /// `secret`…) but typed `str`.
    ///
    /// ## Why is this bad?
    /// `str` inputs are shown in logs and model metadata; `cog.Secret` inputs are hidden
    /// and not logged.
    ///
    /// ## Example
    /// ```python
    /// def run(prompt: str, api_key: str) -> str: ...
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// from cog import Secret
    ///
    /// def run(prompt: str, api_key: Secret) -> str: ...
    /// ```
    pub(crate) static PY011 = {
        code: "PY011",
        name: "secret-typed-as-str",
        severity: Warning,
        cites: ["runtime/using-cog-secret-for-api-authentication", "cog/types"],
        check: check,
    };
}

const SECRET_WORDS: &[&str] = &[
    "apikey",
    "auth",
    "credential",
    "credentials",
    "key",
    "passwd",
    "password",
    "pwd",
    "secret",
    "token",
];

fn check(ctx: &Context<'_>, out: &mut Findings) {
    for param in ctx.run_params() {
        let lower = param.name.to_ascii_lowercase();
        if !lower.split('_').any(|w| SECRET_WORDS.contains(&w)) {
            continue;
        }
        let Some(annotation) = &param.annotation else {
            continue;
        };
        let is_str = annotation
            .without_none()
            .iter()
            .any(|t| matches!(t, TypeExpr::Name { name, .. } if name == "str"));
        if is_str {
            out.push(Finding::new(
                ctx.py_at(annotation.span()),
                format!(
                    "`{}` looks like a credential but is typed `str`",
                    param.name
                ),
                "Type it `Secret` (`from cog import Secret`) and read it with \
                 `.get_secret_value()`",
            ));
        }
    }
}
