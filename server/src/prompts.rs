//! Prompts from `prompts/*.md`: YAML front matter (name, title, description, arguments)
//! and a Markdown body with `{{argument}}` placeholders. Embedded at build time.

use std::collections::BTreeMap;

use rmcp::model::{GetPromptResult, Prompt, PromptArgument, PromptMessage, Role};
use serde::Deserialize;

include!(concat!(env!("OUT_DIR"), "/prompt_files.rs"));

/// What stands in for the rules digest when no spec is cached.
const NO_DIGEST: &str = "(No spec is cached yet: call `fetch_llms_txt` first — it returns the rules digest, every rule this pipeline must follow.)";

/// The server instructions sent at initialize.
pub const INSTRUCTIONS: &str = include_str!("../../prompts/server/instructions.md");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    name: String,
    #[serde(default)]
    title: Option<String>,
    description: String,
    #[serde(default)]
    arguments: Vec<ArgSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArgSpec {
    name: String,
    description: String,
    #[serde(default)]
    required: bool,
    /// Text used when an optional argument is not given.
    #[serde(default)]
    default: Option<String>,
}

/// One parsed prompt file.
#[derive(Debug, Clone)]
pub struct PromptTemplate {
    name: String,
    title: Option<String>,
    description: String,
    arguments: Vec<ArgSpec>,
    body: String,
}

/// Why a prompt file or a `prompts/get` request was refused.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// The file has no `---` front matter block.
    #[error("{file}: missing `---` front matter")]
    NoFrontMatter {
        /// File name.
        file: String,
    },
    /// The front matter is not valid.
    #[error("{file}: invalid front matter: {reason}")]
    BadFrontMatter {
        /// File name.
        file: String,
        /// Parser message.
        reason: String,
    },
    /// No prompt has that name.
    #[error("unknown prompt `{0}`; call prompts/list for the available prompts")]
    Unknown(String),
    /// A required argument is missing.
    #[error("prompt `{prompt}` needs the argument `{argument}`")]
    MissingArgument {
        /// Prompt name.
        prompt: String,
        /// Argument name.
        argument: String,
    },
    /// An argument the prompt does not declare.
    #[error("prompt `{prompt}` has no argument `{argument}` ({known})")]
    UnknownArgument {
        /// Prompt name.
        prompt: String,
        /// Argument name.
        argument: String,
        /// The declared arguments.
        known: String,
    },
}

