//! Packs of runs: the runs left to compute are grouped by their estimators'
//! pack groups (`Estimator::pack_group`: networks of one architecture and
//! schedule, such as the replications of a configuration or sweep points that
//! differ only in a learning rate or a weight decay), and each pack is one item
//! of work for a worker, which prepares every member's data, trains the members'
//! networks together (`neural::pack`, which cuts them further into packs whose
//! estimated working set fits `--pack-memory`) and concludes each run by itself. Keys,
//! cache records and tables stay per run: a run's bytes are the same alone and
//! in any pack, so packing decides only how fast results come.

use super::events::RunId;
use super::outcome::Outcome;
use super::pipeline::{
    Prepared, Staged, Stop, caught, compute_outcome_within, conclude, estimator_rng, injected_fault, stage,
};
use crate::estimate::neural::pack::PackLimit;
use crate::estimate::{self, Estimate, EstimateError, Networks};

/// `causeway run`'s largest pack unless `--pack` says otherwise: what measured
/// fastest on the development machines (docs/benchmarks.md).
pub const DEFAULT_PACK: usize = 16;

/// The pack memory budget where the machine does not say how much it has.
const FALLBACK_PACK_MEMORY: u64 = 1 << 30;

/// The estimated memory one pack's networks may take unless `--pack-memory`
/// says otherwise: a quarter of the machine's memory (or of the process's
/// cgroup limit, if lower), shared by the `jobs` workers that each train one
/// pack at a time; 1 GiB where neither can be read. The rest is left to the
/// runs that train alone, the data and the program itself.
pub fn default_pack_memory(jobs: usize) -> u64 {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let machine = read("/proc/meminfo").and_then(|t| mem_total(&t));
    let cgroup = read("/sys/fs/cgroup/memory.max").and_then(|t| t.trim().parse::<u64>().ok());
    let Some(total) = [machine, cgroup].into_iter().flatten().min() else { return FALLBACK_PACK_MEMORY };
    total / 4 / jobs.max(1) as u64
}

/// `MemTotal` of /proc/meminfo, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find_map(|l| l.strip_prefix("MemTotal:"))?;
    let kib = line.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()?;
    kib.checked_mul(1024)
}

/// Split `pending` (in plan order) into packs of at most `max_pack` runs of one
/// pack group; runs without a group are packs of one. A group is cut into
/// packs of near-equal size, and into at least `jobs` of them where it has the
/// runs, so that one large group still keeps every worker busy. Packs come in
/// the order of their first run.
pub fn packs(experiments: &[Prepared], pending: &[RunId], max_pack: usize, jobs: usize) -> Vec<Vec<RunId>> {
    let max_pack = max_pack.max(1);
    // (group, its runs) in order of first appearance; None: a pack of its own.
    let mut groups: Vec<(Option<String>, Vec<RunId>)> = Vec::new();
    for &id in pending {
        let run = &experiments[id.experiment].runs[id.run];
        let group = if max_pack > 1 { pack_group(&run.kind, &run.hyper) } else { None };
        match group.as_ref().and_then(|g| groups.iter_mut().find(|(k, _)| k.as_ref() == Some(g))) {
            Some((_, members)) => members.push(id),
            None => groups.push((group, vec![id])),
        }
    }
    let mut out = Vec::new();
    for (_, members) in groups {
        let n = members.len();
        let count = n.div_ceil(max_pack).max(jobs.max(1)).min(n);
        // `count` packs whose sizes differ by one at most.
        let (base, extra) = (n / count, n % count);
        let mut rest = members.into_iter();
        for i in 0..count {
            out.push(rest.by_ref().take(base + usize::from(i < extra)).collect());
        }
    }
    out
}

/// The run's pack group; None where it trains alone (or its estimator cannot
/// even be built: computing it alone reports why).
fn pack_group(kind: &str, hyper: &estimate::Params) -> Option<String> {
    estimate::build(kind, hyper).ok()?.pack_group()
}

