//! Filling the templates: `cog.yaml`, `requirements.txt`, `main.py`, `README.md`.

use pipelines_docs_cache::Rulebook;

use super::error::ScaffoldError;
use super::inputs::Param;
use super::output::{Imports, Return};
use super::plan::{GIVEN_HELPER, Pipeline};
use super::python;
use super::render::{self, render};
use super::types::{PyType, Scalar};

/// The pipeline's display name: `name`, else the directory's name, else `pipeline`.
pub(crate) fn display_name(name: Option<&str>, path: Option<&str>) -> String {
    let from_path = path.and_then(|p| {
        std::path::Path::new(p)
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
    });
    name.map(python::one_line)
        .filter(|n| !n.is_empty())
        .or(from_path)
        .unwrap_or_else(|| "pipeline".to_string())
}

/// `cog.yaml`.
pub(crate) fn cog_yaml(name: &str, rulebook: &Rulebook) -> Result<String, ScaffoldError> {
    let python_version = rulebook
        .python_version
        .as_ref()
        .map(|v| v.value.trim())
        .filter(|v| !v.is_empty())
        .map(|v| format!("python_version: {}", python::string(v)))
        .unwrap_or_default();
    render(
        &render::COG_YAML,
        &[("name", name), ("python_version", &python_version)],
    )
}

/// `requirements.txt` with the Rulebook's specifiers.
pub(crate) fn requirements(rulebook: &Rulebook) -> Result<String, ScaffoldError> {
    let spec = |s: &str| s.split_whitespace().collect::<String>();
    render(
        &render::REQUIREMENTS,
        &[
            ("section", &rulebook.cog_requirement.source.section),
            ("cog_specifier", &spec(&rulebook.cog_requirement.value)),
            (
                "replicate_specifier",
                &spec(&rulebook.replicate_requirement.value),
            ),
        ],
    )
}

/// `main.py`.
pub(crate) fn main_py(
    name: &str,
    description: &str,
    p: &Pipeline<'_>,
    ret: &Return,
    imports: &Imports,
) -> Result<String, ScaffoldError> {
    let mut cog = imports.cog.clone();
    if !p.params.is_empty() {
        cog.insert("Input");
    }
    for param in &p.params {
        if let Some(name) = param.ty.ty.cog_import() {
            cog.insert(name);
        }
    }
    let body = body_lines(p, ret);
    let mut import_lines = Vec::new();
    if !p.bindings.is_empty() {
        import_lines.push("import replicate".to_string());
    }
    if !cog.is_empty() {
        let names: Vec<&str> = cog.iter().copied().collect();
        import_lines.push(format!("from cog import {}", names.join(", ")));
    }
    if body.iter().any(|l| l.contains("get_path_url(")) {
        import_lines.push("from replicate import get_path_url".to_string());
    }

    let mut bindings = Vec::new();
    for b in &p.bindings {
        let usage = python::one_line(&b.schema.output.usage);
        let comment = if usage.is_empty() {
            format!(
                "# {} returns {}.",
                crate::schema::ModelRef::model_of(&b.reference),
                b.schema.output.python_type
            )
        } else {
            format!(
                "# {}: {usage}",
                crate::schema::ModelRef::model_of(&b.reference)
            )
        };
        bindings.extend(wrap_comment(&comment, 88));
        bindings.push(format!(
            "{} = replicate.use({})",
            b.ident,
            python::string(&b.reference)
        ));
    }

    let mut helpers = Vec::new();
    if p.calls.iter().any(|c| !c.when_given.is_empty()) {
        helpers.push(render(&render::GIVEN_HELPER, &[("name", GIVEN_HELPER)])?);
    }
    if !p.placeholders.is_empty() {
        helpers.push(render(&render::TODO_HELPER, &[])?);
    }
    let helpers = helpers.join("\n\n");

    let output_class = if ret.output_fields.is_empty() {
        String::new()
    } else {
        let fields: Vec<String> = ret
            .output_fields
            .iter()
            .map(|(n, t)| format!("{n}: {t}"))
            .collect();
        render(&render::OUTPUT_CLASS, &[("fields", &fields.join("\n"))])?
    };

    let params = if p.params.is_empty() {
        String::new()
    } else {
        let lines: Vec<String> = p
            .params
            .iter()
            .map(|param| indent(&format!("{},", param.render()), "    "))
            .collect();
        format!("\n{}\n", lines.join("\n"))
    };

    render(
        &render::MAIN_PY,
        &[
            ("title", &python::docstring_text(name)),
            ("description", &python::docstring_text(description)),
            ("imports", &import_lines.join("\n")),
            ("bindings", &bindings.join("\n")),
            ("helpers", &helpers),
            ("output_class", &output_class),
            ("params", &params),
            ("return_type", &ret.annotation),
            ("body", &body.join("\n")),
        ],
    )
}

