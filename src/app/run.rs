//! `causeway run`: check, plan, execute in parallel with the cache, and write
//! every experiment's results folder; with `--shard I/N`, compute one shard of
//! the plan into the store and leave the tables to `causeway collect`.

use std::path::{Path, PathBuf};

use super::load::{prepare_all, prepare_shard};
use super::{EXIT_FAILED_RUNS, EXIT_INTERNAL, EXIT_IO, EXIT_OK};
use crate::report::{self, FailureLog, Progress, ProgressMode, Timings, Versions};
use crate::run::{Cache, ExecOptions, Executed, Outcome, Prepared, Reporter, RunError, RunStats, Shard, execute};

#[derive(Debug, Clone)]
pub struct RunArgs {
    pub paths: Vec<PathBuf>,
    pub jobs: usize,
    pub results: PathBuf,
    pub cache: PathBuf,
    /// Directory holding `datasets/manifest.yaml`.
    pub root: PathBuf,
    pub fail_fast: bool,
    pub progress: ProgressMode,
}

pub fn versions() -> Versions {
    Versions {
        causeway: env!("CARGO_PKG_VERSION").to_string(),
        libtorch: crate::estimate::libtorch_version(),
        rustc: env!("CAUSEWAY_RUSTC_VERSION").to_string(),
        numerics: crate::estimate::numeric_identity().describe(),
    }
}

pub fn run(args: &RunArgs) -> i32 {
    let prepared = match prepare_all(&args.paths, &args.root) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut timings = Timings::new(&prepared);
    let (executed, failures) = match execute_reporting(&prepared, args, Some(&mut timings)) {
        Ok(done) => done,
        Err(code) => return code,
    };
    for (e, (p, outs)) in prepared.iter().zip(&executed.outcomes).enumerate() {
        if let Err(e) = write_experiment(p, outs, timings.of(e), &args.results) {
            eprintln!("error: {e}");
            return EXIT_IO;
        }
    }
    summarize_run(&executed.stats, &failures, args)
}

/// `causeway run --shard I/N`: compute the runs of one shard into the store and
/// write no tables (`causeway collect` does, once every shard is done).
pub fn run_shard(args: &RunArgs, shard: Shard) -> i32 {
    let prepared = match prepare_shard(&args.paths, &args.root, shard) {
        Ok(p) => p,
        Err(code) => return code,
    };
    // A shard writes no tables, so it keeps no timings.
    match execute_reporting(&prepared, args, None) {
        Ok((executed, failures)) => summarize_shard(&executed.stats, &failures, args, shard),
        Err(code) => code,
    }
}

/// Execute `prepared` with its reporters: the progress display, the failed runs
/// for the closing summary and, where tables are written, `timings`. Returns the
/// outcomes and the runner's statistics, or the exit status of an error that
/// stopped execution.
fn execute_reporting(
    prepared: &[Prepared],
    args: &RunArgs,
    timings: Option<&mut Timings<'_>>,
) -> Result<(Executed, FailureLog), i32> {
    let cache = Cache::new(&args.cache);
    let mut progress = Progress::new(args.progress);
    let mut failures = FailureLog::new();
    let mut reporters: Vec<&mut dyn Reporter> = vec![&mut progress, &mut failures];
    reporters.extend(timings.map(|t| t as &mut dyn Reporter));
    let opts = ExecOptions { jobs: args.jobs.max(1), fail_fast: args.fail_fast };
    match execute(prepared, &cache, &opts, &mut reporters) {
        Ok(executed) => Ok((executed, failures)),
        Err(e) => {
            eprintln!("error: {e}");
            Err(exit_status(&e))
        }
    }
}

/// Internal errors outrank failed runs: they are bugs, and `make experiments`
/// (which accepts failed runs) must not accept them.
fn status_of(stats: &RunStats) -> i32 {
    if stats.internal > 0 {
        eprintln!("error: {} runs hit an internal error (a bug in causeway); they were not cached", stats.internal);
        EXIT_INTERNAL
    } else if stats.failed > 0 {
        EXIT_FAILED_RUNS
    } else {
        EXIT_OK
    }
}

