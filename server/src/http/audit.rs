//! Audit lines: one structured log line per tool call on a host (target `audit`, level
//! INFO): who (the token's `sub`, or `static-token-N` for the N-th static token, or
//! `anonymous` without auth), which tool, the outcome and the duration. Never the token,
//! the arguments or file contents.

use std::time::Duration;

use super::auth::Principal;

fn subject(principal: Option<&Principal>) -> &str {
    principal.map_or("anonymous", |p| &p.subject)
}

/// A tool call that was answered (`outcome`: ok, tool_error, rpc_error, http_error).
pub fn tool_call(principal: Option<&Principal>, tool: &str, outcome: &str, duration: Duration) {
    tracing::info!(
        target: "audit",
        subject = subject(principal),
        tool = %truncate(tool),
        outcome,
        duration_ms = duration.as_secs_f64() * 1000.0,
        "tool call"
    );
}

/// A tool call refused before it ran (`reason`: insufficient_scope, queue_full, ...).
pub fn refused(principal: Option<&Principal>, tool: &str, reason: &str) {
    tracing::info!(
        target: "audit",
        subject = subject(principal),
        tool = %truncate(tool),
        outcome = "refused",
        reason,
        duration_ms = 0.0,
        "tool call"
    );
}

/// A client-supplied tool name, cut to a sane length for the log.
fn truncate(tool: &str) -> String {
    tool.chars().take(64).filter(|c| !c.is_control()).collect()
}
