//! `causeway collect`: build the result tables from the store alone, after the
//! shards of a sweep ran elsewhere (a Slurm array, GNU parallel, Kubernetes).
//! Nothing is computed here, so the tables are those `causeway run` writes from
//! the same records: byte for byte, since tables depend only on the outcomes.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::load::prepare_all;
use super::run::{write_experiment, write_index};
use super::{Completion, Error};
use crate::run::{Cache, Outcome, Prepared};

/// How many missing runs are listed one per line before "... and N more".
const LISTED: usize = 20;

#[derive(Debug, Clone)]
pub struct CollectArgs {
    pub paths: Vec<PathBuf>,
    pub results: PathBuf,
    pub cache: PathBuf,
    /// Directory holding `datasets/manifest.yaml`.
    pub root: PathBuf,
}

/// A planned run whose key has no record in the store.
struct Missing {
    experiment: String,
    label: String,
    key: String,
}

/// `causeway collect`. Missing runs are a verdict, not an error: the tables
/// of the complete experiments are written, and the missing runs listed.
pub fn collect_command(args: &CollectArgs) -> Result<Completion, Error> {
    let prepared = prepare_all(&args.paths, &args.root)?;
    let cache = Cache::new(&args.cache);
    let outcomes: Vec<Vec<Option<Outcome>>> =
        prepared.iter().map(|p| p.runs.iter().map(|r| cache.get(&r.key)).collect()).collect();
    // write_experiment skips an experiment with a missing run: no partial tables.
    for (p, outs) in prepared.iter().zip(&outcomes) {
        write_experiment(p, outs, &[], &args.results)?;
    }
    write_index(&args.results)?;
    let missing = missing_runs(&prepared, &outcomes);
    if !missing.is_empty() {
        eprint!("{}", missing_message(&missing, distinct_keys(&prepared), args));
        return Ok(Completion::Incomplete);
    }
    Ok(summarize(&outcomes, args))
}

/// `causeway report`: with experiments, `collect` them (tables and pages from
/// the store); then, or alone, rebuild `results/index.html` from every folder.
pub fn report_command(args: &CollectArgs) -> Result<Completion, Error> {
    if !args.paths.is_empty() {
        return collect_command(args);
    }
    write_index(&args.results)?;
    eprintln!("wrote {}", args.results.join("index.html").display());
    Ok(Completion::Ok)
}

fn distinct_keys(prepared: &[Prepared]) -> usize {
    prepared.iter().flat_map(|p| p.runs.iter().map(|r| r.key.as_str())).collect::<BTreeSet<_>>().len()
}

/// The missing runs in plan order, each key once.
fn missing_runs(prepared: &[Prepared], outcomes: &[Vec<Option<Outcome>>]) -> Vec<Missing> {
    let mut seen = BTreeSet::new();
    let mut missing = Vec::new();
    for (p, outs) in prepared.iter().zip(outcomes) {
        for (run, out) in p.runs.iter().zip(outs) {
            if out.is_none() && seen.insert(run.key.as_str()) {
                missing.push(Missing {
                    experiment: p.experiment.name.clone(),
                    label: run.label.clone(),
                    key: run.key.clone(),
                });
            }
        }
    }
    missing
}

fn missing_message(missing: &[Missing], total: usize, args: &CollectArgs) -> String {
    let mut text = format!("error: {} of {total} runs are not in the store {}:\n", missing.len(), args.cache.display());
    for m in missing.iter().take(LISTED) {
        text.push_str(&format!("  {} {} (key {}…)\n", m.experiment, m.label, m.key.get(..12).unwrap_or(&m.key)));
    }
    if missing.len() > LISTED {
        text.push_str(&format!("  ... and {} more\n", missing.len() - LISTED));
    }
    let experiments: BTreeSet<&str> = missing.iter().map(|m| m.experiment.as_str()).collect();
    let names: Vec<&str> = experiments.into_iter().collect();
    text.push_str(&format!("  no tables written for: {}\n", names.join(", ")));
    let paths: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
    text.push_str(&format!(
        "  help: run the missing shards again (finished runs are kept), or `causeway run {} --cache {}` to compute them here\n",
        paths.join(" "),
        args.cache.display()
    ));
    text
}

fn summarize(outcomes: &[Vec<Option<Outcome>>], args: &CollectArgs) -> Completion {
    let all = || outcomes.iter().flatten().flatten();
    let failed = all().filter(|o| o.is_failed()).count();
    let experiments =
        if outcomes.len() == 1 { "1 experiment".to_string() } else { format!("{} experiments", outcomes.len()) };
    eprintln!(
        "collected {} runs ({experiments}) from {}: {failed} failed; results in {}",
        all().count(),
        args.cache.display(),
        args.results.display()
    );
    if failed > 0 { Completion::Failed } else { Completion::Ok }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> CollectArgs {
        CollectArgs {
            paths: vec![PathBuf::from("sweep.yaml")],
            results: PathBuf::from("results"),
            cache: PathBuf::from("/shared/store"),
            root: PathBuf::from("."),
        }
    }

    fn missing(n: usize) -> Vec<Missing> {
        (0..n)
            .map(|i| Missing {
                experiment: format!("exp{}", i % 2),
                label: format!("r{i}/ols"),
                key: format!("{i:02}").repeat(32),
            })
            .collect()
    }

    #[test]
    fn lists_missing_runs_and_how_to_fill_them() {
        insta::assert_snapshot!(missing_message(&missing(2), 30, &args()), @r"
        error: 2 of 30 runs are not in the store /shared/store:
          exp0 r0/ols (key 000000000000…)
          exp1 r1/ols (key 010101010101…)
          no tables written for: exp0, exp1
          help: run the missing shards again (finished runs are kept), or `causeway run sweep.yaml --cache /shared/store` to compute them here
        ");
    }

    #[test]
    fn a_long_list_is_cut() {
        let text = missing_message(&missing(LISTED + 5), 100, &args());
        assert_eq!(text.lines().filter(|l| l.contains("(key ")).count(), LISTED);
        assert!(text.contains("  ... and 5 more\n"), "{text}");
    }
}
