//! One run from start to finish: build the dataset, choose its covariates from
//! the graph, split, preprocess, estimate, score. Every failure of the method on
//! these inputs becomes a failed `Outcome` with its reason, never a crash.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use rand::SeedableRng;

use super::covariates::CovariateSets;
use super::outcome::Outcome;
use super::plan::Run;
pub use super::source::DataSource;
use super::{RunError, RunRng};
use crate::data::{self, CausalData, Split};
use crate::estimate::neural::pack::PackLimit;
use crate::estimate::{self, Estimand, Metric};
use crate::scm::Missingness;
use crate::spec::{self, Dataset, Experiment, MissingDecl, Simulate};

/// An experiment ready to execute: its runs and what every run shares.
#[derive(Debug)]
pub struct Prepared {
    pub experiment: Experiment,
    pub runs: Vec<Run>,
    /// Directory holding `datasets/manifest.yaml`, for builtin datasets.
    pub root: PathBuf,
    /// The covariates each estimator role gets, from identification.
    pub covariates: CovariateSets,
    /// `causeway identify` text, for report.md.
    pub identification: String,
    /// The bytes of every data file the dataset reads, read once at planning.
    pub source: DataSource,
    /// sha256 of every data file the dataset reads (of `source`'s bytes).
    pub data_files: Vec<(String, String)>,
}

// ChaCha streams of a run's seed: independent draws for each stage, so that
// adding a draw to one stage never shifts another stage's numbers.
pub(super) const DATA_STREAM: u64 = 0;
const SPLIT_STREAM: u64 = 1;
pub(super) const ESTIMATOR_STREAM: u64 = 2;
/// The selection stage's stream of a replication's seed (`run::selection`): its cross-fitting folds.
pub(super) const SELECTION_STREAM: u64 = 3;

pub(super) fn stream(seed: u64, stream: u64) -> RunRng {
    let mut rng = RunRng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Compute the outcome of one run. A panic (a bug of ours, or a libtorch error that no check
/// caught) is caught and becomes an internal failure of that run, which the runner
/// reports but never caches. A network's bootstrap resamples and refuter refits
/// train in packs of the runner's default size (`refit::default_limit`).
pub fn compute_outcome(prepared: &Prepared, run: &Run) -> Outcome {
    compute_outcome_within(prepared, run, super::refit::default_limit())
}

/// `compute_outcome`, with the refits' packs within `limit` (the runner's `--pack`
/// and `--pack-memory`); the outcome's bytes do not depend on it.
pub(super) fn compute_outcome_within(prepared: &Prepared, run: &Run, limit: PackLimit) -> Outcome {
    contained(&run.key, || {
        injected_fault(run);
        if let Dataset::Panel(decl) = &prepared.experiment.dataset {
            return super::panel::compute(decl, run);
        }
        let staged = match stage(prepared, run) {
            Ok(staged) => staged,
            Err(stop) => return stop.outcome(run),
        };
        let est = staged.estimator.estimate(&staged.observed(), &mut estimator_rng(run));
        conclude(prepared, run, &staged, est, limit)
    })
}

/// The outcome of `f`, or an internal failure of run `key` if it panics; apart
/// from `compute_outcome` so that the runner's tests can panic the way a bug would.
pub(super) fn contained(key: &str, f: impl FnOnce() -> Outcome) -> Outcome {
    caught(key, f).unwrap_or_else(|internal| *internal)
}

/// The value of `f`, or the internal failure of run `key` if it panics.
pub(super) fn caught<T>(key: &str, f: impl FnOnce() -> T) -> Result<T, Box<Outcome>> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Box::new(Outcome::internal(key, first_line(&message)))
    })
}

