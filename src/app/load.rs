//! Load, validate and check experiment files, printing every error, and prepare
//! each valid experiment for execution (plan, identification, data hashes).
//!
//! An experiment is planned without expanding its runs (`Plan`); they are
//! expanded only where they are needed: all of them for `run` and `collect`,
//! a shard's for `run --shard`, none for `check`, one at a time for `plan`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::{Error, discover};
use crate::run::{DataSource, Plan, PlanContext, Prepared, Run, Shard, prepare, shard_runs};
use crate::spec::{self, Experiment, Limits};

static LIMITS: OnceLock<Limits> = OnceLock::new();

/// Set the size limits of this process (from `--max-runs` and
/// `--max-run-memory`); only the first call counts. Until then, the defaults.
pub fn set_limits(limits: Limits) {
    let _ = LIMITS.set(limits);
}

/// The size limits every command checks experiments against.
pub fn limits() -> Limits {
    LIMITS.get().copied().unwrap_or_default()
}

/// A validated experiment and the file it came from.
pub struct LoadedExperiment {
    pub file: PathBuf,
    pub experiment: Experiment,
}

/// Load and check every file; print each error to stderr as it is found (so
/// that one pass lists them all, between the warnings of the files around
/// them). Returns the valid experiments and how many files were rejected. Two files may not share a name,
/// since each owns `results/<name>/`.
pub fn load_experiments(files: &[PathBuf]) -> (Vec<LoadedExperiment>, usize) {
    let mut ok = Vec::new();
    let mut bad = 0;
    let mut names: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in files {
        let checked = spec::load(file).and_then(|l| {
            let e = spec::validate_with(&l, &limits())?;
            // Data under the user's data folder that is not there: skipped, not
            // failed (the field's benchmark files are not ours to ship).
            if let Some(reason) = e.dataset.unavailable(e.replications) {
                return Ok(Err(reason));
            }
            spec::cross_check(&l, &e)?;
            Ok(Ok((l, e)))
        });
        match checked {
            Ok(Err(reason)) => eprintln!("skipped: {}: {reason}", file.display()),
            Ok(Ok((loaded, experiment))) => {
                if let Some(other) = names.insert(experiment.name.clone(), file.clone()) {
                    eprintln!(
                        "error: {}: experiment name `{}` is already used by {}",
                        file.display(),
                        experiment.name,
                        other.display()
                    );
                    eprintln!("  help: each experiment writes results/<name>/, so names must be unique");
                    bad += 1;
                    continue;
                }
                for w in spec::graph_warnings(&loaded, &experiment) {
                    eprintln!("warning: {w}");
                }
                ok.push(LoadedExperiment { file: file.clone(), experiment });
            }
            Err(e) => {
                eprintln!("error: {e}");
                bad += 1;
            }
        }
    }
    (ok, bad)
}

/// An experiment planned and ready to execute, its runs not yet expanded
/// (`prepared.runs` is empty).
pub struct Planned {
    pub plan: Plan,
    pub prepared: Prepared,
}

/// Plan one experiment: hash its data files, resolve its estimators, identify
/// its effect. Nothing is expanded.
pub fn plan_experiment(exp: &Experiment, root: &Path) -> Result<Planned, Error> {
    let planning = |source| Error::Plan { experiment: exp.name.clone(), source: Box::new(source) };
    let source = DataSource::read(exp, root).map_err(planning)?;
    let ctx = PlanContext {
        data_files: source.hashes(),
        libtorch: crate::estimate::libtorch_version(),
        numerics: crate::estimate::numeric_identity(),
    };
    let plan = Plan::new(exp, &ctx).map_err(planning)?;
    let prepared = prepare(exp.clone(), Vec::new(), root, source).map_err(planning)?;
    Ok(Planned { plan, prepared })
}

/// Expand the runs at `indices` (all of them for None) into `planned.prepared`.
/// The list is allocated fallibly: a plan too large to hold is an error, not an abort.
fn expand(planned: Planned, indices: Option<&[usize]>) -> Result<Prepared, Error> {
    let Planned { plan, mut prepared } = planned;
    let count = indices.map_or(plan.len(), <[usize]>::len);
    let mut runs: Vec<Run> = Vec::new();
    runs.try_reserve_exact(count).map_err(|_| Error::TooLarge { experiment: plan.experiment().name.clone(), count })?;
    match indices {
        Some(indices) => runs.extend(plan.runs_at(indices)),
        None => runs.extend(plan.runs()),
    }
    prepared.runs = runs;
    Ok(prepared)
}

/// Discover, check and plan every experiment under `paths`; an error when a
/// path, a file or a plan is wrong (rejected files were printed one by one).
pub fn plan_all(paths: &[PathBuf], root: &Path) -> Result<Vec<Planned>, Error> {
    let files = discover(paths)?;
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::NoExperiments(shown.join(", ")));
    }
    let (loaded, bad) = load_experiments(&files);
    if bad > 0 {
        return Err(Error::Rejected { count: bad });
    }
    loaded.iter().map(|l| plan_experiment(&l.experiment, root)).collect()
}

/// Discover, check and prepare every experiment under `paths`, every run
/// expanded; an error when a path, a file or a plan is wrong.
pub fn prepare_all(paths: &[PathBuf], root: &Path) -> Result<Vec<Prepared>, Error> {
    plan_all(paths, root)?.into_iter().map(|p| expand(p, None)).collect()
}

/// `prepare_all` with only the runs of `shard` expanded (the partition of
/// `crate::run::restrict`), each experiment's in plan order.
pub fn prepare_shard(paths: &[PathBuf], root: &Path, shard: Shard) -> Result<Vec<Prepared>, Error> {
    let planned = plan_all(paths, root)?;
    let mine = shard_runs(&planned.iter().map(|p| &p.plan).collect::<Vec<_>>(), shard).map_err(Error::Shard)?;
    planned.into_iter().zip(&mine).map(|(p, indices)| expand(p, Some(indices))).collect()
}
