//! The parameters of `run()`: checking declared inputs and deriving them from model inputs.

use serde_json::Value as Json;

use super::emit::names::{Namer, RESERVED, is_identifier};
use super::emit::{Arg, Expr, Sym, python};
use super::error::ScaffoldError;
use super::request::InputSpec;
use super::types::{ParamType, PyType, Scalar, Value};
use crate::schema::InputParam;

/// One parameter of `run()`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Param {
    pub(crate) name: String,
    pub(crate) ty: ParamType,
    pub(crate) description: String,
    pub(crate) default: Option<Json>,
    pub(crate) choices: Option<Vec<Json>>,
    pub(crate) ge: Option<f64>,
    pub(crate) le: Option<f64>,
    /// Declared in the request (as opposed to derived from a model input).
    pub(crate) declared: bool,
    /// How many model calls receive it.
    pub(crate) uses: usize,
}

impl Param {
    /// The parameter as a value expression.
    pub(crate) fn value(&self) -> Value {
        Value::of_type(Expr::name(self.name.clone()), &self.ty.ty)
    }

    /// Whether it defaults to `None` (then passed to a model only when set).
    pub(crate) fn may_be_none(&self) -> bool {
        self.ty.optional && self.default.as_ref().is_none_or(Json::is_null)
    }

    /// Whether `run()` can be called without it.
    pub(crate) fn is_required(&self) -> bool {
        self.default.is_none() && !self.ty.optional
    }

    /// `Input(description=…, default=…, ge=…, le=…, choices=…)`.
    pub(crate) fn input_call(&self) -> Expr {
        let int = matches!(self.ty.ty, PyType::Scalar(Scalar::Int));
        let mut kwargs = vec![Arg::Kw("description".into(), Expr::str(&self.description))];
        let lit = |value: Json, ty: PyType| Expr::Lit {
            value,
            ty: Some(ty),
        };
        match &self.default {
            Some(d) if python::literal(d, Some(&self.ty.ty)).is_some() => {
                kwargs.push(Arg::Kw(
                    "default".into(),
                    lit(d.clone(), self.ty.ty.clone()),
                ));
            }
            Some(_) => kwargs.push(Arg::Kw(
                "default".into(),
                lit(Json::Null, self.ty.ty.clone()),
            )),
            None if self.ty.optional => {
                kwargs.push(Arg::Kw(
                    "default".into(),
                    lit(Json::Null, self.ty.ty.clone()),
                ));
            }
            None => {}
        }
        for (key, bound) in [("ge", self.ge), ("le", self.le)] {
            if let Some(n) = bound.and_then(|v| number(v, int)) {
                kwargs.push(Arg::Kw(key.into(), n));
            }
        }
        if let Some(choices) = &self.choices {
            let list = Json::Array(choices.clone());
            let ty = PyType::List(scalar_of(&self.ty.ty));
            if python::literal(&list, Some(&ty)).is_some() {
                kwargs.push(Arg::Kw("choices".into(), lit(list, ty)));
            }
        }
        Expr::call(Expr::Sym(Sym::Input), kwargs)
    }
}

/// A bound as a literal: integral bounds of `int` inputs without `.0`.
fn number(f: f64, as_int: bool) -> Option<Expr> {
    python::number(f, as_int)?;
    let (value, ty) = if as_int && f.fract() == 0.0 && f.abs() < 9.0e15 {
        (Json::from(f as i64), PyType::Scalar(Scalar::Int))
    } else {
        (Json::from(f), PyType::Scalar(Scalar::Float))
    };
    Some(Expr::Lit {
        value,
        ty: Some(ty),
    })
}

fn scalar_of(ty: &PyType) -> Scalar {
    match ty {
        PyType::Scalar(s) | PyType::List(s) => *s,
        PyType::Other(_) => Scalar::Str,
    }
}

