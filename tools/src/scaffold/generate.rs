//! Filling the templates: `cog.yaml`, `requirements.txt`, `main.py`, `README.md`.

use pipelines_docs_cache::Rulebook;

use super::emit::Sym;
use super::emit::python;
use super::error::ScaffoldError;
use super::inputs::Param;
use super::output::Return;
use super::plan::Pipeline;
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

/// `main.py`: the emitter's sections in the template.
pub(crate) fn main_py(
    name: &str,
    description: &str,
    p: &Pipeline<'_>,
    ret: &Return,
) -> Result<String, ScaffoldError> {
    let s = super::emit::module::sections(p, ret);
    let mut helpers = Vec::new();
    if s.uses_given {
        helpers.push(render(
            &render::GIVEN_HELPER,
            &[("name", Sym::Given.name())],
        )?);
    }
    if s.uses_todo {
        helpers.push(render(&render::TODO_HELPER, &[])?);
    }
    let output_class = if s.output_fields.is_empty() {
        String::new()
    } else {
        render(
            &render::OUTPUT_CLASS,
            &[("fields", &s.output_fields.join("\n"))],
        )?
    };
    render(
        &render::MAIN_PY,
        &[
            ("title", &python::docstring_text(name)),
            ("description", &python::docstring_text(description)),
            ("imports", &s.imports),
            ("bindings", &s.bindings),
            ("helpers", &helpers.join("\n\n")),
            ("output_class", &output_class),
            ("params", &s.params),
            ("return_type", &s.return_type),
            ("body", &s.body),
        ],
    )
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
        0 => format!(
            "returns `{}`; it calls no model yet.",
            ret.annotation.render()
        ),
        _ => format!(
            "calls {} and returns `{}`.",
            models.join(", then "),
            ret.annotation.render()
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
        format!("`{}`.", ret.annotation.render())
    } else {
        let fields: Vec<String> = ret
            .output_fields
            .iter()
            .map(|(n, t)| format!("- `{n}` (`{}`)", t.render()))
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
