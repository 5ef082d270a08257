//! Size limits, checked before anything is expanded: the number of runs an
//! experiment expands into, and for simulated data the number of rows and the
//! memory they imply. Each refusal points at the key to change and says how to
//! go past the limit. docs/experiment-format.md ("Size limits") documents them.

use super::error::{SpecError, SpecErrorKind};
use super::experiment::{Dataset, Experiment, Quantity, Simulate};
use super::load::Loaded;
use crate::bytes::bytes_text;
use crate::sweep::sweep_size;

type Result<T> = std::result::Result<T, SpecError>;

/// Rows of a simulated dataset, at most (`dataset.simulate.n`).
pub const MAX_ROWS: u64 = 100_000_000;
/// Runs of one experiment, at most, unless `--max-runs` says otherwise.
pub const DEFAULT_MAX_RUNS: u64 = 1_000_000;
/// Estimated memory of one run, at most, unless `--max-run-memory` says otherwise.
pub const DEFAULT_MAX_RUN_MEMORY: u64 = 16 << 30;
/// Copies of a simulated dataset one run holds at its peak, counted in the
/// pipeline: the simulator's noise, columns and truths, the dataset built from
/// them, the selected covariates, the preprocessed ones and the estimator's
/// row-major design. OLS on 2 million rows of 5 variables peaked at 6 x
/// (rows x 7 columns x 8 bytes) above the program's own 120 MB.
pub const DATA_COPIES: u64 = 6;

/// The limits `validate_with` enforces (every command that reads experiments applies them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Runs of one experiment (data-sweep points x replications x estimator configurations).
    pub max_runs: u64,
    /// Estimated peak bytes of one run of a simulated dataset.
    pub max_run_memory: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_runs: DEFAULT_MAX_RUNS, max_run_memory: DEFAULT_MAX_RUN_MEMORY }
    }
}

/// Columns of 8-byte numbers a run of `sim` holds per row: every simulated
/// variable (a sequence of `T` steps is `T` columns), the two truth columns
/// (mu0, mu1) and one per squared column.
pub fn simulated_columns(sim: &Simulate, squares: usize) -> u64 {
    (variable_columns(sim) + 2 + squares) as u64
}

/// The columns the simulated variables take: one per scalar, `T` per sequence.
fn variable_columns(sim: &Simulate) -> usize {
    sim.equations
        .iter()
        .map(|(key, _)| crate::scm::sequence::split_key(key).ok().and_then(|(_, t)| t).unwrap_or(1))
        .sum()
}

/// The estimated peak bytes of one run over `rows` rows of `columns` columns
/// (saturating).
pub fn run_memory(rows: u64, columns: u64) -> u64 {
    rows.saturating_mul(columns).saturating_mul(8).saturating_mul(DATA_COPIES)
}

/// Refuse an experiment over `limits`, pointing at what makes it large.
pub fn check_size(loaded: &Loaded, exp: &Experiment, limits: &Limits) -> Result<()> {
    check_runs(loaded, exp, limits)?;
    if let Dataset::Simulate(sim) = &exp.dataset {
        check_rows(loaded, exp, sim, limits)?;
    }
    Ok(())
}

fn check_runs(loaded: &Loaded, exp: &Experiment, limits: &Limits) -> Result<()> {
    let count = run_count(exp).map(|n| n as u64);
    if count.is_some_and(|n| n <= limits.max_runs) {
        return Ok(());
    }
    let points = sweep_size(&exp.sweep).map(|n| n as u64);
    let replications = u64::from(exp.replications);
    let configs = exp.estimators.iter().try_fold(0u64, |n, d| n.checked_add(d.configurations()? as u64));
    // Point at the largest factor.
    let (p, c) = (points.unwrap_or(u64::MAX), configs.unwrap_or(u64::MAX));
    let path = if replications >= p && replications >= c {
        "replications"
    } else if p >= c {
        "sweep"
    } else {
        "estimators"
    };
    let message = format!(
        "the experiment expands into {} runs ({} x {} x {}), over the limit of {} runs",
        number(count),
        counted(points, "data-sweep point"),
        counted(Some(replications), "replication"),
        counted(configs, "estimator configuration"),
        limits.max_runs
    );
    let help = match count {
        Some(n) => format!(
            "if the sweep is meant to be this large, raise the limit with `--max-runs {n}` and run it in shards \
             (`causeway slurm --array N`, or `causeway run --shard I/N` on each machine), so that each process holds only its share of the runs"
        ),
        None => "make the sweep smaller: no machine holds that many runs".to_string(),
    };
    Err(loaded.error_at(path, path != "replications", SpecErrorKind::Invalid(message)).with_help(help))
}