/// Checks the declared inputs and turns them into parameters, taking their names.
pub(crate) fn declared(
    specs: &[InputSpec],
    namer: &mut Namer,
) -> Result<Vec<Param>, ScaffoldError> {
    let mut params = Vec::with_capacity(specs.len());
    for (index, spec) in specs.iter().enumerate() {
        let fail = |reason: String| ScaffoldError::InvalidInput {
            index,
            name: spec.name.clone(),
            reason,
        };
        if !is_identifier(&spec.name) {
            return Err(fail(
                "the name must be a Python identifier such as `prompt`".into(),
            ));
        }
        if RESERVED.contains(&spec.name.as_str()) {
            return Err(fail(format!(
                "the generated main.py uses `{}` itself; pick another name",
                spec.name
            )));
        }
        if !namer.take(&spec.name) {
            return Err(fail("another input has the same name".into()));
        }
        let ty = ParamType::parse(&spec.python_type);
        check_spec(spec, &ty).map_err(fail)?;
        params.push(Param {
            name: spec.name.clone(),
            ty,
            description: python::one_line(&spec.description),
            default: spec.default.clone().filter(|d| !d.is_null()),
            choices: spec.choices.clone(),
            ge: spec.ge,
            le: spec.le,
            declared: true,
            uses: 0,
        });
    }
    Ok(params)
}

fn check_spec(spec: &InputSpec, ty: &ParamType) -> Result<(), String> {
    let scalar = match &ty.ty {
        PyType::Scalar(s) | PyType::List(s) => *s,
        PyType::Other(t) => {
            return Err(format!(
                "type `{t}` is not a cog input type; use str, int, float, bool, Path, Secret or \
                 list[...] of one of them (add ` | None` for an optional input)"
            ));
        }
    };
    let is_list = matches!(ty.ty, PyType::List(_));
    if is_list && scalar == Scalar::Secret {
        return Err("list[Secret] is not supported; use one Secret input per secret".into());
    }
    let numeric = !is_list && matches!(scalar, Scalar::Int | Scalar::Float);
    if (spec.ge.is_some() || spec.le.is_some()) && !numeric {
        return Err("ge/le apply only to int and float inputs".into());
    }
    if let (Some(ge), Some(le)) = (spec.ge, spec.le)
        && ge > le
    {
        return Err(format!("ge ({ge}) is greater than le ({le})"));
    }
    if let Some(choices) = &spec.choices {
        if is_list || !matches!(scalar, Scalar::Str | Scalar::Int) {
            return Err("choices apply only to str and int inputs".into());
        }
        if choices.is_empty() {
            return Err("choices is empty; omit it or list the allowed values".into());
        }
        if let Some(bad) = choices.iter().find(|c| !fits(c, scalar)) {
            return Err(format!("choice {bad} is not a {}", scalar.as_str()));
        }
    }
    let Some(default) = spec.default.as_ref().filter(|d| !d.is_null()) else {
        return Ok(());
    };
    if matches!(scalar, Scalar::Path | Scalar::Secret) {
        return Err(format!(
            "a {} input cannot have a default; type it `{} | None` to make it optional",
            scalar.as_str(),
            ty.ty.render()
        ));
    }
    let ok = match default {
        Json::Array(items) if is_list => items.iter().all(|i| fits(i, scalar)),
        d if !is_list => fits(d, scalar),
        _ => false,
    };
    if !ok {
        return Err(format!("default {default} is not a {}", ty.ty.render()));
    }
    if let Some(choices) = &spec.choices
        && !choices.contains(default)
    {
        return Err(format!("default {default} is not one of the choices"));
    }
    if let Some(n) = default.as_f64().filter(|_| numeric)
        && (spec.ge.is_some_and(|ge| n < ge) || spec.le.is_some_and(|le| n > le))
    {
        return Err(format!("default {default} is outside ge/le"));
    }
    Ok(())
}

/// Whether a JSON value is a valid literal of `scalar`.
fn fits(v: &Json, scalar: Scalar) -> bool {
    match scalar {
        Scalar::Str => v.is_string(),
        Scalar::Int => v.is_i64() || v.is_u64(),
        Scalar::Float => v.is_number(),
        Scalar::Bool => v.is_boolean(),
        Scalar::Path | Scalar::Secret => false,
    }
}

