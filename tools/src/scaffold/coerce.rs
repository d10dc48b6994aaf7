//! Every conversion the scaffolder writes, in one table. Lossless ones apply implicitly;
//! lossy but obvious ones (the first file of a list, the only file field of an object, a
//! model file as its URL) apply with a note; where several parts could fit, the caller
//! writes a `TODO(...)` placeholder listing them; anything else does not fit.

use super::emit::Expr;
use super::source::Pick;
use super::types::{PyType, Scalar, Shape, Value};

/// How a value fits a target type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fit {
    /// As is, or through a lossless coercion.
    Exact(Expr),
    /// Through a lossy but obvious coercion; the note says what was taken.
    Obvious { expr: Expr, note: String },
    /// Several parts could fit: (expression, type) each; the caller decides or asks.
    Choose(Vec<(Expr, String)>),
    /// Nothing fits.
    No,
}

impl Fit {
    /// The expression, when the value fits without a decision.
    pub(crate) fn expr(&self) -> Option<&Expr> {
        match self {
            Fit::Exact(e) | Fit::Obvious { expr: e, .. } => Some(e),
            _ => None,
        }
    }
}

/// `[get_path_url(file) for file in e]` for model files (a list of `URLPath` passed whole
/// fails in replicate-python's JSON encoding), `e` for local files.
fn file_list(v: &Value) -> Expr {
    if v.url {
        v.expr.clone().each("file", Expr::name("file").url(), true)
    } else {
        v.expr.clone()
    }
}

/// The table: how `v` fits `target`.
pub(crate) fn fit(v: &Value, target: &PyType) -> Fit {
    let e = v.expr.clone();
    match (v.shape, target) {
        (Shape::Str, PyType::Scalar(Scalar::Str))
        | (Shape::Int, PyType::Scalar(Scalar::Int | Scalar::Float))
        | (Shape::Float, PyType::Scalar(Scalar::Float))
        | (Shape::Bool, PyType::Scalar(Scalar::Bool))
        | (Shape::Path, PyType::Scalar(Scalar::Path))
        | (Shape::Secret, PyType::Scalar(Scalar::Secret)) => Fit::Exact(e),
        (Shape::Secret, PyType::Scalar(Scalar::Str)) => Fit::Exact(e.method("get_secret_value")),
        (Shape::Str, PyType::List(Scalar::Str)) => Fit::Exact(Expr::List(vec![e])),
        (Shape::Path, PyType::List(Scalar::Path)) if v.url => Fit::Exact(Expr::List(vec![e.url()])),
        (Shape::Path, PyType::List(Scalar::Path)) => Fit::Exact(Expr::List(vec![e])),
        (Shape::PathList, PyType::List(Scalar::Path)) => Fit::Exact(file_list(v)),
        (Shape::List, PyType::List(s)) if v.item == Some(*s) => Fit::Exact(e),
        (Shape::List, PyType::List(Scalar::Float)) if v.item == Some(Scalar::Int) => Fit::Exact(e),
        (Shape::PathList, PyType::Scalar(Scalar::Path)) => Fit::Obvious {
            note: format!("the first file of `{e}` (list[Path])"),
            expr: e.item(0),
        },
        (Shape::Path, PyType::Scalar(Scalar::Str)) if v.url => Fit::Obvious {
            note: format!("the URL of the file `{e}`"),
            expr: e.url(),
        },
        (Shape::Dict, _) => fields_that_fit(v, target),
        _ => Fit::No,
    }
}

/// An object into `target`: its only file field for a file target; else every field that
/// fits, for the caller to choose from.
fn fields_that_fit(v: &Value, target: &PyType) -> Fit {
    let mut found: Vec<(Expr, String)> = Vec::new();
    let mut all_required = true;
    for (part, required) in parts(v).into_iter().zip(required_fields(v)) {
        if let Some(expr) = fit(&part, target).expr() {
            found.push((expr.clone(), part.describe()));
            all_required &= required;
        }
    }
    let file_target = matches!(
        target,
        PyType::Scalar(Scalar::Path) | PyType::List(Scalar::Path)
    );
    // A field the schema does not require may be absent (a KeyError): never taken by itself.
    match found.as_slice() {
        [] => Fit::No,
        [(expr, ty)] if file_target && all_required => Fit::Obvious {
            expr: expr.clone(),
            note: format!("`{expr}` ({ty}), the only file in `{}`", v.expr),
        },
        _ => Fit::Choose(found),
    }
}

