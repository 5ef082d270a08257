//! Progress display: one bar for the plan and one per experiment with counts of
//! done, cached and failed runs on a terminal; plain lines elsewhere (CI logs);
//! nothing in quiet mode. A `Reporter` fed by runner events. Its counts are for
//! the display only: the exit status comes from the runner's own statistics.

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::run::{Event, Outcome, Reporter, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    Bars,
    Plain,
    Quiet,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    total: usize,
    computed: usize,
    cached: usize,
    failed: usize,
    refused: usize,
}

pub struct Progress {
    mode: ProgressMode,
    names: Vec<String>,
    counts: Vec<Counts>,
    bars: Vec<ProgressBar>,
    overall: Option<ProgressBar>,
    multi: Option<MultiProgress>,
}

impl Progress {
    pub fn new(mode: ProgressMode) -> Progress {
        Progress { mode, names: Vec::new(), counts: Vec::new(), bars: Vec::new(), overall: None, multi: None }
    }

    fn style() -> ProgressStyle {
        ProgressStyle::with_template("{prefix:>28} [{bar:30}] {pos}/{len} {msg} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ")
    }

    fn message(c: &Counts) -> String {
        format!("computed {} cached {} failed {} refused {}", c.computed, c.cached, c.failed, c.refused)
    }

    fn start(&mut self, experiments: &[(String, usize)]) {
        self.names = experiments.iter().map(|(n, _)| n.clone()).collect();
        self.counts = experiments.iter().map(|&(_, total)| Counts { total, ..Counts::default() }).collect();
        if self.mode != ProgressMode::Bars {
            return;
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(8));
        let total: usize = experiments.iter().map(|(_, n)| n).sum();
        let overall =
            multi.add(ProgressBar::new(total as u64).with_style(Self::style()).with_prefix("all experiments"));
        overall.enable_steady_tick(Duration::from_millis(250));
        self.bars = experiments
            .iter()
            .map(|(name, n)| multi.add(ProgressBar::new(*n as u64).with_style(Self::style()).with_prefix(name.clone())))
            .collect();
        self.overall = Some(overall);
        self.multi = Some(multi);
    }

    fn tick(&mut self, experiment: usize) {
        if let (Some(bar), Some(overall)) = (self.bars.get(experiment), &self.overall) {
            bar.inc(1);
            bar.set_message(Self::message(&self.counts[experiment]));
            overall.inc(1);
            let sum = self.counts.iter().fold(Counts::default(), |a, c| Counts {
                total: a.total + c.total,
                computed: a.computed + c.computed,
                cached: a.cached + c.cached,
                failed: a.failed + c.failed,
                refused: a.refused + c.refused,
            });
            overall.set_message(Self::message(&sum));
        }
    }

    fn done(&mut self, experiment: usize) {
        let c = self.counts[experiment];
        let line = format!(
            "{:>28}  {} runs: computed {}, cached {}, failed {}, refused {}",
            self.names[experiment], c.total, c.computed, c.cached, c.failed, c.refused
        );
        match self.mode {
            ProgressMode::Bars => {
                if let Some(bar) = self.bars.get(experiment) {
                    bar.finish_with_message(Self::message(&c));
                }
            }
            ProgressMode::Plain => eprintln!("{line}"),
            ProgressMode::Quiet => {}
        }
    }

    fn record(&mut self, experiment: usize, outcome: &Outcome) {
        let c = &mut self.counts[experiment];
        match &outcome.status {
            Status::Failed { .. } => c.failed += 1,
            Status::Refused { .. } => c.refused += 1,
            Status::Ok => {}
        }
    }
}

impl Reporter for Progress {
    fn event(&mut self, event: &Event) {
        match event {
            Event::Planned { experiments } => self.start(experiments),
            Event::Cached { id, outcome } => {
                self.counts[id.experiment].cached += 1;
                self.record(id.experiment, outcome);
                self.tick(id.experiment);
            }
            Event::Finished { id, outcome, .. } => {
                self.counts[id.experiment].computed += 1;
                self.record(id.experiment, outcome);
                self.tick(id.experiment);
            }
            Event::Damaged { .. } => {}
            Event::ExperimentDone { experiment } => self.done(*experiment),
            Event::Stopped => {
                if self.mode != ProgressMode::Quiet {
                    eprintln!("stopping after the first failure (--fail-fast)");
                }
            }
        }
    }

    fn finish(&mut self) {
        if let Some(o) = &self.overall {
            o.finish();
        }
    }
}