/// Every value `n` takes with the path where it is written.
fn row_counts(exp: &Experiment, sim: &Simulate) -> Vec<(f64, String, Option<String>)> {
    match &sim.n {
        Quantity::Value(v) => vec![(*v, "dataset.simulate.n".to_string(), None)],
        Quantity::Param(p) => match exp.sweep.iter().find(|(name, _)| name == p) {
            Some((_, values)) => {
                values.iter().enumerate().map(|(i, v)| (*v, format!("sweep.{p}[{i}]"), Some(p.clone()))).collect()
            }
            None => vec![(exp.params.get(p).copied().unwrap_or(f64::NAN), format!("params.{p}"), Some(p.clone()))],
        },
    }
}

fn check_rows(loaded: &Loaded, exp: &Experiment, sim: &Simulate, limits: &Limits) -> Result<()> {
    let columns = simulated_columns(sim, exp.preprocess.squares.len());
    for (rows, path, param) in row_counts(exp, sim) {
        let named = match &param {
            Some(p) => format!("the number of rows `n` (here `${p}`)"),
            None => "the number of rows `n`".to_string(),
        };
        if !(rows >= 1.0 && rows.fract() == 0.0 && rows <= MAX_ROWS as f64) {
            return Err(loaded.error_at(&path, false, SpecErrorKind::Invalid(format!("{named} must be a whole number from 1 to {MAX_ROWS}, found {rows}")))
                .with_help(format!("a replication's dataset is held in memory, {MAX_ROWS} rows at most; see \"Size limits\" in docs/experiment-format.md")));
        }
        let bytes = run_memory(rows as u64, columns);
        if bytes > limits.max_run_memory {
            let message = format!(
                "{named} is {rows}, which needs about {} per run ({rows} rows x {columns} columns x 8 bytes x {DATA_COPIES} copies; \
                 the columns are {} simulated variables, 2 truth columns{}), over the limit of {}",
                bytes_text(bytes),
                variable_columns(sim),
                match exp.preprocess.squares.len() {
                    0 => String::new(),
                    k => format!(", {k} squares"),
                },
                bytes_text(limits.max_run_memory)
            );
            let raise = bytes.div_ceil(1 << 30);
            return Err(loaded.error_at(&path, false, SpecErrorKind::Invalid(message)).with_help(format!(
                "use fewer rows, or raise the limit with `--max-run-memory {raise}G` on a machine with that much memory for each of the `--jobs` runs at once"
            )));
        }
    }
    Ok(())
}

fn number(n: Option<u64>) -> String {
    n.map_or_else(|| format!("more than {}", u64::MAX), |n| n.to_string())
}

fn counted(n: Option<u64>, what: &str) -> String {
    match n {
        Some(1) => format!("1 {what}"),
        n => format!("{} {what}s", number(n)),
    }
}

/// The number of runs `plan` expands `exp` into, computed without expanding
/// anything; None when it overflows.
pub fn run_count(exp: &Experiment) -> Option<usize> {
    let configs = exp.estimators.iter().try_fold(0usize, |n, d| n.checked_add(d.configurations()?))?;
    sweep_size(&exp.sweep)?.checked_mul(exp.replications as usize)?.checked_mul(configs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_memory_saturates() {
        assert_eq!(run_memory(u64::MAX, 3), u64::MAX);
    }
}
