//! Reporters that keep what a run told besides its outcomes: how long each
//! computed run took (`timings.csv`), and which runs failed and which cache
//! records were damaged (the closing summary). Fed by runner events like the
//! progress display, so the runner itself never builds a table or a message.

use crate::run::{Event, Prepared, Reporter, Status};

/// Each experiment's (run label, seconds) of the runs computed now, in
/// completion order; cached runs took no time here and have no row.
pub struct Timings<'a> {
    experiments: &'a [Prepared],
    seconds: Vec<Vec<(String, f64)>>,
}

impl<'a> Timings<'a> {
    /// Timings of the runs of `experiments`, the plan the runner is given.
    pub fn new(experiments: &'a [Prepared]) -> Timings<'a> {
        Timings { experiments, seconds: vec![Vec::new(); experiments.len()] }
    }

    /// Experiment `experiment`'s rows, for `timings_csv` (none if nothing was computed).
    pub fn of(&self, experiment: usize) -> &[(String, f64)] {
        &self.seconds[experiment]
    }
}

impl Reporter for Timings<'_> {
    fn event(&mut self, event: &Event) {
        if let Event::Finished { id, elapsed, .. } = event {
            let label = self.experiments[id.experiment].runs[id.run].label.clone();
            self.seconds[id.experiment].push((label, elapsed.as_secs_f64()));
        }
    }
}

/// The failed runs ("experiment: reason") and the damaged cache records ("path:
/// reason"), as lines for the closing summary, in the order the events came.
#[derive(Debug, Default)]
pub struct FailureLog {
    names: Vec<String>,
    pub failures: Vec<String>,
    pub damaged: Vec<String>,
}

impl FailureLog {
    pub fn new() -> FailureLog {
        FailureLog::default()
    }
}

impl Reporter for FailureLog {
    fn event(&mut self, event: &Event) {
        match event {
            Event::Planned { experiments } => self.names = experiments.iter().map(|(n, _)| n.clone()).collect(),
            Event::Cached { id, outcome } | Event::Finished { id, outcome, .. } => {
                if let Status::Failed { reason } = &outcome.status {
                    self.failures.push(format!("{}: {reason}", self.names[id.experiment]));
                }
            }
            Event::Damaged { path, reason, .. } => self.damaged.push(format!("{}: {reason}", path.display())),
            Event::ExperimentDone { .. } | Event::Stopped => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::report::fixture::{experiment, run};
    use crate::report::timings_csv;
    use crate::run::{DataSource, Outcome, RunId, prepare};

    /// An experiment of two runs, r0/naive and r0/ols; the runner never reads its data here.
    fn prepared(name: &str) -> Prepared {
        let exp = experiment(&format!(
            "name: {name}\nseed: 1\ndataset:\n  simulate:\n    n: 50\n    equations:\n      x: normal(0, 1)\n      \
             t: bernoulli(sigmoid(x))\n      y: 2 * t + x + normal(0, 1)\n    treatment: t\n    outcome: y\n\
             estimators: [naive, ols]\n"
        ));
        let runs = vec![run("naive", &[], &[], 0), run("ols", &[], &[], 0)];
        prepare(exp, runs, std::path::Path::new("."), DataSource::Simulated).unwrap()
    }

    #[test]
    fn timings_are_kept_per_experiment_for_computed_runs_only() {
        let experiments = [prepared("a"), prepared("b")];
        let mut timings = Timings::new(&experiments);
        let finished = |experiment, run, millis| Event::Finished {
            id: RunId { experiment, run },
            outcome: Outcome::failed("k", "singular design"),
            elapsed: Duration::from_millis(millis),
        };
        let cached = Event::Cached { id: RunId { experiment: 0, run: 0 }, outcome: Outcome::refused("k", "no set") };
        for e in [cached, finished(1, 1, 1500), finished(0, 1, 20), finished(1, 0, 250)] {
            timings.event(&e);
        }
        assert_eq!(timings.of(0), [("r0/ols".to_string(), 0.02)]);
        assert_eq!(timings_csv(timings.of(1)), "label,seconds\nr0/ols,1.500\nr0/naive,0.250\n");
    }

    #[test]
    fn failures_and_damaged_records_become_lines_in_event_order() {
        let mut log = FailureLog::new();
        let id = |experiment| RunId { experiment, run: 0 };
        let events = [
            Event::Planned { experiments: vec![("linear".into(), 2), ("frontdoor".into(), 2)] },
            Event::Cached { id: id(1), outcome: Outcome::failed("k1", "singular design") },
            Event::Cached { id: id(1), outcome: Outcome::refused("k2", "no front-door set") },
            Event::Damaged { id: id(0), path: PathBuf::from("store/runs/ab/k3.json"), reason: "torn".into() },
            Event::Finished { id: id(0), outcome: Outcome::internal("k3", "boom"), elapsed: Duration::ZERO },
            Event::Finished {
                id: id(0),
                outcome: Outcome::finished("k4", vec![], vec![], String::new()),
                elapsed: Duration::ZERO,
            },
        ];
        events.iter().for_each(|e| log.event(e));
        assert_eq!(
            log.failures,
            ["frontdoor: singular design", "linear: internal error (a bug in causeway, please report it): boom"]
        );
        assert_eq!(log.damaged, ["store/runs/ab/k3.json: torn"]);
    }
}
