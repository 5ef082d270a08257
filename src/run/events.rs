//! Events the runner emits and reporters consume (progress display, timings, the
//! closing summary, a future JSON stream), so execution never formats output itself.

use std::path::PathBuf;
use std::time::Duration;

use super::outcome::Outcome;

/// Position of a run: experiment index in the plan, run index in the experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RunId {
    pub experiment: usize,
    pub run: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The whole plan: each experiment's name and number of runs.
    Planned { experiments: Vec<(String, usize)> },
    /// A run whose key was already in the cache.
    Cached { id: RunId, outcome: Outcome },
    /// A stored record of this run failed its check (a checksum mismatch, a torn
    /// or foreign record); the run is recomputed and the record replaced.
    Damaged { id: RunId, path: PathBuf, reason: String },
    /// A run computed now, with how long it took (timings never enter tables).
    Finished { id: RunId, outcome: Outcome, elapsed: Duration },
    /// Every run of an experiment is done (computed, cached or skipped).
    ExperimentDone { experiment: usize },
    /// `--fail-fast` stopped the run after a failure.
    Stopped,
}

/// A consumer of runner events. The runner hands every event to each reporter of
/// its list in turn, in the order it emits them: events of computed runs come in
/// completion order, all others in plan order.
pub trait Reporter {
    fn event(&mut self, event: &Event);

    /// Called once after the last event, whether or not execution stopped on an
    /// error, so a display can close its bars.
    fn finish(&mut self) {}
}
