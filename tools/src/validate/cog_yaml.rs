//! `cog.yaml`, parsed once with `yaml_serde`, keeping the positions rules report.

use serde::Deserialize;

/// A value with the 1-based line and column where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// Why `cog.yaml` could not be read as a configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct CogYamlError {
    /// What is wrong.
    pub message: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// The parts of `cog.yaml` the rules read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CogConfig {
    /// Top-level keys, in order.
    pub keys: Vec<Located<String>>,
    /// `predict`, e.g. `main.py:run`.
    pub predict: Option<Located<String>>,
    /// Keys under `build`, in order.
    pub build_keys: Vec<Located<String>>,
    /// `build.gpu`.
    pub gpu: Option<Located<bool>>,
    /// `build.python_requirements`.
    pub python_requirements: Option<Located<String>>,
}

/// The `cog.yaml` file.
#[derive(Debug, Clone, PartialEq)]
pub struct CogYaml {
    /// Its text.
    pub source: String,
    /// The configuration, or why it is invalid.
    pub config: Result<CogConfig, CogYamlError>,
}

#[derive(Deserialize)]
struct Typed {
    #[serde(default)]
    build: Option<TypedBuild>,
    #[serde(default)]
    predict: Option<String>,
}

#[derive(Deserialize)]
struct TypedBuild {
    #[serde(default)]
    gpu: Option<bool>,
    #[serde(default)]
    python_requirements: Option<String>,
}

impl CogYaml {
    /// Parses the text (never fails: problems are kept in [`CogYaml::config`]).
    pub fn parse(source: impl Into<String>) -> Self {
        let source = source.into();
        let config = parse_config(&source);
        CogYaml { source, config }
    }
}

fn yaml_error(e: &yaml_serde::Error) -> CogYamlError {
    let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
    let mut message = e.to_string();
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    CogYamlError {
        message,
        line,
        column,
    }
}

/// The largest `cog.yaml` parsed (a real one is a few hundred bytes).
pub const MAX_COG_YAML_BYTES: usize = 64 * 1024;
/// How deep `[`/`{` flow collections and indented blocks may nest in `cog.yaml`.
pub const MAX_COG_YAML_DEPTH: usize = 32;

/// Refuses sizes and nesting the YAML parser would take long over (it is not linear in
/// deeply nested flow collections).
fn check_bounds(source: &str) -> Result<(), CogYamlError> {
    if source.len() > MAX_COG_YAML_BYTES {
        return Err(CogYamlError {
            message: format!(
                "the file is {} bytes; the limit is {MAX_COG_YAML_BYTES} (cog.yaml needs only \
                 `build` and `predict`)",
                source.len()
            ),
            line: 1,
            column: 1,
        });
    }
    let mut flow = 0usize; // open `[`/`{`, across lines
    for (index, line) in source.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let mut quote: Option<char> = None;
        for (column, c) in line.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => flow += 1,
                (None, ']' | '}') => flow = flow.saturating_sub(1),
                _ => {}
            }
            if indent / 2 + flow > MAX_COG_YAML_DEPTH {
                return Err(CogYamlError {
                    message: format!("nested too deeply (limit {MAX_COG_YAML_DEPTH})"),
                    line: index + 1,
                    column: column + 1,
                });
            }
        }
    }
    Ok(())
}