/// Damaged cache records are reported whatever the progress mode: they mean the
/// store was altered outside causeway (a disk error, a hand edit).
fn report_damaged(failures: &FailureLog) {
    let damaged = &failures.damaged;
    if damaged.is_empty() {
        return;
    }
    eprintln!(
        "warning: {} cache records failed their checksum or did not parse; those runs were recomputed and the records replaced:",
        damaged.len()
    );
    for d in damaged.iter().take(20) {
        eprintln!("  {d}");
    }
    if damaged.len() > 20 {
        eprintln!("  ... and {} more", damaged.len() - 20);
    }
}

/// The exit status of an error that stopped execution: a store that cannot be
/// written is an I/O failure; anything else stops the sweep like a failed run.
fn exit_status(e: &RunError) -> i32 {
    match e {
        RunError::Cache { .. } | RunError::Io { .. } => EXIT_IO,
        RunError::Estimator { .. } | RunError::Pool { .. } | RunError::TooManyRuns { .. } | RunError::Shard { .. } => {
            EXIT_FAILED_RUNS
        }
    }
}

fn summarize_shard(stats: &RunStats, failures: &FailureLog, args: &RunArgs, shard: Shard) -> i32 {
    report_damaged(failures);
    let RunStats { planned: total, computed, cached, failed, refused, .. } = *stats;
    if args.progress != ProgressMode::Quiet {
        let paths: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "shard {shard}: {total} runs, {computed} computed, {cached} cached, {failed} failed, {refused} refused; \
             run `causeway collect {} --cache {} --results {}` once every shard is done",
            paths.join(" "),
            args.cache.display(),
            args.results.display()
        );
        for f in failures.failures.iter().take(20) {
            eprintln!("  failed: {f}");
        }
    }
    status_of(stats)
}

fn summarize_run(stats: &RunStats, failures: &FailureLog, args: &RunArgs) -> i32 {
    report_damaged(failures);
    let RunStats { planned: total, computed, cached, failed, refused, .. } = *stats;
    if args.progress != ProgressMode::Quiet {
        if computed == 0 && total > 0 {
            eprintln!("all {total} runs were cached; nothing computed");
        } else {
            eprintln!(
                "{total} runs: {computed} computed, {cached} cached, {failed} failed, {refused} refused; results in {}",
                args.results.display()
            );
        }
        for f in failures.failures.iter().take(20) {
            eprintln!("  failed: {f}");
        }
    }
    status_of(stats)
}

/// Write the tables of one experiment, unless some of its runs were skipped
/// (a `--fail-fast` stop): partial tables are never written. The folder is
/// replaced as a whole; a rerun that computed nothing keeps the old timings.
pub(super) fn write_experiment(
    p: &Prepared,
    outcomes: &[Option<Outcome>],
    timings: &[(String, f64)],
    results: &Path,
) -> Result<(), report::WriteError> {
    if outcomes.iter().any(Option::is_none) {
        return Ok(());
    }
    let exp = &p.experiment;
    let summary = report::summarize(&p.runs, outcomes, &exp.metrics);
    let mut files = vec![
        ("runs.csv", report::runs_csv(exp, &p.runs, outcomes)),
        ("summary.csv", report::summary_csv(exp, &summary)),
        ("report.md", report::report_md(exp, &summary, &p.identification)),
        ("table.tex", report::table_tex(exp, &summary)),
        ("manifest.yaml", report::manifest_yaml(exp, &p.runs, &p.data_files, &versions())),
    ];
    if let Some(svg) = report::plot_svg(exp, &summary) {
        files.push(("plot.svg", svg));
    }
    if !timings.is_empty() {
        files.push(("timings.csv", report::timings_csv(timings)));
    }
    report::replace_results(&results.join(&exp.name), &files, &["timings.csv"])
}
