//! The trace as text: one row per call (`real` or `mock`, when, status, output), then its
//! inputs — whole up to [`INPUT_BUDGET`] characters per call (the longest values cut first,
//! each saying its size), on one line when they fit, else one line per input. `full` shows
//! everything uncut.

use std::fmt::Write as _;

use serde_json::Value;

use super::trace::{ModelCall, cut};

/// Characters of inputs shown per call (without `full`).
pub(crate) const INPUT_BUDGET: usize = 2_000;
/// Inputs shown on the call's own line when they fit in this many characters.
const ONE_LINE: usize = 100;

/// A readable table of the calls: who ran when (parallel calls overlap), whether each was
/// real or mocked, its result, and its inputs.
pub fn calls_table(calls: &[ModelCall]) -> String {
    calls_table_with(calls, false)
}

/// [`calls_table`]; `full` shows every input uncut.
pub fn calls_table_with(calls: &[ModelCall], full: bool) -> String {
    let mut out = String::new();
    if calls.is_empty() {
        return out;
    }
    let _ = writeln!(out, "model calls ({}):", calls.len());
    let _ = writeln!(
        out,
        "  {:<3} {:<32} {:<4} {:>8} {:>8}  {:<10} output",
        "#", "model", "mode", "start ms", "end ms", "status"
    );
    for (i, call) in calls.iter().enumerate() {
        let end = call
            .ended_ms
            .map_or_else(|| "-".to_owned(), |e| e.to_string());
        let output = match (&call.error, &call.output) {
            (Some(error), _) => {
                let one_line = error.split_whitespace().collect::<Vec<_>>().join(" ");
                format!(
                    "error: {}",
                    if full { one_line } else { cut(&one_line, 240) }
                )
            }
            (None, Some(output)) => describe(output),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "  {:<3} {:<32} {:<4} {:>8} {:>8}  {:<10} {}",
            i + 1,
            call.model,
            if call.mocked { "mock" } else { "real" },
            call.started_ms,
            end,
            call.status,
            output
        );
        out.push_str(&inputs_text(&call.inputs, full));
    }
    out
}

/// The inputs of one call: `      inputs: {…}` when short, else a line per input.
fn inputs_text(inputs: &Value, full: bool) -> String {
    let Some(map) = inputs.as_object() else {
        return format!("      inputs: {}\n", render(inputs));
    };
    if map.is_empty() {
        return "      inputs: (none)\n".to_owned();
    }
    let rendered: Vec<(&String, String)> = map.iter().map(|(k, v)| (k, render(v))).collect();
    let lengths: Vec<usize> = rendered.iter().map(|(_, v)| v.chars().count()).collect();
    let cap = if full {
        usize::MAX
    } else {
        fair_cap(&lengths, INPUT_BUDGET.saturating_sub(rendered.len() * 4))
    };
    let shown: Vec<(&String, String)> = rendered
        .into_iter()
        .map(|(k, v)| {
            let v = if v.chars().count() > cap {
                cut(&v, cap.max(20))
            } else {
                v
            };
            (k, v)
        })
        .collect();
    let row = shown
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ");
    if row.chars().count() <= ONE_LINE && !row.contains('\n') {
        return format!("      inputs: {row}\n");
    }
    let mut out = "      inputs:\n".to_owned();
    for (k, v) in shown {
        let mut lines = v.lines();
        let _ = writeln!(out, "        {k}: {}", lines.next().unwrap_or(""));
        for more in lines {
            let _ = writeln!(out, "          {more}");
        }
    }
    out
}

/// The largest per-value length such that all values cut to it fit in `budget`.
fn fair_cap(lengths: &[usize], budget: usize) -> usize {
    let total: usize = lengths.iter().sum();
    if total <= budget {
        return usize::MAX;
    }
    let mut sorted = lengths.to_vec();
    sorted.sort_unstable();
    let mut left = budget;
    for (i, len) in sorted.iter().enumerate() {
        let share = left / (sorted.len() - i);
        if *len > share {
            return share;
        }
        left -= len;
    }
    usize::MAX
}