fn parse_config(source: &str) -> Result<CogConfig, CogYamlError> {
    check_bounds(source)?;
    let value: yaml_serde::Value = yaml_serde::from_str(source).map_err(|e| yaml_error(&e))?;
    let mapping = match &value {
        yaml_serde::Value::Mapping(m) => m,
        yaml_serde::Value::Null => {
            return Err(CogYamlError {
                message: "the file is empty; it must be a mapping with a `predict` key".into(),
                line: 1,
                column: 1,
            });
        }
        _ => {
            return Err(CogYamlError {
                message: "the top level must be a mapping of keys (`build:`, `predict:`)".into(),
                line: 1,
                column: 1,
            });
        }
    };
    if let Some(build) = mapping.get("build")
        && !matches!(
            build,
            yaml_serde::Value::Mapping(_) | yaml_serde::Value::Null
        )
    {
        let (line, column) = key_positions(source, None)
            .into_iter()
            .find(|k| k.value == "build")
            .map_or((1, 1), |k| (k.line, k.column));
        return Err(CogYamlError {
            message: "`build` must be a mapping of keys".into(),
            line,
            column,
        });
    }
    // The parsed value is read as well as the text would be; when it cannot be (a wrong
    // type, or a scalar only the text reading takes as a string), the text is read again
    // for the answer and the error's position.
    let typed: Typed = match yaml_serde::from_value(value) {
        Ok(typed) => typed,
        Err(_) => yaml_serde::from_str(source).map_err(|e| yaml_error(&e))?,
    };
    let keys = key_positions(source, None);
    let build_keys = key_positions(source, Some("build"));
    let at = |keys: &[Located<String>], name: &str| {
        keys.iter()
            .find(|k| k.value == name)
            .map_or((1, 1), |k| (k.line, k.column + k.value.len() + 2))
    };
    let predict = typed.predict.map(|p| {
        let (line, column) = at(&keys, "predict");
        Located {
            value: p,
            line,
            column,
        }
    });
    let build = typed.build;
    let gpu = build.as_ref().and_then(|b| b.gpu).map(|g| {
        let (line, column) = at(&build_keys, "gpu");
        Located {
            value: g,
            line,
            column,
        }
    });
    let python_requirements = build.and_then(|b| b.python_requirements).map(|r| {
        let (line, column) = at(&build_keys, "python_requirements");
        Located {
            value: r,
            line,
            column,
        }
    });
    Ok(CogConfig {
        keys,
        predict,
        build_keys,
        gpu,
        python_requirements,
    })
}

/// Block-style keys at the top level (`parent == None`) or directly under a top-level
/// `parent:` key, with their positions. Flow-style mappings are not located.
fn key_positions(source: &str, parent: Option<&str>) -> Vec<Located<String>> {
    let mut out = Vec::new();
    let mut inside = parent.is_none();
    let mut child_indent: Option<usize> = None;
    for (i, raw) in source.lines().enumerate() {
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
            continue;
        }
        let indent = raw.len() - trimmed.len();
        let key = key_of(trimmed);
        match parent {
            None => {
                if indent == 0
                    && let Some(k) = key
                {
                    out.push(Located {
                        value: k.to_string(),
                        line: i + 1,
                        column: 1,
                    });
                }
            }
            Some(parent) => {
                if indent == 0 {
                    inside = key == Some(parent);
                    child_indent = None;
                    continue;
                }
                if !inside {
                    continue;
                }
                let level = *child_indent.get_or_insert(indent);
                if indent == level
                    && let Some(k) = key
                {
                    out.push(Located {
                        value: k.to_string(),
                        line: i + 1,
                        column: indent + 1,
                    });
                }
            }
        }
    }
    out
}

fn key_of(line: &str) -> Option<&str> {
    let (key, _) = line.split_once(':')?;
    let key = key.trim_end().trim_matches(|c| c == '"' || c == '\'');
    (!key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-'))
    .then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_keys_and_values() {
        let y = CogYaml::parse(
            "build:\n  gpu: true\n  python_requirements: requirements.txt\npredict: \"main.py:run\"\n",
        );
        let c = y.config.unwrap();
        assert_eq!(c.predict.as_ref().unwrap().value, "main.py:run");
        assert_eq!(c.predict.as_ref().unwrap().line, 4);
        let gpu = c.gpu.unwrap();
        assert!(gpu.value);
        assert_eq!((gpu.line, gpu.column), (2, 8));
        assert_eq!(c.build_keys.len(), 2);
    }

    #[test]
    fn reports_syntax_and_type_errors_with_positions() {
        let e = CogYaml::parse("predict: [\n").config.unwrap_err();
        assert!(e.line >= 1);
        let e = CogYaml::parse("build:\n  gpu: maybe\npredict: main.py:run\n")
            .config
            .unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
        assert!(CogYaml::parse("- a\n- b\n").config.is_err());
        assert!(CogYaml::parse("build: 3\n").config.is_err());
    }
}
