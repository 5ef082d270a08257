//! Executing a plan: look every run up in the cache, compute the rest on the
//! shared worker pool in packs (`pack.rs`: runs whose networks train together;
//! a pack of one for every other run), and send each event to every reporter of the caller's list
//! (progress display, timings, the closing summary), after counting it in the
//! runner's own statistics. Those statistics are returned with the outcomes, and
//! the exit status is decided from them, never from what a reporter counted.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use super::RunError;
use super::cache::{Cache, Lookup};
use super::events::{Event, Reporter, RunId};
use super::executor::Executor;
use super::outcome::Outcome;
use super::pack::{compute_pack, packs};
use super::pipeline::Prepared;
use super::stats::RunStats;
use crate::estimate::neural::pack::PackLimit;

#[derive(Debug, Clone)]
pub struct ExecOptions {
    pub jobs: usize,
    pub fail_fast: bool,
    /// How large a pack of runs whose networks train together may grow: runs
    /// (1: one at a time) and the networks' estimated memory.
    pub pack: PackLimit,
}

/// What an execution leaves behind.
#[derive(Debug)]
pub struct Executed {
    /// Each experiment's outcomes in plan order (`None` for runs skipped after a
    /// `--fail-fast` stop).
    pub outcomes: Vec<Vec<Option<Outcome>>>,
    pub stats: RunStats,
}

/// Execute every run of `experiments`, sending events to each of `reporters` in
/// turn (computed runs in completion order). Every reporter's `finish` is called
/// once at the end, also when an error stops execution.
pub fn execute(
    experiments: &[Prepared],
    cache: &Cache,
    opts: &ExecOptions,
    reporters: &mut [&mut dyn Reporter],
) -> Result<Executed, RunError> {
    execute_with(experiments, cache, opts, reporters, &compute_pack)
}

/// How one pack of runs is computed (one outcome per run, in the pack's order,
/// given the largest pack): `compute_pack`, or in tests a stand-in that fails,
/// refuses or panics on demand without training anything.
type Compute = dyn Fn(&[Prepared], &[RunId], PackLimit) -> Vec<Outcome> + Sync;

fn execute_with(
    experiments: &[Prepared],
    cache: &Cache,
    opts: &ExecOptions,
    reporters: &mut [&mut dyn Reporter],
    compute: &Compute,
) -> Result<Executed, RunError> {
    let mut emitter = Emitter { stats: RunStats::default(), reporters };
    let outcomes = execute_plan(experiments, cache, opts, &mut emitter, compute);
    for reporter in emitter.reporters.iter_mut() {
        reporter.finish();
    }
    Ok(Executed { outcomes: outcomes?, stats: emitter.stats })
}

/// The runner's statistics and the caller's reporters, fed every event alike.
struct Emitter<'a, 'r> {
    stats: RunStats,
    reporters: &'a mut [&'r mut dyn Reporter],
}

impl Emitter<'_, '_> {
    fn emit(&mut self, event: Event) {
        self.stats.event(&event);
        for reporter in self.reporters.iter_mut() {
            reporter.event(&event);
        }
    }
}