/// Compute every run of one pack; one outcome per run, in the pack's order.
/// Each run's bootstrap resamples and refuter refits train in packs of their
/// own within `limit` (`refit.rs`).
/// Preparing and concluding are each run's own (a panic there fails that run
/// only); a member whose training diverges fails alone, and only a panic
/// while the networks train together fails every run whose networks were in it.
pub fn compute_pack(experiments: &[Prepared], pack: &[RunId], limit: PackLimit) -> Vec<Outcome> {
    if let [id] = pack {
        let prepared = &experiments[id.experiment];
        return vec![compute_outcome_within(prepared, &prepared.runs[id.run], limit)];
    }
    let run = |id: &RunId| &experiments[id.experiment].runs[id.run];
    let mut outcomes: Vec<Option<Outcome>> = vec![None; pack.len()];
    let mut staged: Vec<Option<Staged>> = Vec::with_capacity(pack.len());
    // The members' networks, and for each, the position of its run.
    let (mut planned, mut owners): (Vec<Networks>, Vec<usize>) = (Vec::new(), Vec::new());
    let mut estimates: Vec<Option<Result<Estimate, EstimateError>>> = vec![None; pack.len()];
    for (i, id) in pack.iter().enumerate() {
        let r = run(id);
        let prepared = &experiments[id.experiment];
        let step = caught(&r.key, || {
            injected_fault(r);
            let s = stage(prepared, r)?;
            let networks = s.estimator.networks(&s.observed(), &mut estimator_rng(r));
            Ok::<_, Stop>((s, networks))
        });
        match step {
            Err(internal) => outcomes[i] = Some(*internal),
            Ok(Err(stop)) => outcomes[i] = Some(stop.outcome(r)),
            Ok(Ok((s, networks))) => {
                match networks {
                    Some(Ok(n)) => {
                        planned.push(n);
                        owners.push(i);
                    }
                    Some(Err(e)) => estimates[i] = Some(Err(e)),
                    // Not packable after all: its estimate is computed alone below.
                    None => {}
                }
                staged.push(Some(s));
                continue;
            }
        }
        staged.push(None);
    }
    let trained = caught(&run(&pack[0]).key, || estimate::neural::pack::estimate_packed(planned, limit));
    match trained {
        Ok(results) => owners.iter().zip(results).for_each(|(&i, e)| estimates[i] = Some(e)),
        Err(internal) => {
            for &i in &owners {
                outcomes[i] = Some(Outcome { key: run(&pack[i]).key.clone(), ..(*internal).clone() });
            }
        }
    }
    for (i, id) in pack.iter().enumerate() {
        if outcomes[i].is_some() {
            continue;
        }
        let (r, prepared) = (run(id), &experiments[id.experiment]);
        let Some(s) = staged[i].as_ref() else { continue };
        let concluded = caught(&r.key, || {
            let est = match estimates[i].take() {
                Some(est) => est,
                None => s.estimator.estimate(&s.observed(), &mut estimator_rng(r)),
            };
            conclude(prepared, r, s, est, limit)
        });
        outcomes[i] = Some(concluded.unwrap_or_else(|internal| *internal));
    }
    outcomes.into_iter().map(|o| o.expect("every member of a pack has an outcome")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::pipeline::prepared_from_yaml;

    /// Two replications of OLS and of TARNet swept over four learning rates and
    /// two representations.
    fn experiment() -> Prepared {
        let yaml = "name: p\nseed: 1\nreplications: 2\ndataset:\n  simulate:\n    n: 60\n    equations:\n      \
                    x: normal(0, 1)\n      t: bernoulli(sigmoid(x))\n      y: 2 * t + x + normal(0, 1)\n    \
                    treatment: t\n    outcome: y\nestimators:\n  - ols\n  - tarnet: { iterations: 5 }\n    \
                    sweep: { lr: [0.1, 0.2, 0.3, 0.4], representation: [[8], [9]] }\nmetrics: [ate]\n";
        prepared_from_yaml(yaml)
    }

    fn sizes(packs: &[Vec<RunId>]) -> Vec<usize> {
        packs.iter().map(Vec::len).collect()
    }

    /// A TARNet run's bootstrap resamples and refuter refits give the same
    /// outcome, bytes and all, trained one at a time and in packs of 3 (cut 3 + 1
    /// and 3 + 2): through `compute_pack` as the runner calls it, alone and
    /// beside a pack-mate of another replication.
    #[test]
    fn a_runs_refits_have_the_same_bytes_alone_and_in_packs() {
        let yaml = "name: r\nseed: 3\nreplications: 2\ndataset:\n  simulate:\n    n: 80\n    equations:\n      \
                    x: normal(0, 1)\n      t: bernoulli(sigmoid(x))\n      y: 2 * t + x + normal(0, 1)\n    \
                    treatment: t\n    outcome: y\nsplit: { test: 0.0, validation: 0.25 }\nestimators:\n  \
                    - tarnet: { iterations: 4, batch: 16, representation: [6], head: [4] }\n    bootstrap: 4\n\
                    robustness:\n  refuters: { simulations: 5, tests: [placebo_permute, random_common_cause] }\n\
                    metrics: [ate]\n";
        let e = prepared_from_yaml(yaml);
        let all = std::slice::from_ref(&e);
        let ids: Vec<RunId> = (0..e.runs.len()).map(|run| RunId { experiment: 0, run }).collect();
        assert_eq!(ids.len(), 2);
        let alone: Vec<Outcome> = ids.iter().flat_map(|&id| compute_pack(all, &[id], PackLimit::ALONE)).collect();
        for o in &alone {
            let names: Vec<&str> = o.robustness.iter().map(|(n, _)| n.as_str()).collect();
            assert!(names.contains(&"boot_se") && names.contains(&"refute_random_common_cause_p"), "{names:?}");
            assert!(o.robustness.iter().all(|(_, v)| v.is_some()), "{:?}", o.robustness);
        }
        let one_by_one: Vec<Outcome> =
            ids.iter().flat_map(|&id| compute_pack(all, &[id], PackLimit::members(3))).collect();
        assert_eq!(one_by_one, alone);
        assert_eq!(compute_pack(all, &ids, PackLimit::members(3)), alone);
    }

    #[test]
    fn the_machine_memory_is_read_from_meminfo() {
        let text = "MemTotal:       24591340 kB\nMemFree:          123456 kB\n";
        assert_eq!(mem_total(text), Some(24_591_340 * 1024));
        assert_eq!(mem_total("MemFree: 1 kB\n"), None);
        assert_eq!(mem_total("MemTotal: lots\n"), None);
        // Whatever the machine, a budget is positive and shrinks with more workers.
        let (one, four) = (default_pack_memory(1), default_pack_memory(4));
        assert!(four > 0 && four <= one, "{one} {four}");
    }

    #[test]
    fn runs_pack_by_architecture_and_schedule_never_by_per_member_values() {
        let e = experiment();
        let pending: Vec<RunId> = (0..e.runs.len()).map(|run| RunId { experiment: 0, run }).collect();
        assert_eq!(pending.len(), 2 * (1 + 8));
        let all = std::slice::from_ref(&e);
        // One group per representation (2 replications x 4 rates); each OLS run alone.
        let p = packs(all, &pending, 64, 1);
        assert_eq!(sizes(&p), vec![1, 8, 8, 1]);
        for pack in p.iter().filter(|p| p.len() > 1) {
            let runs: Vec<&crate::run::Run> = pack.iter().map(|id| &e.runs[id.run]).collect();
            assert!(runs.iter().all(|r| r.kind == "tarnet"));
            let rep = &runs[0].hyper["representation"];
            assert!(runs.iter().all(|r| &r.hyper["representation"] == rep), "mixed representations");
            let mut rates: Vec<String> = runs.iter().map(|r| r.hyper["lr"].to_string()).collect();
            rates.sort();
            rates.dedup();
            assert_eq!(rates.len(), 4, "every learning rate in one pack: {rates:?}");
        }
        // At most 3 a pack, cut evenly: 8 = 3 + 3 + 2.
        assert_eq!(sizes(&packs(all, &pending, 3, 1)), vec![1, 3, 3, 2, 3, 3, 2, 1]);
        // Five workers: each group is cut into five packs.
        assert_eq!(sizes(&packs(all, &pending, 64, 5)), vec![1, 2, 2, 2, 1, 1, 2, 2, 2, 1, 1, 1]);
        // --pack 1: every run alone, in plan order.
        assert_eq!(packs(all, &pending, 1, 1), pending.iter().map(|&id| vec![id]).collect::<Vec<_>>());
    }
}
