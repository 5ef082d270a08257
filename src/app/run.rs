//! `causeway run`: check, plan, execute in parallel with the cache, and write
//! every experiment's results folder; with `--shard I/N`, compute one shard of
//! the plan into the store and leave the tables to `causeway collect`.

use std::path::{Path, PathBuf};

use super::load::{prepare_all, prepare_shard};
use super::{Completion, Error};
use crate::estimate::neural::pack::PackLimit;
use crate::report::{self, FailureLog, Progress, ProgressMode, Timings, Versions};
use crate::run::{
    Cache, ExecOptions, Executed, Outcome, Prepared, Reporter, RunStats, Shard, default_pack_memory, execute,
};

#[derive(Debug, Clone)]
pub struct RunArgs {
    pub paths: Vec<PathBuf>,
    pub jobs: usize,
    /// The largest pack of runs trained together (`--pack`).
    pub pack: usize,
    /// The estimated memory one pack's networks may take (`--pack-memory`;
    /// None: `run::default_pack_memory`).
    pub pack_memory: Option<u64>,
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

/// `causeway run`: every run of the experiments, then their tables.
pub fn run_command(args: &RunArgs) -> Result<Completion, Error> {
    let prepared = prepare_all(&args.paths, &args.root)?;
    let mut timings = Timings::new(&prepared);
    let (executed, failures) = execute_reporting(&prepared, args, Some(&mut timings))?;
    for (e, (p, outs)) in prepared.iter().zip(&executed.outcomes).enumerate() {
        write_experiment(p, outs, timings.of(e), &args.results)?;
    }
    write_index(&args.results)?;
    Ok(summarize_run(&executed.stats, &failures, args))
}

/// `causeway run --shard I/N`: compute the runs of one shard into the store and
/// write no tables (`causeway collect` does, once every shard is done).
pub fn run_shard_command(args: &RunArgs, shard: Shard) -> Result<Completion, Error> {
    let prepared = prepare_shard(&args.paths, &args.root, shard)?;
    // A shard writes no tables, so it keeps no timings.
    let (executed, failures) = execute_reporting(&prepared, args, None)?;
    Ok(summarize_shard(&executed.stats, &failures, args, shard))
}

/// Execute `prepared` with its reporters: the progress display, the failed runs
/// for the closing summary and, where tables are written, `timings`. Returns the
/// outcomes and the runner's statistics, or the error that stopped execution.
fn execute_reporting(
    prepared: &[Prepared],
    args: &RunArgs,
    timings: Option<&mut Timings<'_>>,
) -> Result<(Executed, FailureLog), Error> {
    let cache = Cache::new(&args.cache);
    let mut progress = Progress::new(args.progress);
    let mut failures = FailureLog::new();
    let mut reporters: Vec<&mut dyn Reporter> = vec![&mut progress, &mut failures];
    reporters.extend(timings.map(|t| t as &mut dyn Reporter));
    let jobs = args.jobs.max(1);
    let memory = args.pack_memory.unwrap_or_else(|| default_pack_memory(jobs));
    let opts = ExecOptions { jobs, fail_fast: args.fail_fast, pack: PackLimit { members: args.pack.max(1), memory } };
    let executed = execute(prepared, &cache, &opts, &mut reporters)?;
    Ok((executed, failures))
}

/// Internal errors outrank failed runs: they are bugs, and `make experiments`
/// (which accepts failed runs) must not accept them.
fn status_of(stats: &RunStats) -> Completion {
    if stats.internal > 0 {
        eprintln!("error: {} runs hit an internal error (a bug in causeway); they were not cached", stats.internal);
        Completion::Internal
    } else if stats.failed > 0 {
        Completion::Failed
    } else {
        Completion::Ok
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

fn summarize_shard(stats: &RunStats, failures: &FailureLog, args: &RunArgs, shard: Shard) -> Completion {
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

fn summarize_run(stats: &RunStats, failures: &FailureLog, args: &RunArgs) -> Completion {
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

/// Rebuild `results/index.html` from every results folder there, printing a
/// warning for an entry it could not read.
pub(super) fn write_index(results: &Path) -> Result<(), report::WriteError> {
    for warning in report::site::write_index(results)? {
        eprintln!("warning: {warning}");
    }
    Ok(())
}

/// Write the tables and the page of one experiment, unless some of its runs
/// were skipped (a `--fail-fast` stop): partial tables are never written. The
/// folder is replaced as a whole; a rerun that computed nothing keeps the old
/// timings. The page links the folder's files, and `site.json` is its line of
/// the index.
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
    let manifest = report::Manifest::new(exp, &p.runs, &p.data_files, &versions());
    // Model selection reads the runs' stored validation records only: no network is retrained.
    let selection = crate::run::select(exp, &p.runs, outcomes);
    let mut report_md = report::report_md(exp, &summary, &p.identification);
    report_md += &report::selection_md(exp, &selection);
    let mut files = vec![
        ("runs.csv", report::runs_csv(exp, &p.runs, outcomes)),
        ("summary.csv", report::summary_csv(exp, &summary)),
        ("report.md", report_md),
        ("table.tex", report::table_tex(exp, &summary)),
        ("manifest.yaml", manifest.to_yaml()),
    ];
    if exp.selection.is_some() {
        files.push(("selection.csv", report::selection_csv(exp, &selection)));
        files.push(("criteria.csv", report::criteria_csv(exp, &selection)));
    }
    if let Some(svg) = report::plot_svg(exp, &summary) {
        files.push(("plot.svg", svg));
    }
    let linked: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
    // The identification already succeeded when the experiment was prepared;
    // this is the same computation, kept as values for drawing.
    let graph = crate::run::identified_graph(exp).ok().flatten().map(|(g, id)| report::site::Picture::new(&g, &id));
    let page = report::site::experiment_page(&report::site::PageInput {
        experiment: exp,
        runs: &p.runs,
        outcomes,
        summary: &summary,
        identification: &p.identification,
        graph,
        manifest: &manifest,
        files: &linked,
    });
    files.push(("index.html", page));
    files.push((report::site::ENTRY_FILE, report::site::Entry::new(exp, &summary).to_json()));
    if !timings.is_empty() {
        files.push(("timings.csv", report::timings_csv(timings)));
    }
    report::replace_results(&results.join(&exp.name), &files, &["timings.csv"])
}
