//! `causeway check`, `plan` and `identify`: read-only views of experiment files.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::load::{plan_all, plan_experiment};
use super::{EXIT_BAD_INPUT, EXIT_OK, discover, load_experiments};
use crate::run::{Run, Shard, shard_runs};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifyFormat {
    Text,
    Json,
}

fn files_or_exit(paths: &[PathBuf]) -> Result<Vec<PathBuf>, i32> {
    match discover(paths) {
        Ok(f) => Ok(f),
        Err(e) => {
            eprintln!("error: {e}");
            Err(EXIT_BAD_INPUT)
        }
    }
}

/// Validate every file without running anything. The run counts are those of
/// the plans, which are not expanded.
pub fn check(paths: &[PathBuf], root: &Path) -> i32 {
    let files = match files_or_exit(paths) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let (loaded, mut bad) = load_experiments(&files);
    for l in &loaded {
        match plan_experiment(&l.experiment, root) {
            Ok(p) => {
                println!("ok: {} ({}: {} runs)", l.file.display(), l.experiment.name, p.plan.len());
                if let Some(description) = p.prepared.source.describe() {
                    println!("  {description}");
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                bad = true;
            }
        }
    }
    if bad { EXIT_BAD_INPUT } else { EXIT_OK }
}

/// Print every run's label, key prefix and seed, or those of one shard. The
/// runs are written as they are expanded, never all held at once.
pub fn plan(paths: &[PathBuf], root: &Path, shard: Option<Shard>) -> i32 {
    let planned = match plan_all(paths, root) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mine = match shard.map(|s| shard_runs(&planned.iter().map(|p| &p.plan).collect::<Vec<_>>(), s)).transpose() {
        Ok(mine) => mine,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = planned.iter().enumerate().try_for_each(|(e, p)| match (&mine, shard) {
        (Some(mine), Some(shard)) => {
            writeln!(out, "{} ({} of {} runs, shard {shard})", p.plan.experiment().name, mine[e].len(), p.plan.len())?;
            p.plan.runs_at(&mine[e]).try_for_each(|run| write_run(&mut out, &run))
        }
        _ => {
            writeln!(out, "{} ({} runs)", p.plan.experiment().name, p.plan.len())?;
            p.plan.runs().try_for_each(|run| write_run(&mut out, &run))
        }
    });
    report_write_error(written.and_then(|()| out.flush()));
    EXIT_OK
}

fn write_run(out: &mut impl std::io::Write, run: &Run) -> std::io::Result<()> {
    writeln!(out, "  {:<60} {}  seed {}", run.label, &run.key[..12], run.seed)
}

/// A reader that stops early (`causeway plan | head`) closes the pipe; that
/// ends the output quietly instead of panicking like `println!`.
fn report_write_error(result: std::io::Result<()>) {
    if let Err(e) = result
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write to stdout: {e}");
    }
}

/// Write `text` to stdout, quietly stopping at a closed pipe.
fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    report_write_error(out.write_all(text.as_bytes()).and_then(|()| out.flush()));
}

/// Print the identification result of every experiment.
pub fn identify(paths: &[PathBuf], root: &Path, format: IdentifyFormat) -> i32 {
    let files = match files_or_exit(paths) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let (loaded, bad) = load_experiments(&files);
    if bad {
        return EXIT_BAD_INPUT;
    }
    let mut json = Vec::new();
    for l in &loaded {
        let data = crate::run::DataSource::read(&l.experiment, root).map(|s| s.describe().map(str::to_string));
        match crate::run::identification(&l.experiment, root).and_then(|found| data.map(|d| (found, d))) {
            Ok(((text, value), data)) => match format {
                IdentifyFormat::Text => {
                    emit(&format!("{}\n{}{}\n", l.experiment.name, data.map(|d| d + "\n").unwrap_or_default(), text))
                }
                IdentifyFormat::Json => json.push(
                    serde_json::json!({ "experiment": l.experiment.name, "data": data, "identification": value }),
                ),
            },
            Err(e) => {
                eprintln!("error: {}: {e}", l.experiment.name);
                return EXIT_BAD_INPUT;
            }
        }
    }
    if format == IdentifyFormat::Json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&json).unwrap_or_default()));
    }
    EXIT_OK
}
