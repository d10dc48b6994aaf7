use crate::validate::rule::{Context, Finding, Findings, declare_rule};
use crate::validate::rules::helpers::calls_with_schema;

declare_rule! {
    /// ## What it does
    /// Flags a call of a `use()`d model with no keyword arguments while its fetched schema
    /// has inputs. That is a call with no arguments at all, or with positional arguments
    /// only (`use()` sends keyword arguments as the inputs; positional ones never reach the
    /// model); the message names what the model will silently run on (the defaults of its
    /// inputs). Calls that pass
    /// `**kwargs` are left alone; required inputs a call without arguments lacks are PY018's.
    ///
    /// ## Why is this bad?
    /// The call succeeds and the model runs on its own defaults, e.g. its example prompt:
    /// the pipeline returns a plausible result that has nothing to do with its inputs.
    ///
    /// ## Example
    /// ```python
    /// def run(prompt: str) -> Path:
    ///     return flux()[0]
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def run(prompt: str) -> Path:
    ///     return flux(prompt=prompt)[0]
    /// ```
    pub(crate) static PY030 = {
        code: "PY030",
        name: "model-call-without-inputs",
        severity: Warning,
        cites: ["replicate-python-library"],
        check: check,
    };
}

/// How many defaults the message spells out.
const SHOWN: usize = 3;

fn check(ctx: &Context<'_>, out: &mut Findings) {
    for (call, model, schema) in calls_with_schema(ctx) {
        if call.has_splat || !call.keywords.is_empty() || schema.inputs.is_empty() {
            continue;
        }
        let first = schema.inputs.first().map_or("prompt", |i| i.name.as_str());
        if call.positional > 0 {
            out.push(Finding::new(
                ctx.py_at(call.span),
                format!(
                    "`{model}` is called with positional arguments only: `replicate.use()` sends \
                     keyword arguments as the model's inputs, so the model receives none"
                ),
                format!("Name each input, e.g. `{}({first}=...)`", call.binding),
            ));
            continue;
        }
        let defaults: Vec<String> = schema
            .inputs
            .iter()
            .filter_map(|i| {
                i.default
                    .as_ref()
                    .map(|d| format!("`{}` = {}", i.name, short(d)))
            })
            .collect();
        if defaults.is_empty() {
            continue; // only required inputs without defaults: the call fails, PY018 says so
        }
        let silently = {
            let more = defaults.len().saturating_sub(SHOWN);
            let mut text = format!(
                "the default{} of {}",
                if defaults.len() == 1 { "" } else { "s" },
                defaults[..defaults.len().min(SHOWN)].join(", ")
            );
            if more > 0 {
                text.push_str(&format!(" and {more} more"));
            }
            text
        };
        out.push(Finding::new(
            ctx.py_at(call.span),
            format!("`{model}` is called with no inputs: it will silently run on {silently}"),
            format!(
                "Pass the inputs the pipeline means as keyword arguments, e.g. \
                 `{}({first}=...)`",
                call.binding
            ),
        ));
    }
}

/// A default as JSON, cut to a readable length.
fn short(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 60 {
        return text;
    }
    let cut: String = text.chars().take(57).collect();
    format!("{cut}…")
}