impl PromptTemplate {
    /// Parses one prompt file.
    pub fn parse(file: &str, text: &str) -> Result<Self, PromptError> {
        let rest = text
            .strip_prefix("---\n")
            .ok_or_else(|| PromptError::NoFrontMatter { file: file.into() })?;
        let end = rest
            .find("\n---\n")
            .ok_or_else(|| PromptError::NoFrontMatter { file: file.into() })?;
        let fm: FrontMatter =
            yaml_serde::from_str(&rest[..end]).map_err(|e| PromptError::BadFrontMatter {
                file: file.into(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            name: fm.name,
            title: fm.title,
            description: fm.description,
            arguments: fm.arguments,
            body: rest[end + 5..].trim().to_string(),
        })
    }

    /// The prompt's name.
    #[cfg(test)]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `prompts/list` entry.
    pub fn listing(&self) -> Prompt {
        let args = self
            .arguments
            .iter()
            .map(|a| {
                PromptArgument::new(&a.name)
                    .with_description(&a.description)
                    .with_required(a.required)
            })
            .collect::<Vec<_>>();
        let mut p = Prompt::new(&self.name, Some(&self.description), Some(args));
        if let Some(t) = &self.title {
            p = p.with_title(t);
        }
        p
    }

    /// Renders the prompt with the given arguments.
    pub fn render(&self, args: &BTreeMap<String, String>) -> Result<String, PromptError> {
        if let Some(unknown) = args
            .keys()
            .find(|k| !self.arguments.iter().any(|a| &a.name == *k))
        {
            return Err(PromptError::UnknownArgument {
                prompt: self.name.clone(),
                argument: unknown.clone(),
                known: known_names(self.arguments.iter().map(|a| a.name.as_str())),
            });
        }
        let mut values: BTreeMap<&str, String> = BTreeMap::new();
        for a in &self.arguments {
            let value = match args
                .get(&a.name)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
            {
                Some(v) => v.to_string(),
                None if a.required => {
                    return Err(PromptError::MissingArgument {
                        prompt: self.name.clone(),
                        argument: a.name.clone(),
                    });
                }
                None => a.default.clone().unwrap_or_default(),
            };
            values.insert(&a.name, value);
        }
        Ok(substitute(&self.body, &values))
    }
}

/// Replaces each `{{name}}` of `body` with its value in one pass over the template: a value
/// is never searched again, so an argument cannot inject another argument's placeholder.
fn substitute(body: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after
            .find("}}")
            .and_then(|end| values.get(&after[..end]).map(|v| (end, v)))
        {
            Some((end, value)) => {
                out.push_str(value);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// "it takes: a, b" — or "it takes no arguments"; blank names are never listed.
fn known_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.filter(|n| !n.trim().is_empty()).collect();
    if names.is_empty() {
        "it takes no arguments".to_string()
    } else {
        format!("it takes: {}", names.join(", "))
    }
}

/// All prompts, parsed once at start-up.
#[derive(Debug, Clone)]
pub struct Prompts {
    templates: Vec<PromptTemplate>,
}

impl Prompts {
    /// Parses the embedded prompt files.
    pub fn embedded() -> Result<Self, PromptError> {
        let templates = PROMPT_FILES
            .iter()
            .map(|(file, text)| PromptTemplate::parse(file, text))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { templates })
    }

    /// The `prompts/list` entries.
    pub fn list(&self) -> Vec<Prompt> {
        self.templates.iter().map(PromptTemplate::listing).collect()
    }

    /// Renders one prompt for `prompts/get`; `{{rules_digest}}` becomes the cached rules
    /// digest, or, when nothing is cached, an instruction to call `fetch_llms_txt` first.
    pub fn get(
        &self,
        name: &str,
        args: &BTreeMap<String, String>,
        digest: Option<&str>,
    ) -> Result<GetPromptResult, PromptError> {
        let t = self
            .templates
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| PromptError::Unknown(name.to_string()))?;
        let text = t.render(args)?.replace(
            "{{rules_digest}}",
            digest.map(str::trim_end).unwrap_or(NO_DIGEST),
        );
        Ok(
            GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
                .with_description(&t.description),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_prompts_parse_and_render() {
        let p = Prompts::embedded().unwrap();
        let names: Vec<_> = p.templates.iter().map(|t| t.name().to_string()).collect();
        assert!(names.contains(&"create_pipeline".to_string()));
        assert!(names.contains(&"review_pipeline".to_string()));
        let mut args = BTreeMap::new();
        args.insert("task".to_string(), "caption images".to_string());
        let r = p.get("create_pipeline", &args, None).unwrap();
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains("caption images"));
        assert!(text.contains("call `fetch_llms_txt` first"));
        let with = p.get("create_pipeline", &args, Some("- PY003: x")).unwrap();
        assert!(serde_json::to_string(&with).unwrap().contains("- PY003: x"));
        assert!(text.contains("search_models"), "default for models is used");
        assert!(!text.contains("{{"), "no placeholder left: {text}");
    }

    #[test]
    fn substitution_is_one_pass() {
        let t = PromptTemplate::parse(
            "t.md",
            "---\nname: t\ndescription: d\narguments:\n  - name: a\n    description: x\n  - name: b\n    description: y\n---\nA={{a}} B={{b}} {{other}} {{b\n",
        )
        .unwrap();
        let mut args = BTreeMap::new();
        args.insert("a".to_string(), "{{b}}".to_string());
        args.insert("b".to_string(), "{{a}}".to_string());
        assert_eq!(t.render(&args).unwrap(), "A={{b}} B={{a}} {{other}} {{b");
        let none =
            PromptTemplate::parse("n.md", "---\nname: n\ndescription: d\n---\nhi\n").unwrap();
        let err = none.render(&args).unwrap_err().to_string();
        assert!(err.contains("it takes no arguments"), "{err}");
    }

    #[test]
    fn missing_and_unknown_arguments_are_errors() {
        let p = Prompts::embedded().unwrap();
        let err = p
            .get("review_pipeline", &BTreeMap::new(), None)
            .unwrap_err();
        assert!(err.to_string().contains("`path`"));
        let mut args = BTreeMap::new();
        args.insert("nope".to_string(), "x".to_string());
        let err = p.get("review_pipeline", &args, None).unwrap_err();
        assert!(err.to_string().contains("no argument `nope`"));
        assert!(p.get("nope", &BTreeMap::new(), None).is_err());
    }
}
