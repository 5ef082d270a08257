//! `causeway run`: check, plan, execute in parallel with the cache, and write
//! every experiment's results folder; with `--shard I/N`, compute one shard of
//! the plan into the store and leave the tables to `causeway collect`.

use std::path::{Path, PathBuf};

use super::load::{prepare_all, prepare_shard};
use super::{EXIT_FAILED_RUNS, EXIT_INTERNAL, EXIT_IO, EXIT_OK};
use crate::report::{self, Progress, ProgressMode, Versions};
use crate::run::{Cache, Event, ExecOptions, Outcome, Prepared, Reporter, RunError, Shard, execute};

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
    let (outcomes, progress, timings) = match execute_with_progress(&prepared, args) {
        Ok(done) => done,
        Err(code) => return code,
    };
    for ((p, outs), times) in prepared.iter().zip(&outcomes).zip(&timings) {
        if let Err(e) = write_experiment(p, outs, times, &args.results) {
            eprintln!("error: {e}");
            return EXIT_IO;
        }
    }
    summarize_run(&progress, args)
}

/// `causeway run --shard I/N`: compute the runs of one shard into the store and
/// write no tables (`causeway collect` does, once every shard is done).
pub fn run_shard(args: &RunArgs, shard: Shard) -> i32 {
    let prepared = match prepare_shard(&args.paths, &args.root, shard) {
        Ok(p) => p,
        Err(code) => return code,
    };
    match execute_with_progress(&prepared, args) {
        Ok((_, progress, _)) => summarize_shard(&progress, args, shard),
        Err(code) => code,
    }
}

/// Each experiment's outcomes in plan order, the progress counts, and each
/// experiment's (label, seconds) of the runs computed now.
type Executed = (Vec<Vec<Option<Outcome>>>, Progress, Vec<Vec<(String, f64)>>);

fn execute_with_progress(prepared: &[Prepared], args: &RunArgs) -> Result<Executed, i32> {
    let cache = Cache::new(&args.cache);
    let mut progress = Progress::new(args.progress);
    let mut timings: Vec<Vec<(String, f64)>> = vec![Vec::new(); prepared.len()];
    let opts = ExecOptions { jobs: args.jobs.max(1), fail_fast: args.fail_fast };
    let result = execute(prepared, &cache, &opts, &mut |event: &Event| {
        if let Event::Finished { id, elapsed, .. } = event {
            timings[id.experiment].push((prepared[id.experiment].runs[id.run].label.clone(), elapsed.as_secs_f64()));
        }
        progress.event(event);
    });
    progress.finish();
    match result {
        Ok(outcomes) => Ok((outcomes, progress, timings)),
        Err(e) => {
            eprintln!("error: {e}");
            Err(exit_status(&e))
        }
    }
}

/// Internal errors outrank failed runs: they are bugs, and `make experiments`
/// (which accepts failed runs) must not accept them.
fn status_of(progress: &Progress, failed: usize) -> i32 {
    if progress.internal > 0 {
        eprintln!("error: {} runs hit an internal error (a bug in causeway); they were not cached", progress.internal);
        EXIT_INTERNAL
    } else if failed > 0 {
        EXIT_FAILED_RUNS
    } else {
        EXIT_OK
    }
}

/// Damaged cache records are reported whatever the progress mode: they mean the
/// store was altered outside causeway (a disk error, a hand edit).
fn report_damaged(progress: &Progress) {
    if progress.damaged.is_empty() {
        return;
    }
    eprintln!(
        "warning: {} cache records failed their checksum or did not parse; those runs were recomputed and the records replaced:",
        progress.damaged.len()
    );
    for d in progress.damaged.iter().take(20) {
        eprintln!("  {d}");
    }
    if progress.damaged.len() > 20 {
        eprintln!("  ... and {} more", progress.damaged.len() - 20);
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

fn summarize_shard(progress: &Progress, args: &RunArgs, shard: Shard) -> i32 {
    report_damaged(progress);
    let (total, computed, cached, failed, refused) = progress.totals();
    if args.progress != ProgressMode::Quiet {
        let paths: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "shard {shard}: {total} runs, {computed} computed, {cached} cached, {failed} failed, {refused} refused; \
             run `causeway collect {} --cache {} --results {}` once every shard is done",
            paths.join(" "),
            args.cache.display(),
            args.results.display()
        );
        for f in progress.failures.iter().take(20) {
            eprintln!("  failed: {f}");
        }
    }
    status_of(progress, failed)
}

fn summarize_run(progress: &Progress, args: &RunArgs) -> i32 {
    report_damaged(progress);
    let (total, computed, cached, failed, refused) = progress.totals();
    if args.progress != ProgressMode::Quiet {
        if computed == 0 && total > 0 {
            eprintln!("all {total} runs were cached; nothing computed");
        } else {
            eprintln!(
                "{total} runs: {computed} computed, {cached} cached, {failed} failed, {refused} refused; results in {}",
                args.results.display()
            );
        }
        for f in progress.failures.iter().take(20) {
            eprintln!("  failed: {f}");
        }
    }
    status_of(progress, failed)
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