/// A parameter standing for a model input, or `None` when `run()` cannot take its type.
pub(crate) fn from_model_input(name: String, model: &str, input: &InputParam) -> Option<Param> {
    let ty = ParamType::of(&input.python_type).ty;
    let scalar = match &ty {
        PyType::Scalar(s) => *s,
        PyType::List(s) if *s != Scalar::Secret => *s,
        _ => return None,
    };
    let numeric = matches!(ty, PyType::Scalar(Scalar::Int | Scalar::Float));
    let description = input
        .description
        .as_deref()
        .map(python::one_line)
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| format!("Passed to {model} as `{}`.", input.name));
    let choices = input
        .choices
        .clone()
        .filter(|c| !c.is_empty() && matches!(ty, PyType::Scalar(Scalar::Str | Scalar::Int)))
        .filter(|c| c.iter().all(|v| fits(v, scalar)));
    let default = input
        .default
        .clone()
        .filter(|d| !d.is_null() && !matches!(scalar, Scalar::Path | Scalar::Secret));
    Some(Param {
        name,
        // An optional model input without a default stays optional: `T | None = None`.
        ty: ParamType {
            ty,
            optional: !input.required && default.is_none(),
        },
        description,
        default,
        choices,
        ge: input.minimum.filter(|_| numeric),
        le: input.maximum.filter(|_| numeric),
        declared: false,
        uses: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(name: &str, ty: &str) -> InputSpec {
        InputSpec {
            name: name.into(),
            python_type: ty.into(),
            description: "d".into(),
            ..InputSpec::default()
        }
    }

    fn check(specs: &[InputSpec]) -> Result<Vec<Param>, ScaffoldError> {
        declared(specs, &mut Namer::new())
    }

    #[test]
    fn rejects_bad_declarations() {
        assert!(check(&[spec("1x", "str")]).is_err());
        assert!(check(&[spec("json", "str")]).is_err());
        assert!(check(&[spec("a", "str"), spec("a", "int")]).is_err());
        assert!(check(&[spec("a", "dict")]).is_err());
        assert!(
            check(&[InputSpec {
                ge: Some(1.0),
                ..spec("a", "str")
            }])
            .is_err()
        );
        assert!(
            check(&[InputSpec {
                choices: Some(vec![]),
                ..spec("a", "str")
            }])
            .is_err()
        );
        assert!(
            check(&[InputSpec {
                default: Some(json!("x")),
                ..spec("a", "Path")
            }])
            .is_err()
        );
        assert!(
            check(&[InputSpec {
                default: Some(json!("x")),
                ..spec("a", "int")
            }])
            .is_err()
        );
        let outside = InputSpec {
            default: Some(json!("c")),
            choices: Some(vec![json!("a"), json!("b")]),
            ..spec("a", "str")
        };
        assert!(check(&[outside]).is_err());
        let out_of_range = InputSpec {
            default: Some(json!(10)),
            le: Some(5.0),
            ..spec("a", "int")
        };
        assert!(check(&[out_of_range]).is_err());
    }

    #[test]
    fn renders_params() {
        let p = check(&[InputSpec {
            default: Some(json!(2)),
            ge: Some(1.0),
            le: Some(4.0),
            ..spec("n", "int")
        }])
        .unwrap();
        assert_eq!(
            p[0].input_call().to_string(),
            r#"Input(description="d", default=2, ge=1, le=4)"#
        );
        let p = check(&[spec("seed", "int | None")]).unwrap();
        assert_eq!(
            p[0].input_call().to_string(),
            r#"Input(description="d", default=None)"#
        );
        let p = check(&[InputSpec {
            default: Some(json!(1)),
            ..spec("t", "float")
        }])
        .unwrap();
        assert_eq!(
            p[0].input_call().to_string(),
            r#"Input(description="d", default=1.0)"#
        );
    }
}
