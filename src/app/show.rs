//! `causeway check`, `plan` and `identify`: read-only views of experiment files.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::load::{plan_all, plan_experiment};
use super::{Completion, Error, discover, load_experiments};
use crate::run::{Run, Shard, shard_runs};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifyFormat {
    Text,
    Json,
    /// Graphviz's DOT language, one `digraph` per experiment with a graph.
    Dot,
}

/// Validate every file without running anything. The run counts are those of
/// the plans, which are not expanded.
/// Every error is printed as it is found, so that one check lists them all.
pub fn check_command(paths: &[PathBuf], root: &Path) -> Result<Completion, Error> {
    let files = discover(paths)?;
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
                bad += 1;
            }
        }
    }
    if bad > 0 { Err(Error::Rejected { count: bad }) } else { Ok(Completion::Ok) }
}

/// Print every run's label, key prefix and seed, or those of one shard. The
/// runs are written as they are expanded, never all held at once.
pub fn plan_command(paths: &[PathBuf], root: &Path, shard: Option<Shard>) -> Result<Completion, Error> {
    let planned = plan_all(paths, root)?;
    let mine = shard
        .map(|s| shard_runs(&planned.iter().map(|p| &p.plan).collect::<Vec<_>>(), s))
        .transpose()
        .map_err(Error::Shard)?;
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
    Ok(Completion::Ok)
}

fn write_run(out: &mut impl std::io::Write, run: &Run) -> std::io::Result<()> {
    writeln!(out, "  {:<60} {}  seed {}", run.label, &run.key[..12], run.seed)
}

/// A reader that stops early (`causeway plan | head`) closes the pipe; that
/// ends the output quietly instead of panicking like `println!`. Other write
/// errors are reported but leave the status alone: stdout is the reader's,
/// not a file causeway was asked to write.
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
pub fn identify_command(paths: &[PathBuf], root: &Path, format: IdentifyFormat) -> Result<Completion, Error> {
    let files = discover(paths)?;
    let (loaded, bad) = load_experiments(&files);
    if bad > 0 {
        return Err(Error::Rejected { count: bad });
    }
    let mut json = Vec::new();
    for l in &loaded {
        if format == IdentifyFormat::Dot {
            match crate::run::identified_graph(&l.experiment) {
                Ok(Some((g, id))) => emit(&crate::report::site::graph_dot(
                    &l.experiment.name,
                    &crate::report::site::Picture::new(&g, &id),
                )),
                Ok(None) => emit(&format!("// {}: no causal graph declared\n", l.experiment.name)),
                Err(source) => {
                    return Err(Error::Plan { experiment: l.experiment.name.clone(), source: Box::new(source) });
                }
            }
            continue;
        }
        let data = crate::run::DataSource::read(&l.experiment, root).map(|s| s.describe().map(str::to_string));
        match crate::run::identification(&l.experiment, root).and_then(|found| data.map(|d| (found, d))) {
            Ok(((text, value), data)) => match format {
                IdentifyFormat::Text | IdentifyFormat::Dot => {
                    emit(&format!("{}\n{}{}\n", l.experiment.name, data.map(|d| d + "\n").unwrap_or_default(), text))
                }
                IdentifyFormat::Json => json.push(
                    serde_json::json!({ "experiment": l.experiment.name, "data": data, "identification": value }),
                ),
            },
            Err(source) => {
                return Err(Error::Plan { experiment: l.experiment.name.clone(), source: Box::new(source) });
            }
        }
    }
    if format == IdentifyFormat::Json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&json).unwrap_or_default()));
    }
    Ok(Completion::Ok)
}