/// Whether the schema requires each field of `parts(v)`, in the same order.
fn required_fields(v: &Value) -> Vec<bool> {
    v.detail
        .iter()
        .flat_map(|d| d.fields.iter().map(|f| f.required))
        .collect()
}

/// The fields of an object value, one level down.
pub(crate) fn parts(v: &Value) -> Vec<Value> {
    let Some(detail) = &v.detail else {
        return Vec::new();
    };
    detail
        .fields
        .iter()
        .map(|f| Value::of_shape(v.expr.clone().field(&f.name), &f.shape))
        .collect()
}

/// A step's output after `pick`.
pub(crate) fn pick(v: &Value, pick: &Pick) -> Result<Value, String> {
    match pick {
        Pick::Whole => Ok(v.clone()),
        Pick::All => match v.shape {
            Shape::PathList | Shape::List => Ok(v.clone()),
            _ => Err(format!(
                "`pick: \"all\"` needs a list; `{}` is {}",
                v.expr,
                v.describe()
            )),
        },
        Pick::First if has_field(v, "first") => field(v, &["first".to_string()]),
        Pick::First => first(v),
        Pick::Field(path) => field(v, path),
    }
}

/// The first field on a picked path that the schema does not require (it may be absent).
pub(crate) fn optional_field(v: &Value, pick: &Pick) -> Option<String> {
    let Pick::Field(path) = pick else {
        return None;
    };
    let mut shape = v.detail.clone()?;
    for key in path {
        if key.parse::<usize>().is_ok() {
            shape = *shape.items?;
            continue;
        }
        let field = shape.fields.iter().find(|f| f.name == *key)?;
        if !field.required {
            return Some(key.clone());
        }
        shape = field.shape.clone();
    }
    None
}

fn has_field(v: &Value, name: &str) -> bool {
    v.detail
        .as_ref()
        .is_some_and(|d| d.fields.iter().any(|f| f.name == name))
}

fn first(v: &Value) -> Result<Value, String> {
    let expr = v.expr.clone().item(0);
    if let Some(items) = v.detail.as_ref().and_then(|d| d.items.as_deref()) {
        return Ok(Value::of_shape(expr, items));
    }
    match (v.shape, v.item) {
        (Shape::PathList, _) => Ok(Value {
            expr,
            shape: Shape::Path,
            item: None,
            url: v.url,
            detail: None,
        }),
        (Shape::List, Some(s)) => Ok(Value::of_type(expr, &PyType::Scalar(s))),
        _ => Err(format!(
            "`pick: \"first\"` needs a list; `{}` is {}",
            v.expr,
            v.describe()
        )),
    }
}

fn field(v: &Value, path: &[String]) -> Result<Value, String> {
    let mut cur = v.clone();
    for key in path {
        cur = if let Ok(i) = key.parse::<usize>() {
            let mut item = first(&cur)?;
            item.expr = cur.expr.clone().item(i);
            item
        } else {
            let fields: Vec<String> = cur
                .detail
                .as_ref()
                .map(|d| d.fields.iter().map(|f| f.name.clone()).collect())
                .unwrap_or_default();
            let Some(shape) = cur
                .detail
                .as_ref()
                .and_then(|d| d.fields.iter().find(|f| f.name == *key))
                .map(|f| f.shape.clone())
            else {
                return Err(if fields.is_empty() {
                    format!(
                        "`{}` ({}) has no fields, so no field {key:?}",
                        cur.expr,
                        cur.describe()
                    )
                } else {
                    format!(
                        "`{}` has no field {key:?}; its fields: {}",
                        cur.expr,
                        fields.join(", ")
                    )
                });
            };
            Value::of_shape(cur.expr.clone().field(key), &shape)
        };
    }
    Ok(cur)
}

