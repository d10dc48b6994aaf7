//! The one reading of a `replicate.use(…)` call: whether a call is one, its keyword
//! arguments, and the model reference it names ([`UseRef`]). The walker (every `use()` call,
//! for rules) and the flow layer (the models it follows) both read calls through it.

use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

use super::Span;
use super::classes::ClassInfo;
use super::model::UseRef;
use super::names::Names;

/// Whether `call` calls `replicate.use` (under any import alias).
pub(crate) fn is_use_call(call: &ExprCall, names: &Names) -> bool {
    names.qualify(&call.func).as_deref() == Some("replicate.use")
}

/// The value of keyword argument `name`, when given.
pub(crate) fn keyword<'c>(call: &'c ExprCall, name: &str) -> Option<&'c Expr> {
    call.arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == name))
        .map(|k| &k.value)
}

/// The model reference a `use()` call passes: its first positional argument or `ref=`. A
/// string literal is the reference; an argument-less instance of a class defined in the
/// file (`use(FluxDev())`) refers through the class's `name = "owner/name"`; anything else
/// is not known statically.
pub(crate) fn use_ref(call: &ExprCall, classes: &[ClassInfo]) -> UseRef {
    let Some(arg) = call.arguments.args.first().or_else(|| keyword(call, "ref")) else {
        return UseRef::Missing;
    };
    match arg {
        Expr::StringLiteral(s) => UseRef::Literal {
            value: s.value.to_str().to_string(),
        },
        Expr::Call(inner)
            if inner.arguments.args.is_empty() && inner.arguments.keywords.is_empty() =>
        {
            let class = match &*inner.func {
                Expr::Name(n) => classes.iter().find(|c| c.name == n.id.as_str()),
                _ => None,
            };
            match class {
                Some(class) => UseRef::Class {
                    class: class.name.clone(),
                    reference: class
                        .string_attrs
                        .iter()
                        .find(|(k, _)| k == "name")
                        .map(|(_, v)| v.clone()),
                },
                None => UseRef::NotLiteral {
                    span: Span::from_range(inner.range()),
                },
            }
        }
        other => UseRef::NotLiteral {
            span: Span::from_range(other.range()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::PythonFile;
    use super::*;

    const SOURCE: &str = r#"import replicate
from replicate import use as u

class Flux:
    name = "acme/flux"

a = replicate.use("acme/a")
b = u(ref="acme/b:v1")
c = replicate.use(Flux())
d = replicate.use(Flux("x"))
e = replicate.use(f"acme/{x}")
f = replicate.use()
"#;

    #[test]
    fn the_walker_and_the_flow_layer_read_each_reference_alike() {
        let py = PythonFile::parse("main.py", SOURCE);
        let walked: Vec<Option<&str>> = py
            .model
            .use_calls
            .iter()
            .map(|u| u.reference.reference())
            .collect();
        let expected = [
            Some("acme/a"),
            Some("acme/b:v1"),
            Some("acme/flux"),
            None,
            None,
            None,
        ];
        assert_eq!(walked, expected);
        let followed: Vec<Option<&str>> = py
            .model
            .flow
            .models
            .iter()
            .map(|m| m.reference.as_deref())
            .collect();
        assert_eq!(followed, expected);
        assert!(matches!(
            py.model.use_calls[3].reference,
            UseRef::NotLiteral { .. }
        ));
        assert_eq!(py.model.use_calls[5].reference, UseRef::Missing);
    }
}
