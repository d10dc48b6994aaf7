//! Progress reporting: a callback receives strictly increasing progress values.

use std::sync::{Arc, Mutex};

use serde::Serialize;

/// One progress notification.
///
/// `progress` increases strictly with every notification of a run (as MCP requires);
/// `total` is the number of stages, so `progress / total` is a rough fraction done.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Progress {
    /// A human-readable line: a stage ("installing requirements") or a log line.
    pub message: String,
    /// Increases with every notification.
    pub progress: f64,
    /// Number of stages of a run.
    pub total: Option<f64>,
}

/// Receives progress notifications. Called from async tasks: keep it cheap.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// The stages of a run, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Python = 0,
    Venv = 1,
    Install = 2,
    Start = 3,
    Predict = 4,
    Outputs = 5,
}

const STAGES: f64 = 6.0;

/// Turns stages and log lines into increasing progress values.
#[derive(Clone)]
pub(crate) struct Reporter {
    sink: Option<ProgressFn>,
    state: Arc<Mutex<(Stage, u32)>>,
}

impl Reporter {
    pub(crate) fn new(sink: Option<ProgressFn>) -> Self {
        Self {
            sink,
            state: Arc::new(Mutex::new((Stage::Python, 0))),
        }
    }

    /// Enters `stage` (never goes back) and reports `message`.
    pub(crate) fn stage(&self, stage: Stage, message: impl Into<String>) {
        let value = {
            let Ok(mut state) = self.state.lock() else {
                return;
            };
            if (stage as u8) > (state.0 as u8) {
                *state = (stage, 0);
            }
            next_value(&mut state)
        };
        self.emit(message.into(), value);
    }

    /// Reports a log line within the current stage.
    pub(crate) fn line(&self, message: impl Into<String>) {
        let value = {
            let Ok(mut state) = self.state.lock() else {
                return;
            };
            next_value(&mut state)
        };
        self.emit(message.into(), value);
    }

    fn emit(&self, message: String, progress: f64) {
        tracing::debug!(progress, "{message}");
        if let Some(sink) = &self.sink {
            sink(Progress {
                message,
                progress,
                total: Some(STAGES),
            });
        }
    }
}

/// stage + n/(n+1): 0, 1/2, 2/3, … stays below the next stage and always increases.
fn next_value(state: &mut (Stage, u32)) -> f64 {
    let n = f64::from(state.1);
    state.1 = state.1.saturating_add(1);
    f64::from(state.0 as u8) + n / (n + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_increase_strictly_across_stages_and_lines() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink_seen = seen.clone();
        let reporter = Reporter::new(Some(Arc::new(move |p: Progress| {
            sink_seen.lock().unwrap().push(p.progress)
        })));
        reporter.stage(Stage::Python, "a");
        reporter.line("b");
        reporter.line("c");
        reporter.stage(Stage::Venv, "d");
        reporter.stage(Stage::Python, "back is ignored");
        reporter.stage(Stage::Predict, "e");
        for _ in 0..50 {
            reporter.line("log");
        }
        let seen = seen.lock().unwrap();
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
        assert!(seen.iter().all(|v| *v < STAGES));
    }
}