/// The items of a list joined into one string: files as their URLs.
pub(crate) fn join(v: &Value, sep: &str) -> Result<Expr, String> {
    let joined = |items: Expr| Expr::Join {
        sep: sep.to_string(),
        items: Box::new(items),
    };
    let url = Expr::name("file").url();
    match (v.shape, v.item) {
        (Shape::PathList, _) if v.url => Ok(joined(v.expr.clone().each("file", url, false))),
        (Shape::PathList, _) => Err(format!(
            "`{}` holds local files (a run() input), which have no URL to join",
            v.expr
        )),
        (Shape::List, Some(Scalar::Str)) => Ok(joined(v.expr.clone())),
        // A fan-out of a model returning files: every file of every prediction, in order.
        (Shape::List, _)
            if v.url
                && v.detail
                    .as_ref()
                    .and_then(|d| d.items.as_deref())
                    .and_then(|i| i.items.as_deref())
                    .is_some_and(|i| i.file) =>
        {
            let files = Expr::Comp {
                elt: Box::new(url),
                loops: vec![
                    ("files".to_string(), v.expr.clone()),
                    ("file".to_string(), Expr::name("files")),
                ],
                list: false,
            };
            Ok(joined(files))
        }
        _ => Err(format!(
            "`join` needs a list of texts or files; `{}` is {}",
            v.expr,
            v.describe()
        )),
    }
}

/// The picks (as the agent writes them) of a step's output that would fit `target`.
pub(crate) fn picks_that_fit(step: &str, v: &Value, target: &PyType) -> Vec<String> {
    let mut out = Vec::new();
    let mut candidates = vec![Pick::Whole, Pick::First];
    if let Some(d) = &v.detail {
        for f in &d.fields {
            candidates.push(Pick::Field(vec![f.name.clone()]));
            if let Some(items) = &f.shape.items {
                candidates.push(Pick::Field(vec![f.name.clone(), "0".into()]));
                for sub in &items.fields {
                    candidates.push(Pick::Field(vec![
                        f.name.clone(),
                        "0".into(),
                        sub.name.clone(),
                    ]));
                }
            }
        }
    }
    for p in candidates {
        if let Ok(picked) = pick(v, &p) {
            let as_json = p
                .as_json()
                .map(|p| format!(", \"pick\": \"{p}\""))
                .unwrap_or_default();
            if fit(&picked, target).expr().is_some() {
                out.push(format!("{{\"step\": \"{step}\"{as_json}}}"));
            } else if *target == PyType::Scalar(Scalar::Str) && join(&picked, ",").is_ok() {
                out.push(format!(
                    "{{\"step\": \"{step}\"{as_json}, \"join\": \",\"}}"
                ));
            }
        }
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{OutputField, OutputShape};

    fn leaf(t: &str) -> OutputShape {
        OutputShape {
            python_type: t.into(),
            file: t == "Path",
            fields: vec![],
            items: None,
            any_of: vec![],
            cut: None,
            choices: Vec::new(),
        }
    }

    fn object(fields: &[(&str, &str)]) -> Value {
        let mut shape = leaf("dict");
        shape.fields = fields
            .iter()
            .map(|(n, t)| OutputField {
                name: (*n).into(),
                required: true,
                shape: leaf(t),
            })
            .collect();
        Value::of_shape(Expr::name("video"), &shape)
    }

    #[test]
    fn the_only_file_field_is_obvious_two_are_a_choice() {
        let one = object(&[("video", "Path"), ("seconds", "float")]);
        assert_eq!(
            fit(&one, &PyType::Scalar(Scalar::Path))
                .expr()
                .map(ToString::to_string)
                .as_deref(),
            Some("video[\"video\"]")
        );
        let two = object(&[("video", "Path"), ("zip", "Path")]);
        assert!(matches!(
            fit(&two, &PyType::Scalar(Scalar::Path)),
            Fit::Choose(c) if c.len() == 2
        ));
        assert_eq!(fit(&two, &PyType::Scalar(Scalar::Int)), Fit::No);
    }

    #[test]
    fn model_file_lists_pass_as_urls() {
        let files = Value {
            expr: Expr::name("images"),
            shape: Shape::PathList,
            item: Some(Scalar::Path),
            url: true,
            detail: None,
        };
        assert_eq!(
            fit(&files, &PyType::List(Scalar::Path))
                .expr()
                .map(ToString::to_string)
                .as_deref(),
            Some("[get_path_url(file) for file in images]")
        );
        assert_eq!(fit(&files, &PyType::Scalar(Scalar::Str)), Fit::No);
        assert_eq!(
            join(&files, ",").unwrap().to_string(),
            "\",\".join(get_path_url(file) for file in images)"
        );
        assert_eq!(
            picks_that_fit("a", &files, &PyType::Scalar(Scalar::Str)),
            [
                "{\"step\": \"a\", \"join\": \",\"}",
                "{\"step\": \"a\", \"pick\": \"first\"}"
            ]
        );
    }
}
