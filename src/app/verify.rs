//! `causeway verify`: recompute stored runs and compare them with the cache bit
//! for bit: the guard against a numeric change whose algorithm version was not
//! bumped (the key would then still point at the old numbers).

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::load::prepare_all;
use super::{EXIT_FAILED_RUNS, EXIT_OK};
use crate::run::{execute_run, Cache, Outcome, Prepared, Run};

/// Which stored runs to recompute: all, or an evenly spaced sample of N.
fn pick(runs: &[(usize, usize)], sample: Option<usize>) -> Vec<(usize, usize)> {
    match sample {
        Some(n) if n < runs.len() => (0..n).map(|i| runs[i * runs.len() / n]).collect(),
        _ => runs.to_vec(),
    }
}

pub fn verify(paths: &[PathBuf], root: &Path, cache: &Path, jobs: usize, sample: Option<usize>) -> i32 {
    let prepared: Vec<Prepared> = match prepare_all(paths, root) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let cache = Cache::new(cache);
    let stored: Vec<(usize, usize)> = prepared
        .iter()
        .enumerate()
        .flat_map(|(e, p)| p.runs.iter().enumerate().map(move |(r, _)| (e, r)))
        .filter(|&(e, r)| cache.contains(&prepared[e].runs[r].key))
        .collect();
    let chosen = pick(&stored, sample);
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).start_handler(|_| crate::estimate::init_thread()).build() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot start worker threads: {e}");
            return EXIT_FAILED_RUNS;
        }
    };
    let mismatches: Vec<String> = pool.install(|| {
        chosen
            .par_iter()
            .filter_map(|&(e, r)| {
                let run = &prepared[e].runs[r];
                let again = execute_run(&prepared[e], run);
                let before = cache.get(&run.key)?;
                (again != before).then(|| describe(&prepared[e].experiment.name, run, &before, &again))
            })
            .collect()
    });
    println!("verified {} of {} stored runs: {} differ", chosen.len(), stored.len(), mismatches.len());
    for m in &mismatches {
        println!("  {m}");
    }
    if mismatches.is_empty() { EXIT_OK } else { EXIT_FAILED_RUNS }
}

fn describe(experiment: &str, run: &Run, before: &Outcome, again: &Outcome) -> String {
    let diff: Vec<String> = before
        .metrics
        .iter()
        .zip(&again.metrics)
        .filter(|(a, b)| a != b)
        .map(|((name, a), (_, b))| format!("{name}: stored {a:?}, recomputed {b:?}"))
        .collect();
    let detail = if diff.is_empty() { format!("stored {:?}, recomputed {:?}", before.status, again.status) } else { diff.join("; ") };
    format!("{experiment} {} (key {}): {detail}; bump the algorithm version of `{}` or its data source", run.label, &run.key[..12], run.kind)
}
