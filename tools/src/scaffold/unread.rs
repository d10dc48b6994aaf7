//! Calls whose output nothing reads. Such a prediction would run, and be paid for, for
//! nothing (PY035), so each gets a placeholder statement (PY032) naming the decision: pass
//! the output on, or remove the call.

use super::emit::Expr;
use super::output::Return;
use super::plan::Pipeline;

/// The placeholder statements for calls whose output no later call and not the result read,
/// in call order (recorded in the pipeline's placeholders).
pub(crate) fn placeholders(p: &mut Pipeline<'_>, ret: &Return) -> Vec<Expr> {
    let mut lines = Vec::new();
    for i in 0..p.calls.len() {
        let call = &p.calls[i];
        let binding = &p.bindings[call.binding];
        let value = call.output.clone().unwrap_or_else(|| binding.output());
        let var = call
            .out_var
            .clone()
            .unwrap_or_else(|| binding.out_var.clone());
        let read_later = p.calls.iter().enumerate().any(|(j, c)| {
            j != i
                && (c.deps.contains(&i)
                    || c.args
                        .iter()
                        .chain(&c.when_given)
                        .any(|(_, arg)| arg.mentions(&var)))
        });
        if read_later || ret.expr.mentions(&var) {
            continue;
        }
        let text = format!(
            "use {var} ({}) or remove the {} call: nothing reads its output (to pass it to a \
             later step, send steps with a pick or join)",
            value.describe(),
            binding.reference
        );
        lines.push(p.todo_about(text, &Expr::name(var)));
    }
    lines
}