/// The lines of `run()`'s body: the calls, independent ones started together, then the
/// return.
fn body_lines(p: &Pipeline<'_>, ret: &Return) -> Vec<String> {
    let mut body = Vec::new();
    for wave in super::emit::waves(p) {
        body.extend(super::emit::wave_lines(p, &wave, &p.predictions));
    }
    body.extend(p.unread.iter().cloned());
    body.push(format!("return {}", ret.expr));
    body
}

/// `README.md`.
pub(crate) fn readme(
    name: &str,
    description: &str,
    p: &Pipeline<'_>,
    ret: &Return,
) -> Result<String, ScaffoldError> {
    let models: Vec<String> = p
        .bindings
        .iter()
        .map(|b| format!("`{}`", b.reference))
        .collect();
    let summary = match models.len() {
        0 => format!("returns `{}`; it calls no model yet.", ret.annotation),
        _ => format!(
            "calls {} and returns `{}`.",
            models.join(", then "),
            ret.annotation
        ),
    };
    let inputs = if p.params.is_empty() {
        "None.".to_string()
    } else {
        p.params
            .iter()
            .map(input_line)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let output = if ret.output_fields.is_empty() {
        format!("`{}`.", ret.annotation)
    } else {
        let fields: Vec<String> = ret
            .output_fields
            .iter()
            .map(|(n, t)| format!("- `{n}` (`{t}`)"))
            .collect();
        format!("An `Output` object with:\n\n{}", fields.join("\n"))
    };
    let run_args: String = p
        .params
        .iter()
        .filter(|param| param.is_required())
        .map(|param| format!(" -i {}", example_arg(param)))
        .collect();
    render(
        &render::README,
        &[
            ("name", name),
            ("description", description),
            ("summary", &summary),
            ("inputs", &inputs),
            ("output", &output),
            ("run_args", &run_args),
        ],
    )
}

fn input_line(param: &Param) -> String {
    let mut facts = vec![format!("`{}`", param.ty.render())];
    if param.is_required() {
        facts.push("required".to_string());
    } else if let Some(d) = &param.default {
        facts.push(format!("default `{d}`"));
    }
    let int = matches!(param.ty.ty, PyType::Scalar(Scalar::Int));
    match (
        param.ge.and_then(|v| python::number(v, int)),
        param.le.and_then(|v| python::number(v, int)),
    ) {
        (Some(ge), Some(le)) => facts.push(format!("{ge} to {le}")),
        (Some(ge), None) => facts.push(format!("at least {ge}")),
        (None, Some(le)) => facts.push(format!("at most {le}")),
        (None, None) => {}
    }
    if let Some(c) = &param.choices {
        let c: Vec<String> = c.iter().map(|v| format!("`{v}`")).collect();
        facts.push(format!("one of {}", c.join(", ")));
    }
    format!(
        "- `{}` ({}): {}",
        param.name,
        facts.join(", "),
        param.description
    )
}

/// `name=value` for `mcp-pipelines run -i`.
fn example_arg(param: &Param) -> String {
    let value = match (&param.choices, &param.ty.ty) {
        (Some(c), _) if !c.is_empty() => match &c[0] {
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        },
        (_, PyType::Scalar(Scalar::Path) | PyType::List(Scalar::Path)) => {
            let words = format!("{} {}", param.name, param.description).to_ascii_lowercase();
            match super::output::kind_of_words(&words) {
                "audio" => "@input.wav",
                "video" => "@input.mp4",
                "file" if !words.contains("file") => "@input.png",
                "file" => "@input.txt",
                _ => "@input.png",
            }
            .to_string()
        }
        (_, PyType::Scalar(Scalar::Int)) => param.ge.map_or(1, |g| g.ceil() as i64).to_string(),
        (_, PyType::Scalar(Scalar::Float)) => param.ge.map_or(1.0, |g| g).to_string(),
        (_, PyType::Scalar(Scalar::Bool)) => "true".to_string(),
        _ => format!("your {}", param.name.replace('_', " ")),
    };
    if value
        .chars()
        .any(|c| c.is_whitespace() || "\"'$`\\".contains(c))
    {
        format!(
            "{}=\"{}\"",
            param.name,
            value.replace(['"', '\\', '$', '`'], "")
        )
    } else {
        format!("{}={value}", param.name)
    }
}

/// A `# ...` comment wrapped at `width` columns.
fn wrap_comment(text: &str, width: usize) -> Vec<String> {
    let body = text.trim_start_matches('#').trim();
    let mut lines = Vec::new();
    let mut line = String::from("#");
    for word in body.split_whitespace() {
        if line.len() > 1 && line.len() + 1 + word.len() > width {
            lines.push(std::mem::replace(&mut line, String::from("#")));
        }
        line.push(' ');
        line.push_str(word);
    }
    lines.push(line);
    lines
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{prefix}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