fn execute_plan(
    experiments: &[Prepared],
    cache: &Cache,
    opts: &ExecOptions,
    emitter: &mut Emitter<'_, '_>,
    compute: &Compute,
) -> Result<Vec<Vec<Option<Outcome>>>, RunError> {
    emitter.emit(Event::Planned {
        experiments: experiments.iter().map(|p| (p.experiment.name.clone(), p.runs.len())).collect(),
    });
    let mut results: Vec<Vec<Option<Outcome>>> = experiments.iter().map(|p| vec![None; p.runs.len()]).collect();
    let mut pending = Vec::new();
    // A run that two experiments share (the same key, so the same inputs and the
    // same bytes, such as the replications one paper's table borrows from
    // another's) is computed once: the first to need it leads, and the others
    // follow, taking its outcome as from the store when it finishes.
    let mut leaders: HashMap<&str, RunId> = HashMap::new();
    let mut followers: HashMap<RunId, Vec<RunId>> = HashMap::new();
    for (e, prepared) in experiments.iter().enumerate() {
        for (r, run) in prepared.runs.iter().enumerate() {
            let id = RunId { experiment: e, run: r };
            if let Some(leader) = leaders.get(run.key.as_str()) {
                followers.entry(*leader).or_default().push(id);
                continue;
            }
            match cache.lookup(&run.key) {
                Lookup::Hit(outcome) => {
                    results[e][r] = Some(outcome.clone());
                    emitter.emit(Event::Cached { id, outcome });
                }
                Lookup::Missing => {
                    leaders.insert(&run.key, id);
                    pending.push(id);
                }
                Lookup::Damaged { path, reason } => {
                    emitter.emit(Event::Damaged { id, path, reason });
                    leaders.insert(&run.key, id);
                    pending.push(id);
                }
            }
        }
    }
    let mut remaining = vec![0usize; experiments.len()];
    for id in pending.iter().chain(followers.values().flatten()) {
        remaining[id.experiment] += 1;
    }
    for (e, &left) in remaining.iter().enumerate() {
        if left == 0 {
            emitter.emit(Event::ExperimentDone { experiment: e });
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
    let items = packs(experiments, &pending, opts.pack.members, opts.jobs);
    let work = |pack: &Vec<RunId>| -> Result<(Vec<Outcome>, Duration), RunError> {
        let start = Instant::now();
        let outcomes = compute(experiments, pack, opts.pack);
        for outcome in &outcomes {
            // An internal error is a bug of ours, not a property of the inputs:
            // storing it would keep serving it after the fix.
            if !outcome.internal {
                cache.put(outcome)?;
            }
        }
        // A pack's members share its time equally (they trained together).
        Ok((outcomes, start.elapsed() / pack.len().max(1) as u32))
    };
    executor.for_each(&items, work, |i, result| {
        let (outcomes, elapsed) = match result {
            Ok(done) => done,
            Err(e) => {
                halted = true;
                first_error.get_or_insert(e);
                return ControlFlow::Break(());
            }
        };
        for (&id, outcome) in items[i].iter().zip(outcomes) {
            let stop = opts.fail_fast && outcome.is_failed() && !halted;
            if stop {
                halted = true;
                emitter.emit(Event::Stopped);
            }
            results[id.experiment][id.run] = Some(outcome.clone());
            // The runs that followed this one take its outcome, as from the store.
            let shared = followers.get(&id).map_or(&[][..], Vec::as_slice);
            emitter.emit(Event::Finished { id, outcome: outcome.clone(), elapsed });
            for done in std::iter::once(id).chain(shared.iter().copied()) {
                if done != id {
                    results[done.experiment][done.run] = Some(outcome.clone());
                    emitter.emit(Event::Cached { id: done, outcome: outcome.clone() });
                }
                remaining[done.experiment] -= 1;
                if remaining[done.experiment] == 0 {
                    emitter.emit(Event::ExperimentDone { experiment: done.experiment });
                }
            }
        }
        if halted { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    match first_error {
        Some(e) => Err(e),
        None => Ok(results),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::run::pipeline::{contained, prepared_from_yaml};
    use crate::run::plan::Run;

    /// `fake` for every run of a pack.
    fn fakes(experiments: &[Prepared], pack: &[RunId], _: PackLimit) -> Vec<Outcome> {
        pack.iter().map(|id| fake(&experiments[id.experiment], &experiments[id.experiment].runs[id.run])).collect()
    }

    /// Three replications of two estimators: runs r0/naive, r0/ols, ..., r2/ols.
    fn experiment(name: &str, seed: u64) -> Prepared {
        let yaml = format!(
            "name: {name}\nseed: {seed}\nreplications: 3\nparams: {{ n: 50 }}\ndataset:\n  simulate:\n    n: $n\n    \
             equations:\n      x: normal(0, 1)\n      t: bernoulli(sigmoid(x))\n      y: 2 * t + x + normal(0, 1)\n    \
             treatment: t\n    outcome: y\nestimators: [naive, ols]\nmetrics: [ate]\n"
        );
        prepared_from_yaml(&yaml)
    }

    fn ok(run: &Run) -> Outcome {
        Outcome::finished(&run.key, vec![("ate".into(), Some(2.0))], vec![], String::new())
    }

    /// Stands in for `compute_outcome`: r0/ols fails, r1/naive is refused, r1/ols
    /// panics like a bug would, every other run succeeds; runs after r0 take a
    /// while, so that a `--fail-fast` stop comes before they are all started.
    fn fake(_: &Prepared, run: &Run) -> Outcome {
        if !run.label.starts_with("r0/") {
            std::thread::sleep(Duration::from_millis(30));
        }
        contained(&run.key, || match run.label.as_str() {
            "r0/ols" => Outcome::failed(&run.key, "singular design"),
            "r1/naive" => Outcome::refused(&run.key, "no backdoor set"),
            "r1/ols" => panic!("index out of bounds in a fake estimator"),
            _ => ok(run),
        })
    }

    #[derive(Default)]
    struct Recorder {
        events: Vec<Event>,
        finished: usize,
    }

    impl Reporter for Recorder {
        fn event(&mut self, event: &Event) {
            assert_eq!(self.finished, 0, "an event after finish: {event:?}");
            self.events.push(event.clone());
        }

        fn finish(&mut self) {
            self.finished += 1;
        }
    }

    fn counted(events: &[Event]) -> RunStats {
        let mut stats = RunStats::default();
        events.iter().for_each(|e| stats.event(e));
        stats
    }

    fn id(experiment: usize, run: usize) -> RunId {
        RunId { experiment, run }
    }

    #[test]
    fn every_reporter_sees_every_event_in_order_and_the_statistics_match_them() {
        let store = tempfile::tempdir().unwrap();
        let cache = Cache::new(store.path());
        let experiments = [experiment("a", 1), experiment("b", 2)];
        let (a, b) = (&experiments[0].runs, &experiments[1].runs);
        // a's r0/naive is stored, its r2/naive record is damaged; every run of b is stored.
        cache.put(&ok(&a[0])).unwrap();
        std::fs::create_dir_all(cache.record_path(&a[4].key).parent().unwrap()).unwrap();
        std::fs::write(cache.record_path(&a[4].key), "{ torn").unwrap();
        b.iter().for_each(|run| cache.put(&ok(run)).unwrap());

        let (mut first, mut second) = (Recorder::default(), Recorder::default());
        let opts = ExecOptions { jobs: 2, fail_fast: false, pack: PackLimit::ALONE };
        let executed = execute_with(&experiments, &cache, &opts, &mut [&mut first, &mut second], &fakes).unwrap();

        assert_eq!(first.events, second.events);
        assert_eq!((first.finished, second.finished), (1, 1));
        let events = &first.events;
        assert_eq!(events[0], Event::Planned { experiments: vec![("a".into(), 6), ("b".into(), 6)] });
        // Lookups in plan order, then b (all cached) is done before anything is computed.
        assert_eq!(events[1], Event::Cached { id: id(0, 0), outcome: ok(&a[0]) });
        assert!(matches!(&events[2], Event::Damaged { id, .. } if *id == self::id(0, 4)), "{:?}", events[2]);
        for (run, event) in events[3..9].iter().enumerate() {
            assert_eq!(*event, Event::Cached { id: id(1, run), outcome: ok(&b[run]) });
        }
        assert_eq!(events[9], Event::ExperimentDone { experiment: 1 });
        let finished: BTreeSet<(usize, usize)> = events[10..15]
            .iter()
            .map(|e| match e {
                Event::Finished { id, .. } => (id.experiment, id.run),
                other => panic!("expected a finished run, got {other:?}"),
            })
            .collect();
        assert_eq!(finished, (1..6).map(|r| (0, r)).collect());
        assert_eq!(events[15..], [Event::ExperimentDone { experiment: 0 }]);

        let expected = RunStats {
            planned: 12,
            computed: 5,
            cached: 7,
            failed: 2,
            refused: 1,
            internal: 1,
            damaged: 1,
            stopped: false,
        };
        assert_eq!(executed.stats, expected);
        assert_eq!(counted(events), expected);

        let outcome = |r: usize| executed.outcomes[0][r].clone().unwrap();
        assert!(executed.outcomes.iter().flatten().all(Option::is_some));
        assert!(outcome(3).internal && outcome(3).is_failed(), "{:?}", outcome(3));
        // Failures and refusals are stored; a bug's outcome never is; the damaged record is replaced.
        assert_eq!(cache.get(&a[1].key), Some(outcome(1)));
        assert_eq!(cache.get(&a[2].key), Some(outcome(2)));
        assert_eq!(cache.lookup(&a[3].key), Lookup::Missing);
        assert_eq!(cache.lookup(&a[4].key), Lookup::Hit(ok(&a[4])));
    }

    #[test]
    fn a_run_two_experiments_share_is_computed_once_and_served_to_both() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let store = tempfile::tempdir().unwrap();
        let cache = Cache::new(store.path());
        // One file under two names: the name is not an input of a run, so every
        // key is shared (as ihdp-shalit's TARNet runs are ihdp-shi's last row).
        let experiments = [experiment("a", 1), experiment("b", 1)];
        let keys = |p: &Prepared| p.runs.iter().map(|r| r.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&experiments[0]), keys(&experiments[1]));
        // `Compute` is a 'static closure type: the count is a static of this test's own.
        static COMPUTED: AtomicUsize = AtomicUsize::new(0);
        let counting = |e: &[Prepared], pack: &[RunId], limit: PackLimit| {
            COMPUTED.fetch_add(pack.len(), Ordering::Relaxed);
            fakes(e, pack, limit)
        };
        let mut recorder = Recorder::default();
        let opts = ExecOptions { jobs: 2, fail_fast: false, pack: PackLimit::ALONE };
        let executed = execute_with(&experiments, &cache, &opts, &mut [&mut recorder], &counting).unwrap();

        assert_eq!(COMPUTED.load(Ordering::Relaxed), 6);
        // Failures, refusals and a bug's outcome are shared like successes.
        let expected = RunStats {
            planned: 12,
            computed: 6,
            cached: 6,
            failed: 4,
            refused: 2,
            internal: 2,
            damaged: 0,
            stopped: false,
        };
        assert_eq!(executed.stats, expected);
        assert_eq!(counted(&recorder.events), expected);
        assert_eq!(executed.outcomes[0], executed.outcomes[1]);
        assert!(executed.outcomes.iter().flatten().all(Option::is_some));
        // Every run of b is served right after the run of a it follows.
        for (i, event) in recorder.events.iter().enumerate() {
            if let Event::Finished { id, outcome, .. } = event {
                assert_eq!(id.experiment, 0, "{event:?}");
                let next = &recorder.events[i + 1..];
                let served = next.iter().find(|e| matches!(e, Event::Cached { .. })).unwrap();
                assert_eq!(*served, Event::Cached { id: self::id(1, id.run), outcome: outcome.clone() });
            }
        }
        let done = |e| recorder.events.iter().filter(|x| **x == Event::ExperimentDone { experiment: e }).count();
        assert_eq!((done(0), done(1)), (1, 1));

        // Again: only the bug's outcome, which is never stored, is computed again, once.
        let executed = execute_with(&experiments, &cache, &opts, &mut [], &counting).unwrap();
        assert_eq!(COMPUTED.load(Ordering::Relaxed), 7);
        assert_eq!((executed.stats.computed, executed.stats.cached), (1, 11));
    }

    #[test]
    fn fail_fast_announces_the_stop_and_skips_the_runs_not_started() {
        let store = tempfile::tempdir().unwrap();
        let cache = Cache::new(store.path());
        let experiments = [experiment("a", 1)];
        let mut recorder = Recorder::default();
        let opts = ExecOptions { jobs: 1, fail_fast: true, pack: PackLimit::ALONE };
        let executed = execute_with(&experiments, &cache, &opts, &mut [&mut recorder], &fakes).unwrap();

        let events = &recorder.events;
        let stops: Vec<usize> = (0..events.len()).filter(|&i| events[i] == Event::Stopped).collect();
        assert_eq!(stops.len(), 1, "{events:?}");
        // The stop is announced just before the failure that caused it.
        assert!(
            matches!(&events[stops[0] + 1], Event::Finished { id, outcome, .. } if id.run == 1 && outcome.is_failed()),
            "{events:?}"
        );
        // r1/naive may have been under way when the failure came; nothing after it was started.
        let stats = &executed.stats;
        assert!(stats.stopped);
        assert!(stats.skipped() >= 3, "{stats:?}");
        assert_eq!(executed.outcomes[0].iter().filter(|o| o.is_none()).count(), stats.skipped());
        assert_eq!(counted(events), *stats);
        // An experiment with skipped runs is never done (its tables are not written).
        assert!(!events.iter().any(|e| matches!(e, Event::ExperimentDone { .. })), "{events:?}");
        assert_eq!(recorder.finished, 1);
    }

    #[test]
    fn a_store_that_cannot_be_written_stops_execution_and_still_finishes_every_reporter() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the store's folder should be: every write fails.
        let root = dir.path().join("store");
        std::fs::write(&root, "not a folder").unwrap();
        let cache = Cache::new(&root);
        let mut recorder = Recorder::default();
        let opts = ExecOptions { jobs: 1, fail_fast: false, pack: PackLimit::ALONE };
        let result = execute_with(&[experiment("a", 1)], &cache, &opts, &mut [&mut recorder], &fakes);
        assert!(matches!(result, Err(RunError::Cache { .. })), "{result:?}");
        assert_eq!(recorder.finished, 1);
        // A run whose record could not be written is not reported as finished.
        assert!(!recorder.events.iter().any(|e| matches!(e, Event::Finished { outcome, .. } if !outcome.internal)));
    }
}
