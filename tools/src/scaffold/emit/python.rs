//! Python literals from JSON values, and text made safe for docstrings and comments.

use serde_json::Value;

use crate::scaffold::types::{PyType, Scalar};

/// A Python string literal as ruff and black write it: double-quoted, unless the text holds
/// more double quotes than single ones (then single-quoted, with fewer escapes).
pub(crate) fn string(s: &str) -> String {
    let doubles = s.matches('"').count();
    let quote = if doubles > s.matches('\'').count() {
        '\''
    } else {
        '"'
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A Python float literal (`1.0`, `0.75`, `1e+20`); `None` for NaN and infinities.
pub(crate) fn float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    if f.fract() == 0.0 && f.abs() < 1e15 {
        Some(format!("{f:.1}"))
    } else {
        Some(format!("{f}"))
    }
}

/// A number written for a type: integral values of `int` inputs without `.0`.
pub(crate) fn number(f: f64, as_int: bool) -> Option<String> {
    if as_int && f.fract() == 0.0 && f.is_finite() && f.abs() < 9.0e15 {
        Some(format!("{}", f as i64))
    } else {
        float(f)
    }
}

/// A JSON value as a Python literal; `float` inputs get float literals. `None` when the value
/// cannot be written (a non-finite number).
pub(crate) fn literal(v: &Value, ty: Option<&PyType>) -> Option<String> {
    let float_scalar = matches!(
        ty,
        Some(PyType::Scalar(Scalar::Float) | PyType::List(Scalar::Float))
    );
    Some(match v {
        Value::Null => "None".to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Number(n) => match (n.as_i64(), float_scalar) {
            (Some(i), false) => i.to_string(),
            _ => float(n.as_f64()?)?,
        },
        Value::String(s) => string(s),
        Value::Array(items) => {
            let item_ty = match ty {
                Some(PyType::List(s)) => Some(PyType::Scalar(*s)),
                _ => None,
            };
            let parts: Option<Vec<String>> =
                items.iter().map(|i| literal(i, item_ty.as_ref())).collect();
            format!("[{}]", parts?.join(", "))
        }
        Value::Object(map) => {
            let parts: Option<Vec<String>> = map
                .iter()
                .map(|(k, v)| Some(format!("{}: {}", string(k), literal(v, None)?)))
                .collect();
            format!("{{{}}}", parts?.join(", "))
        }
    })
}

/// One line of prose for a comment or a Markdown list (newlines and runs of spaces folded).
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text safe inside a `"""` docstring.
pub(crate) fn docstring_text(s: &str) -> String {
    s.trim()
        .replace('\\', "\\\\")
        .replace("\"\"\"", "\\\"\\\"\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literals() {
        assert_eq!(string("a \"b\"\n\\"), r#"'a "b"\n\\'"#);
        assert_eq!(string("it's \"x\""), r#"'it\'s "x"'"#);
        assert_eq!(string("it's"), r#""it's""#);
        assert_eq!(
            literal(&json!(1), Some(&PyType::Scalar(Scalar::Float))).unwrap(),
            "1.0"
        );
        assert_eq!(literal(&json!(0.7), None).unwrap(), "0.7");
        assert_eq!(literal(&json!(3), None).unwrap(), "3");
        assert_eq!(
            literal(&json!(["a", true, null]), None).unwrap(),
            r#"["a", True, None]"#
        );
        assert_eq!(literal(&json!({"k": 1}), None).unwrap(), r#"{"k": 1}"#);
        assert_eq!(number(2.0, true).unwrap(), "2");
        assert_eq!(number(2.0, false).unwrap(), "2.0");
        assert_eq!(docstring_text(r#"a """ b \ c"#), r#"a \"\"\" b \\ c"#);
    }
}
