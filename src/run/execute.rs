//! Parallel execution: look every run up in the cache, compute the rest on the
//! shared worker pool (one libtorch thread per worker), stream events to the caller.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use super::RunError;
use super::cache::{Cache, Lookup};
use super::events::{Event, RunId};
use super::executor::Executor;
use super::outcome::Outcome;
use super::pipeline::{Prepared, execute_run};

#[derive(Debug, Clone)]
pub struct ExecOptions {
    pub jobs: usize,
    pub fail_fast: bool,
}

/// Execute every run of `experiments`, emitting events in completion order.
/// Returns each experiment's outcomes in plan order (`None` for runs skipped
/// after a `--fail-fast` stop).
pub fn execute(
    experiments: &[Prepared],
    cache: &Cache,
    opts: &ExecOptions,
    sink: &mut dyn FnMut(&Event),
) -> Result<Vec<Vec<Option<Outcome>>>, RunError> {
    sink(&Event::Planned {
        experiments: experiments.iter().map(|p| (p.experiment.name.clone(), p.runs.len())).collect(),
    });
    let mut results: Vec<Vec<Option<Outcome>>> = experiments.iter().map(|p| vec![None; p.runs.len()]).collect();
    let mut pending = Vec::new();
    for (e, prepared) in experiments.iter().enumerate() {
        for (r, run) in prepared.runs.iter().enumerate() {
            let id = RunId { experiment: e, run: r };
            match cache.lookup(&run.key) {
                Lookup::Hit(outcome) => {
                    results[e][r] = Some(outcome.clone());
                    sink(&Event::Cached { id, outcome });
                }
                Lookup::Missing => pending.push(id),
                Lookup::Damaged { path, reason } => {
                    sink(&Event::Damaged { id, path, reason });
                    pending.push(id);
                }
            }
        }
    }
    let mut remaining: Vec<usize> =
        experiments.iter().enumerate().map(|(e, _)| pending.iter().filter(|id| id.experiment == e).count()).collect();
    for (e, &left) in remaining.iter().enumerate() {
        if left == 0 {
            sink(&Event::ExperimentDone { experiment: e });
        }
    }
    if pending.is_empty() {
        return Ok(results);
    }
    let executor = Executor::new(opts.jobs)?;
    // Set by the first error or the first `--fail-fast` failure, whichever comes
    // first: only a failure that stops the sweep itself announces the stop.
    let mut halted = false;
    let mut first_error = None;
    let work = |id: &RunId| -> Result<(Outcome, Duration), RunError> {
        let start = Instant::now();
        let prepared = &experiments[id.experiment];
        let outcome = execute_run(prepared, &prepared.runs[id.run]);
        // An internal error is a bug of ours, not a property of the inputs:
        // storing it would keep serving it after the fix.
        let stored = if outcome.internal { Ok(()) } else { cache.put(&outcome) };
        stored.map(|()| (outcome, start.elapsed()))
    };
    executor.for_each(&pending, work, |i, result| {
        let (outcome, elapsed) = match result {
            Ok(done) => done,
            Err(e) => {
                halted = true;
                first_error.get_or_insert(e);
                return ControlFlow::Break(());
            }
        };
        let id = pending[i];
        let stop = opts.fail_fast && outcome.is_failed() && !halted;
        if stop {
            halted = true;
            sink(&Event::Stopped);
        }
        results[id.experiment][id.run] = Some(outcome.clone());
        sink(&Event::Finished { id, outcome, elapsed });
        remaining[id.experiment] -= 1;
        if remaining[id.experiment] == 0 {
            sink(&Event::ExperimentDone { experiment: id.experiment });
        }
        if halted { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    match first_error {
        Some(e) => Err(e),
        None => Ok(results),
    }
}