/// Fault injection for the test suite (tests/suite/faults.rs): `CAUSEWAY_FAULT_PANIC=<text>`
/// panics inside every run whose label contains `<text>`, standing in for a bug.
pub(super) fn injected_fault(run: &Run) {
    if let Ok(pattern) = std::env::var("CAUSEWAY_FAULT_PANIC")
        && !pattern.is_empty()
        && run.label.contains(&pattern)
    {
        panic!("fault injected into {} (CAUSEWAY_FAULT_PANIC)", run.label);
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

/// Why a run stopped without numbers.
pub(super) enum Stop {
    Refused(String),
    Failed(String),
}

impl Stop {
    pub(super) fn outcome(self, run: &Run) -> Outcome {
        match self {
            Stop::Refused(reason) => Outcome::refused(&run.key, reason),
            Stop::Failed(reason) => Outcome::failed(&run.key, reason),
        }
    }
}

/// A run up to its estimate: the preprocessed data, its split, what
/// preprocessing did, and the estimator built from the run's hyperparameters.
pub(super) struct Staged {
    data: CausalData,
    split: Split,
    log: data::PreprocessLog,
    pub(super) estimator: Box<dyn estimate::Estimator>,
}

impl Staged {
    pub(super) fn observed(&self) -> data::Observed<'_> {
        self.data.observed(&self.split)
    }
}

/// The stream the run's estimator draws from (initial weights, minibatches).
pub(super) fn estimator_rng(run: &Run) -> RunRng {
    stream(run.seed, ESTIMATOR_STREAM)
}

impl From<String> for Stop {
    fn from(reason: String) -> Stop {
        Stop::Failed(reason)
    }
}

/// The steps of one run before its estimate, stopping at the first that fails
/// or refuses; the reasons are data (they go into the outcome's record), hence text.
pub(super) fn stage(prepared: &Prepared, run: &Run) -> Result<Staged, Stop> {
    let exp = &prepared.experiment;
    let (mut full, levels, n_test) = load_dataset(prepared, run)?;
    let names = prepared.covariates.for_run(&run.kind, &run.adjust, &full.covariate_names).map_err(Stop::Refused)?;
    // A sequence's name stands for its steps, a declared summary for one computed column.
    let names = data::sequence::expand(&mut full, &names);
    // Columns this estimator does not receive (`naive` gets none) are neither encoded nor squared.
    let config =
        preprocess_config(exp, levels).restricted_to(&full.covariate_names, &names).map_err(|e| e.to_string())?;
    let mut log = data::PreprocessLog::default();
    // The split is drawn over every row, before an analysis drops incomplete
    // ones, so that it is the same for every analysis of the replication.
    let split_rng = &mut stream(run.seed, SPLIT_STREAM);
    let split = if n_test > 0 {
        // A test archive's rows are the out-of-sample rows, as in cfrnet.
        Split::try_draw_with_test(full.n_rows() - n_test, n_test, exp.split, split_rng)
    } else {
        Split::try_draw(full.n_rows(), exp.split, split_rng)
    }
    .map_err(|e| e.to_string())?;
    let (selected, kept) = data::select_and_drop_rows(&full, &names, &config, &mut log).map_err(|e| e.to_string())?;
    let split = match kept {
        Some(kept) => split.restrict(&kept),
        None => split,
    };
    if split.train.is_empty() {
        return Err(Stop::Failed(format!("the split leaves no training rows out of {}", selected.n_rows())));
    }
    let prepared_data = data::fit_transform(&selected, &split, &config, &mut log).map_err(|e| e.to_string())?;
    let estimator = estimate::build(&run.kind, &run.hyper).map_err(|e| e.to_string())?;
    Ok(Staged { data: prepared_data, split, log, estimator })
}

/// The outcome of a run from its estimate (computed alone or in a pack): the
/// bootstrap, the robustness analyses and the metrics; a network's refits
/// train in packs within `limit`.
pub(super) fn conclude(
    prepared: &Prepared,
    run: &Run,
    staged: &Staged,
    est: Result<estimate::Estimate, estimate::EstimateError>,
    limit: PackLimit,
) -> Outcome {
    try_conclude(prepared, run, staged, est, limit).unwrap_or_else(|stop| stop.outcome(run))
}

fn try_conclude(
    prepared: &Prepared,
    run: &Run,
    staged: &Staged,
    est: Result<estimate::Estimate, estimate::EstimateError>,
    limit: PackLimit,
) -> Result<Outcome, Stop> {
    let exp = &prepared.experiment;
    let Staged { data: prepared_data, split, log, estimator } = staged;
    let observed = staged.observed();
    let mut est = est.map_err(|e| e.to_string())?;
    if !est.ate.is_finite() {
        return Err(Stop::Failed(format!("the estimate is not finite ({})", est.ate)));
    }
    // Every robustness analysis describes one estimand, the run's estimate of it
    // `effect` (None: an ATT the method does not estimate; its analyses are empty).
    let estimand = exp.robustness.estimand;
    let effect = est.effect(estimand, &super::ovb::treated_in_sample(&observed)).filter(|v| v.is_finite());
    let resamples = exp.estimators.iter().find(|d| d.label == run.estimator).and_then(|d| d.bootstrap);
    let boot = resamples.map(|b| {
        effect.and_then(|v| {
            super::bootstrap::bootstrap(estimator.as_ref(), prepared_data, split, estimand, v, b, run.seed, limit)
        })
    });
    // A declared bootstrap interval of the ATE is the run's interval (`coverage`
    // scores it against the true ATE); one of the ATT is not.
    if let (Estimand::Ate, Some(Some(b))) = (estimand, &boot) {
        est.interval = Some(b.percentile);
    }
    let mut robustness_tail = Vec::new();
    let mut ovb_elements = None;
    if let Some(ovb) = exp.robustness.ovb_for(&run.kind) {
        ovb_elements = super::ovb::elements(&observed, &est, run.seed, estimand);
        let groups = exp.robustness.ovb_benchmarks_for(&run.kind, &run.estimator);
        robustness_tail = super::ovb::benchmark_values(
            ovb,
            groups,
            estimator.as_ref(),
            prepared_data,
            split,
            ovb_elements.as_ref(),
            run.seed,
            estimand,
        );
    }
    let described = super::robustness::Described { effect, boot: boot.as_ref(), ovb: ovb_elements.as_ref() };
    let mut robustness = super::robustness_values(&exp.robustness, &run.kind, &described, &observed, &est);
    robustness.extend(robustness_tail);
    if let Some(cfg) = exp.robustness.refuters_for(&run.estimator) {
        let values = match effect {
            Some(v) => super::refute::refutation_values(
                cfg,
                estimator.as_ref(),
                prepared_data,
                split,
                estimand,
                v,
                run.seed,
                limit,
            ),
            None => super::refute::no_refutation_values(cfg),
        };
        robustness.extend(values);
    }
    let metrics = estimate::score(&Metric::STATIC, &est, prepared_data, split);
    let metrics = metrics.into_iter().map(|(m, v)| (m.name().to_string(), v)).collect();
    let validation =
        exp.selection.as_ref().and_then(|_| super::validation::ValidationRecord::of(&observed, &est)).map(Box::new);
    let mut outcome =
        Outcome::finished(&run.key, metrics, est.diagnostics, log.to_string()).with_robustness(robustness);
    outcome.validation = validation;
    Ok(outcome)
}

/// The run's dataset, the text levels of a user file's categorical columns,
/// and the number of rows at its end that a test archive holds (0: none).
fn load_dataset(prepared: &Prepared, run: &Run) -> Result<(CausalData, data::Levels, usize), String> {
    let rng = &mut stream(run.seed, DATA_STREAM);
    let exp = &prepared.experiment;
    let none = data::Levels::new;
    match (&exp.dataset, &prepared.source) {
        (Dataset::Simulate(sim), _) => simulate(sim, exp.preprocess.squares.len(), run, rng).map(|d| (d, none(), 0)),
        (Dataset::Builtin { surface, instance, confounding, .. }, DataSource::Builtin(files)) => {
            let confounding = confounding.as_ref().map(|q| q.resolve(&run.params));
            let opts = data::BuiltinOptions { surface: surface.clone(), instance: *instance, confounding };
            files.load(&opts, rng).map(|d| (d, none(), 0)).map_err(|e| e.to_string())
        }
        (Dataset::File { layout, sequences, .. }, source @ DataSource::File { sequences: long, .. }) => {
            let file = source.file_of(run.replication).ok_or("internal: no data file was read for this replication")?;
            let seq = sequences.as_ref().map(|(_, s)| s);
            super::source::load_user_file(file, long.as_ref(), layout, seq, exp)
                .map(|(d, levels)| (d, levels, 0))
                .map_err(|e| e.to_string())
        }
        (Dataset::Npz(_), DataSource::Npz { data, .. }) => {
            data.load(run.replication as usize).map(|(d, n_test)| (d, none(), n_test)).map_err(|e| e.to_string())
        }
        _ => unreachable!("DataSource::read matches the dataset kind"),
    }
}

fn simulate(sim: &Simulate, squares: usize, run: &Run, rng: &mut RunRng) -> Result<CausalData, String> {
    let model = sim.models.at(&run.params).ok_or("internal: no model was compiled at this run's parameters")?;
    // `check` refuses these first (spec::MAX_ROWS, docs/experiment-format.md).
    let n = sim.n.resolve(&run.params);
    if !(n >= 1.0 && n.fract() == 0.0 && n <= spec::MAX_ROWS as f64) {
        return Err(format!("the number of rows must be a whole number from 1 to {}, found {n}", spec::MAX_ROWS));
    }
    reserve_for(n as u64, spec::simulated_columns(sim, squares))?;
    let missing = match &sim.missing {
        MissingDecl::None => Missingness::None,
        MissingDecl::Mcar { rate } => Missingness::Mcar { rate: rate.resolve(&run.params) },
        MissingDecl::Mar { driver, rate } => {
            Missingness::Mar { driver: driver.clone(), rate: rate.resolve(&run.params) }
        }
    };
    let simulation =
        model.simulate(n as usize, &sim.treatment, &sim.outcome, &missing, rng).map_err(|e| e.to_string())?;
    simulation.into_causal_data(&sim.treatment, &sim.outcome).map_err(|e| e.to_string())
}

/// Reserve, and give back at once, the memory a run of `rows` rows over
/// `columns` columns is estimated to need (`spec::run_memory`), so that a
/// machine without it fails the run with a message. The simulator allocates
/// its columns infallibly: where one of them failed, the process would abort.
/// The reservation touches no page, so it costs nothing where it succeeds.
fn reserve_for(rows: u64, columns: u64) -> Result<(), String> {
    let bytes = spec::run_memory(rows, columns);
    let mut probe: Vec<u8> = Vec::new();
    probe.try_reserve_exact(usize::try_from(bytes).unwrap_or(usize::MAX)).map_err(|_| {
        format!(
            "cannot allocate the {} this run needs ({rows} rows x {columns} columns x 8 bytes x {} copies): \
             this machine's memory (or `ulimit -v`) is too small for the dataset; use fewer rows",
            spec::bytes_text(bytes),
            spec::DATA_COPIES
        )
    })
}

fn preprocess_config(exp: &Experiment, levels: data::Levels) -> data::PreprocessConfig {
    let p = &exp.preprocess;
    data::PreprocessConfig {
        impute: p.impute,
        indicators: p.indicators,
        standardize: p.standardize,
        one_hot: p.one_hot.clone(),
        squares: p.squares.clone(),
        levels,
    }
}

/// Decide covariates and identification once, for all runs of `exp`.
pub fn prepare(
    experiment: Experiment,
    runs: Vec<Run>,
    root: &std::path::Path,
    source: DataSource,
) -> Result<Prepared, RunError> {
    let (covariates, mut identification) = super::covariates::CovariateSets::of(&experiment)?;
    if let Some(description) = source.describe() {
        identification = format!("{description}\n{identification}");
    }
    let data_files = source.hashes();
    Ok(Prepared { experiment, runs, root: root.to_path_buf(), covariates, identification, source, data_files })
}

/// An experiment text validated, planned and prepared as the runner would, for
/// the runner's unit tests (the scheduler and the pack grouping need real runs).
#[cfg(test)]
pub(super) fn prepared_from_yaml(yaml: &str) -> Prepared {
    use crate::numerics::NumericIdentity;
    use crate::run::plan::{PlanContext, plan};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("experiment.yaml");
    std::fs::write(&path, yaml).unwrap();
    let experiment = crate::spec::validate(&crate::spec::load(&path).unwrap()).unwrap();
    let ctx = PlanContext { data_files: vec![], libtorch: "test".into(), numerics: NumericIdentity::portable() };
    let runs = plan(&experiment, &ctx).unwrap();
    prepare(experiment, runs, dir.path(), DataSource::Simulated).unwrap()
}
