//! The runner's own statistics: how many runs were planned, computed, served from
//! the cache, failed, refused or hit a bug. The runner counts them from the very
//! events it sends its reporters and returns them, so the exit status is decided
//! from what ran, not from what some display happened to count.

use super::events::{Event, Reporter};
use super::outcome::{Outcome, Status};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Runs in the plan.
    pub planned: usize,
    /// Runs computed now (`Event::Finished`).
    pub computed: usize,
    /// Runs served from the cache (`Event::Cached`).
    pub cached: usize,
    /// Computed or cached runs whose method failed, internal errors included.
    pub failed: usize,
    /// Computed or cached runs the method refused (not identified its way).
    pub refused: usize,
    /// Of the failed runs, those that hit a bug of causeway's (a panic).
    pub internal: usize,
    /// Cache records that failed their check and were recomputed.
    pub damaged: usize,
    /// `--fail-fast` stopped the run after a failure.
    pub stopped: bool,
}

impl RunStats {
    /// Runs neither computed nor cached: skipped after a `--fail-fast` stop.
    pub fn skipped(&self) -> usize {
        self.planned.saturating_sub(self.computed + self.cached)
    }

    fn count(&mut self, outcome: &Outcome) {
        match outcome.status {
            Status::Ok => {}
            Status::Failed { .. } => {
                self.failed += 1;
                self.internal += usize::from(outcome.internal);
            }
            Status::Refused { .. } => self.refused += 1,
        }
    }
}

impl Reporter for RunStats {
    fn event(&mut self, event: &Event) {
        match event {
            Event::Planned { experiments } => self.planned = experiments.iter().map(|(_, n)| n).sum(),
            Event::Cached { outcome, .. } => {
                self.cached += 1;
                self.count(outcome);
            }
            Event::Finished { outcome, .. } => {
                self.computed += 1;
                self.count(outcome);
            }
            Event::Damaged { .. } => self.damaged += 1,
            Event::ExperimentDone { .. } => {}
            Event::Stopped => self.stopped = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::run::events::RunId;

    fn id(run: usize) -> RunId {
        RunId { experiment: 0, run }
    }

    #[test]
    fn counts_each_kind_of_run_once() {
        let finished = |run, outcome| Event::Finished { id: id(run), outcome, elapsed: Duration::from_millis(3) };
        let events = [
            Event::Planned { experiments: vec![("a".into(), 4), ("b".into(), 3)] },
            Event::Cached { id: id(0), outcome: Outcome::refused("k0", "no backdoor set") },
            Event::Damaged { id: id(1), path: PathBuf::from("runs/k1.json"), reason: "torn".into() },
            finished(1, Outcome::failed("k1", "singular design")),
            Event::Stopped,
            finished(2, Outcome::internal("k2", "index out of bounds")),
            finished(3, Outcome::finished("k3", vec![("ate".into(), Some(2.0))], vec![], String::new())),
            Event::ExperimentDone { experiment: 0 },
        ];
        let mut stats = RunStats::default();
        for e in &events {
            stats.event(e);
        }
        let expected = RunStats {
            planned: 7,
            computed: 3,
            cached: 1,
            failed: 2,
            refused: 1,
            internal: 1,
            damaged: 1,
            stopped: true,
        };
        assert_eq!(stats, expected);
        assert_eq!(stats.skipped(), 3);
    }
}
