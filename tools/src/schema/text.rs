//! A model's schema as readable text, in two levels of detail: `full` (the signature with
//! choices and bounds, each input's description, the output's whole shape, the model's
//! example, the typing hint on request) and
//! `brief` (the signature with choices and bounds inline, the output's shape in a line).

use serde_json::Value;

use super::python;
use super::types::{InputParam, ModelSchema};

/// Example JSON longer than this is cut in the text (the structured result keeps it).
const MAX_EXAMPLE_TEXT: usize = 1200;

fn number(n: f64) -> String {
    format!("{n}")
}

/// An input's description, the one thing the signature does not show.
fn input_line(input: &InputParam) -> Option<String> {
    input
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| format!("- {}: {d}", input.name))
}

/// `name: T = default` with choices (`{a|b}`) and bounds (`[0..100]`) inline.
fn brief_param(input: &InputParam) -> String {
    let mut out = format!("{}: {}", input.name, input.python_type);
    match &input.default {
        Some(d) => out.push_str(&format!("={}", short_literal(d))),
        None if input.required => {}
        None => out.push_str("=None"),
    }
    if let Some(choices) = &input.choices {
        let listed: Vec<String> = choices.iter().map(short_literal).collect();
        out.push_str(&format!(" {{{}}}", listed.join("|")));
    }
    match (input.minimum, input.maximum) {
        (None, None) => {}
        (min, max) => out.push_str(&format!(
            " [{}..{}]",
            min.map(number).unwrap_or_default(),
            max.map(number).unwrap_or_default()
        )),
    }
    out
}

/// A literal, long strings cut.
fn short_literal(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() > 40 => {
            let kept: String = s.chars().take(37).collect();
            python::literal(&Value::String(format!("{kept}…")))
        }
        other => python::literal(other),
    }
}

impl ModelSchema {
    fn head(&self) -> String {
        let version = match &self.version {
            Some(v) => format!("version {v}"),
            None => "versionless: call it as owner/name, without a version".to_owned(),
        };
        let origin = if self.from_cache { ", from cache" } else { "" };
        format!(
            "{} ({version}; fetched {}{origin})",
            self.model, self.fetched_at
        )
    }

    fn variable(&self) -> String {
        python::identifier(self.model.rsplit('/').next().unwrap_or(&self.model))
    }

    fn bind_line(&self) -> String {
        format!(
            "{} = replicate.use({})",
            self.variable(),
            python::literal(&Value::String(self.model.clone()))
        )
    }

    /// The output's shape as indented lines reading each part from `output`, when it has
    /// structure beyond its type.
    fn shape_lines(&self) -> Vec<String> {
        match &self.output.shape {
            Some(shape) if shape.is_nested() => shape
                .lines("output")
                .into_iter()
                .map(|l| format!("  {l}"))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Readable text: the signature with every input's type, default, choices and bounds,
    /// the inputs' descriptions, the output's whole shape, the model's example and the
    /// binding; the optional typing hint only when `with_hint`.
    pub fn to_text(&self) -> String {
        self.to_text_with(true)
    }

    /// [`ModelSchema::to_text`], with or without the typing hint.
    pub fn to_text_with(&self, with_hint: bool) -> String {
        let signature = python::annotated_signature(
            self.model.rsplit('/').next().unwrap_or(&self.model),
            &self.inputs,
            &self.output,
            number,
        );
        let mut out = format!("{}\n\n{signature}\n", self.head());
        let described: Vec<String> = self.inputs.iter().filter_map(input_line).collect();
        if !described.is_empty() {
            out.push_str(&format!("\nInputs:\n{}\n", described.join("\n")));
        }
        out.push_str(&format!(
            "\nOutput: {} — {}\n",
            self.output.python_type, self.output.usage
        ));
        for line in self.shape_lines() {
            out.push_str(&line);
            out.push('\n');
        }
        if let Some(example) = &self.example {
            let cut = if example.cut {
                " (long values cut)"
            } else {
                ""
            };
            out.push_str(&format!(
                "\nThe model's example{cut}:\n  input: {}\n  output: {}\n",
                example_json(&example.input),
                example_json(&example.output)
            ));
        }
        out.push_str(&format!(
            "\nBind it at module scope:\n{}\n",
            self.bind_line()
        ));
        if with_hint && !self.hint.is_empty() {
            out.push_str(&format!(
                "\nOptional typing help (use() works without it; pass hint={} for type \
                 checking):\n{}\n",
                python::hint_name(self.model.rsplit('/').next().unwrap_or(&self.model)),
                self.hint,
            ));
        }
        out
    }

    /// Compact text: the signature with choices and bounds inline, the output's whole
    /// shape in a line, the binding.
    pub fn to_brief(&self) -> String {
        let params: Vec<String> = self.inputs.iter().map(brief_param).collect();
        let output = self
            .output
            .shape
            .as_ref()
            .map(|s| s.compact())
            .filter(|c| c != &self.output.python_type)
            .map(|c| format!("\n  shape: {c}"))
            .unwrap_or_default();
        format!(
            "{}\n{}({}) -> {}\n  output: {}{output}\n  {}\n",
            self.head(),
            self.variable(),
            params.join(", "),
            self.output.python_type,
            self.output.usage,
            self.bind_line(),
        )
    }
}

fn example_json(value: &Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    if text.chars().count() <= MAX_EXAMPLE_TEXT {
        return text;
    }
    let kept: String = text.chars().take(MAX_EXAMPLE_TEXT).collect();
    format!("{kept}… (cut; the structured result has more)")
}
