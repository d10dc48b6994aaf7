//! Where a value comes from, as the agent writes it in `steps[].inputs` and `output_fields`
//! (JSON), parsed into typed sources.

use serde_json::Value as Json;

/// What to take from a step's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pick {
    /// The output as is.
    Whole,
    /// The first item of a list (a field literally named `first` of an object wins).
    First,
    /// The whole list.
    All,
    /// A field of an object, or a path into it (`segments.0.text`).
    Field(Vec<String>),
}

impl Pick {
    fn parse(text: Option<&str>) -> Pick {
        match text.map(str::trim) {
            None | Some("") => Pick::Whole,
            Some("first") => Pick::First,
            Some("all") => Pick::All,
            Some(path) => Pick::Field(path.split('.').map(str::to_string).collect()),
        }
    }

    /// The pick as the agent writes it, for messages.
    pub(crate) fn as_json(&self) -> Option<String> {
        match self {
            Pick::Whole => None,
            Pick::First => Some("first".into()),
            Pick::All => Some("all".into()),
            Pick::Field(p) => Some(p.join(".")),
        }
    }
}

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Source {
    /// A `run()` input.
    Input(String),
    /// An earlier step's output, picked and optionally joined into one string.
    Step {
        step: String,
        pick: Pick,
        join: Option<String>,
    },
    /// A fixed value.
    Value(Json),
    /// A list built from several sources, optionally joined into one string.
    List {
        items: Vec<Source>,
        join: Option<String>,
    },
    /// A value the agent's own code computes (`output_fields` only).
    Computed { ty: String, description: String },
}

/// The forms, for error messages.
pub(crate) const FORMS: &str = "{\"input\": \"<run() input>\"}, {\"step\": \"<id or model>\", \
     \"pick\"?: \"first\" | \"all\" | \"<field>\", \"join\"?: \",\"}, {\"value\": <literal>} or \
     {\"list\": [<source>, …], \
     \"join\"?: \",\"}";

impl Source {
    /// Parses a step input's source.
    pub(crate) fn parse(v: &Json) -> Result<Source, String> {
        let Some(obj) = v.as_object() else {
            return Err(format!("{v} is not a source; use one of {FORMS}"));
        };
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        let allowed: &[&str] = match keys.as_slice() {
            k if k.contains(&"input") => &["input"],
            k if k.contains(&"step") => &["step", "pick", "join"],
            k if k.contains(&"value") => &["value"],
            k if k.contains(&"list") => &["list", "join"],
            k if k.contains(&"type") => &["type", "description"],
            _ => return Err(format!("{v} is not a source; use one of {FORMS}")),
        };
        if let Some(extra) = keys.iter().find(|k| !allowed.contains(k)) {
            return Err(format!(
                "{v}: unexpected key {extra:?} (allowed here: {})",
                allowed.join(", ")
            ));
        }
        let text = |key: &str| -> Result<String, String> {
            obj.get(key)
                .and_then(Json::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("{v}: `{key}` must be a string"))
        };
        Ok(match allowed[0] {
            "input" => Source::Input(text("input")?),
            "step" => Source::Step {
                step: text("step")?,
                pick: match obj.get("pick") {
                    None | Some(Json::Null) => Pick::Whole,
                    Some(Json::String(p)) => Pick::parse(Some(p)),
                    Some(other) => return Err(format!("`pick` {other} must be a string")),
                },
                join: match obj.get("join") {
                    None | Some(Json::Null) => None,
                    Some(Json::String(s)) => Some(s.clone()),
                    Some(other) => return Err(format!("`join` {other} must be a string")),
                },
            },
            "value" => Source::Value(obj.get("value").cloned().unwrap_or(Json::Null)),
            "list" => {
                let items = obj
                    .get("list")
                    .and_then(Json::as_array)
                    .ok_or_else(|| format!("{v}: `list` must be a list of sources"))?;
                if items.is_empty() {
                    return Err(format!("{v}: `list` is empty"));
                }
                Source::List {
                    items: items.iter().map(Source::parse).collect::<Result<_, _>>()?,
                    join: match obj.get("join") {
                        None | Some(Json::Null) => None,
                        Some(Json::String(s)) => Some(s.clone()),
                        Some(other) => return Err(format!("`join` {other} must be a string")),
                    },
                }
            }
            _ => Source::Computed {
                ty: text("type")?,
                description: obj
                    .get("description")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string(),
            },
        })
    }

    /// Parses an `output_fields` value: a step name is that step's output as is.
    pub(crate) fn parse_field(v: &Json) -> Result<Source, String> {
        match v {
            Json::String(step) => Ok(Source::Step {
                step: step.clone(),
                pick: Pick::Whole,
                join: None,
            }),
            other => Source::parse(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_sources() {
        assert_eq!(
            Source::parse(&json!({"step": "a", "pick": "segments.0.text"})).unwrap(),
            Source::Step {
                step: "a".into(),
                pick: Pick::Field(vec!["segments".into(), "0".into(), "text".into()]),
                join: None
            }
        );
        assert_eq!(
            Source::parse(&json!({"step": "a", "pick": "all", "join": ","})).unwrap(),
            Source::Step {
                step: "a".into(),
                pick: Pick::All,
                join: Some(",".into())
            }
        );
        assert!(Source::parse(&json!({"input": "x", "pick": "first"})).is_err());
        assert!(Source::parse(&json!("x")).is_err());
        assert!(Source::parse(&json!({"list": []})).is_err());
        assert_eq!(
            Source::parse_field(&json!("widen")).unwrap(),
            Source::Step {
                step: "widen".into(),
                pick: Pick::Whole,
                join: None
            }
        );
    }
}
