//! `causeway verify`: check every stored record of the given experiments and
//! recompute them, telling two different faults apart:
//!
//! - a **damaged** record (its content no longer matches its checksum, or it is
//!   torn or of another key): the store was altered outside causeway. `--repair`
//!   recomputes it and replaces the record.
//! - a **numeric change** (the record is intact, but recomputing the run gives
//!   other numbers): the code changed without an algorithm-version bump, so the key
//!   still points at the old numbers. Repairing is not the fix; bumping is.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::load::prepare_all;
use super::{Completion, Error};
use crate::run::{Cache, Executor, Lookup, Outcome, Prepared, Run, RunError, compute_outcome};

/// What `causeway verify` is asked to do.
#[derive(Debug, Clone)]
pub struct VerifyArgs {
    pub paths: Vec<PathBuf>,
    pub root: PathBuf,
    pub cache: PathBuf,
    pub jobs: usize,
    /// Recompute an evenly spaced sample of N intact records instead of all.
    pub sample: Option<usize>,
    /// Recompute damaged records and replace them.
    pub repair: bool,
}

/// Which stored runs to recompute: all, or an evenly spaced sample of N.
fn pick(runs: &[(usize, usize)], sample: Option<usize>) -> Vec<(usize, usize)> {
    match sample {
        Some(n) if n < runs.len() => (0..n).map(|i| runs[i * runs.len() / n]).collect(),
        _ => runs.to_vec(),
    }
}

/// `causeway verify`: numeric changes and damaged records left unrepaired are
/// its verdict (`Completion::Failed`), printed with the counts.
pub fn verify_command(args: &VerifyArgs) -> Result<Completion, Error> {
    let prepared: Vec<Prepared> = prepare_all(&args.paths, &args.root)?;
    let cache = Cache::new(&args.cache);
    let (mut intact, mut damaged) = (Vec::new(), Vec::new());
    for (e, p) in prepared.iter().enumerate() {
        for (r, run) in p.runs.iter().enumerate() {
            match cache.lookup(&run.key) {
                Lookup::Hit(_) => intact.push((e, r)),
                Lookup::Damaged { path, reason } => damaged.push(((e, r), path, reason)),
                Lookup::Missing => {}
            }
        }
    }
    // A key shared by several runs (the same configuration in two experiments) is checked once.
    let mut seen = BTreeSet::new();
    intact.retain(|&(e, r)| seen.insert(prepared[e].runs[r].key.as_str()));
    let chosen = pick(&intact, args.sample);
    // The runner's own worker pool, so a recomputed run sees the libtorch threading it was first computed with.
    let executor = Executor::new(args.jobs)?;
    let changed: Vec<String> = executor
        .map(&chosen, |&(e, r)| {
            let run = &prepared[e].runs[r];
            let again = compute_outcome(&prepared[e], run);
            let before = cache.get(&run.key)?;
            (again != before).then(|| describe(&prepared[e].experiment.name, run, &before, &again))
        })
        .into_iter()
        .flatten()
        .collect();
    // A recomputation that hit a bug of ours (a panic) is not stored, as in
    // `causeway run`: the record stays damaged and a fixed causeway recomputes it.
    let repaired: Vec<Result<Option<String>, RunError>> = if args.repair {
        executor.map(&damaged, |((e, r), _, _)| {
            let outcome = compute_outcome(&prepared[*e], &prepared[*e].runs[*r]);
            if outcome.internal {
                return Ok(Some(format!("{} {}", prepared[*e].experiment.name, prepared[*e].runs[*r].label)));
            }
            cache.put(&outcome).map(|()| None)
        })
    } else {
        Vec::new()
    };
    println!(
        "verified {} of {} intact stored runs: {} differ (numeric changes); {} damaged records",
        chosen.len(),
        intact.len(),
        changed.len(),
        damaged.len()
    );
    for m in &changed {
        println!("  numeric change: {m}");
    }
    for ((e, r), path, reason) in &damaged {
        println!(
            "  damaged: {} {} ({}): {reason}",
            prepared[*e].experiment.name,
            prepared[*e].runs[*r].label,
            path.display()
        );
    }
    // The report above is printed first, so that a failed repair still shows what was found.
    let unstored: Vec<String> =
        repaired.into_iter().collect::<Result<Vec<_>, RunError>>()?.into_iter().flatten().collect();
    if args.repair && !damaged.is_empty() {
        println!("repaired {} damaged records (recomputed and replaced)", damaged.len() - unstored.len());
        for label in &unstored {
            println!(
                "  not repaired: {label}: its recomputation hit an internal error (a bug in causeway), which is never stored"
            );
        }
    } else if !damaged.is_empty() {
        println!(
            "  help: the store was altered outside causeway (a disk error or an edit); `causeway run` recomputes such records, or run `causeway verify --repair` to replace them now"
        );
    }
    if chosen.is_empty() && damaged.is_empty() {
        return Err(Error::NothingStored { cache: args.cache.clone() });
    }
    let unrepaired = !damaged.is_empty() && !args.repair;
    Ok(if !unstored.is_empty() {
        Completion::Internal
    } else if changed.is_empty() && !unrepaired {
        Completion::Ok
    } else {
        Completion::Failed
    })
}

fn describe(experiment: &str, run: &Run, before: &Outcome, again: &Outcome) -> String {
    let diff: Vec<String> = before
        .metrics
        .iter()
        .zip(&again.metrics)
        .filter(|(a, b)| a != b)
        .map(|((name, a), (_, b))| format!("{name}: stored {a:?}, recomputed {b:?}"))
        .collect();
    let detail = if diff.is_empty() {
        format!("stored {:?}, recomputed {:?}", before.status, again.status)
    } else {
        diff.join("; ")
    };
    format!(
        "{experiment} {} (key {}): {detail}; bump the algorithm version of `{}` or its data source",
        run.label,
        &run.key[..12],
        run.kind
    )
}

#[cfg(test)]
mod tests {
    use super::pick;

    #[test]
    fn a_sample_is_evenly_spaced_and_never_larger_than_the_store() {
        let runs: Vec<(usize, usize)> = (0..10).map(|r| (0, r)).collect();
        assert_eq!(pick(&runs, Some(3)), [(0, 0), (0, 3), (0, 6)]);
        assert_eq!(pick(&runs, Some(20)).len(), 10);
        assert_eq!(pick(&runs, None).len(), 10);
    }
}