/// One input value as text: strings as JSON strings (newlines shown as `\n`), files as
/// `name (type, N bytes)`, the rest as compact JSON.
fn render(value: &Value) -> String {
    match value {
        Value::Object(map) if map.contains_key("file") && map.contains_key("content_type") => {
            let size = map
                .get("size")
                .and_then(Value::as_u64)
                .map_or_else(|| "size unknown".to_owned(), |s| format!("{s} bytes"));
            let name = map.get("file").and_then(Value::as_str).unwrap_or("file");
            let ty = map
                .get("content_type")
                .and_then(Value::as_str)
                .unwrap_or("");
            match map.get("url").and_then(Value::as_str) {
                Some(url) => format!("{name} ({ty}, {size}) {url}"),
                None => format!("{name} ({ty}, {size})"),
            }
        }
        Value::Array(items) if items.iter().any(Value::is_object) => {
            let parts: Vec<String> = items.iter().map(render).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

fn describe(summary: &Value) -> String {
    let get = |k: &str| summary.get(k).cloned().unwrap_or(Value::Null);
    match summary.get("kind").and_then(Value::as_str) {
        Some("text") => format!(
            "text, {} chars: {:?}",
            get("length"),
            get("preview").as_str().unwrap_or("")
        ),
        Some("files") => {
            let files: Vec<String> = summary
                .get("files")
                .and_then(Value::as_array)
                .map(|fs| {
                    fs.iter()
                        .map(|f| {
                            let size = f
                                .get("size")
                                .and_then(Value::as_u64)
                                .map_or_else(String::new, |s| format!(", {s} bytes"));
                            format!(
                                "{} ({}{size})",
                                f.get("url").and_then(Value::as_str).unwrap_or(""),
                                f.get("content_type").and_then(Value::as_str).unwrap_or("")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!("{} file(s): {}", get("count"), files.join(", "))
        }
        Some("object") => format!("object with keys {}", get("keys")),
        Some("list") => format!("list of {}", get("length")),
        _ => cut(&get("value").to_string(), 80),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(inputs: Value, mocked: bool) -> ModelCall {
        let mut c = ModelCall::starting("acme/a".into(), None, mocked, inputs, 5);
        c.status = crate::run_local::RunStatus::Succeeded;
        c.ended_ms = Some(9);
        c
    }

    #[test]
    fn short_inputs_share_the_row_and_every_call_says_real_or_mock() {
        let text = calls_table(&[
            call(json!({"prompt": "a fox", "n": 2}), true),
            call(json!({}), false),
        ]);
        assert!(text.contains(" mock ") && text.contains(" real "), "{text}");
        assert!(text.contains("inputs: n=2, prompt=\"a fox\""), "{text}");
        assert!(!text.contains("(mock)"), "{text}");
    }

    #[test]
    fn long_inputs_get_a_line_each_whole_up_to_the_budget() {
        let urls: Vec<String> = (0..4)
            .map(|i| format!("https://replicate.delivery/xezq/abcdefghijklmnop/out-{i}.png"))
            .collect();
        let inputs = json!({
            "image_urls": urls,
            "prompt": "p".repeat(300),
            "file": {"file": "song.wav", "content_type": "audio/wav", "size": 44, "url": "http://x/f1"},
        });
        let text = calls_table(&[call(inputs.clone(), false)]);
        for url in &urls {
            assert!(text.contains(url.as_str()), "{text}");
        }
        assert!(text.contains(&"p".repeat(300)), "{text}");
        assert!(
            text.contains("        file: song.wav (audio/wav, 44 bytes)"),
            "{text}"
        );
        // Over the budget: the longest value is cut, saying its size; `full` shows it.
        let huge = json!({"prompt": "q".repeat(5_000), "seed": 1});
        let text = calls_table(&[call(huge.clone(), false)]);
        assert!(
            text.contains("(5002 chars)") && text.contains("seed: 1"),
            "{text}"
        );
        assert!(text.len() < 2_600, "{}", text.len());
        let full = calls_table_with(&[call(huge, false)], true);
        assert!(full.contains(&"q".repeat(5_000)), "uncut");
    }
}
