//! Sharding a plan across machines: `causeway run --shard I/N` computes only the
//! runs of shard I, and the content-addressed store joins the pieces again.
//!
//! The partition is over the distinct run keys of all experiments together (a run
//! two experiments share is computed once), sorted by (estimator kind, key) and
//! dealt round-robin. So every shard gets a like share of each estimator's runs
//! (neural runs cost far more than classical ones), sizes differ by at most one,
//! and the shards depend only on the set of runs, never on the order of the files.
//! Shards are numbered from 1, as in `sbatch --array=1-N`.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;

use super::RunError;
use super::pipeline::Prepared;
use super::plan::{DataKeys, Plan};

/// Shard `index` of `count` (1 <= index <= count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: usize,
    count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("expected I/N, two whole numbers such as 2/8 (shard 2 of 8), not `{0}`")]
    Syntax(String),
    #[error("the number of shards must be at least 1, not 0")]
    NoShards,
    #[error(
        "shards are numbered from 1: did you mean 1/{count}? (for 0-based indices, such as Kubernetes' JOB_COMPLETION_INDEX, add 1)"
    )]
    Zero { count: usize },
    #[error("shard {index} is past the last of {count} shards: use 1/{count} to {count}/{count}")]
    TooLarge { index: usize, count: usize },
}

impl Shard {
    pub fn new(index: usize, count: usize) -> Result<Shard, ShardError> {
        match (index, count) {
            (_, 0) => Err(ShardError::NoShards),
            (0, count) => Err(ShardError::Zero { count }),
            (index, count) if index > count => Err(ShardError::TooLarge { index, count }),
            (index, count) => Ok(Shard { index, count }),
        }
    }

    /// 1-based position of this shard.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn count(&self) -> usize {
        self.count
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Shard, ShardError> {
        let syntax = || ShardError::Syntax(text.to_string());
        let (i, n) = text.trim().split_once('/').ok_or_else(syntax)?;
        let number = |s: &str| s.trim().parse::<usize>().map_err(|_| syntax());
        Shard::new(number(i)?, number(n)?)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The keys of `shard` among the distinct (estimator kind, key) pairs of `runs`.
pub fn shard_keys<'a>(runs: impl IntoIterator<Item = (&'a str, &'a str)>, shard: Shard) -> BTreeSet<String> {
    let distinct: BTreeSet<(&str, &str)> = runs.into_iter().collect();
    distinct
        .into_iter()
        .enumerate()
        .filter(|(position, _)| position % shard.count == shard.index - 1)
        .map(|(_, (_, key))| key.to_string())
        .collect()
}

/// Every run of the prepared experiments as (estimator kind, key).
fn kinds_and_keys(experiments: &[Prepared]) -> impl Iterator<Item = (&str, &str)> {
    experiments.iter().flat_map(|p| p.runs.iter().map(|r| (r.kind.as_str(), r.key.as_str())))
}

/// Keep only the runs of `shard`, each key once: a run shared by two experiments
/// stays with the first, so no process computes a key twice.
pub fn restrict(mut experiments: Vec<Prepared>, shard: Shard) -> Vec<Prepared> {
    let mut mine = shard_keys(kinds_and_keys(&experiments), shard);
    for p in &mut experiments {
        p.runs.retain(|run| mine.remove(&run.key));
    }
    experiments
}

/// The keys of `shard` in the prepared experiments (for tools and tests that need
/// to know which runs a shard owns).
pub fn keys_of(experiments: &[Prepared], shard: Shard) -> BTreeSet<String> {
    shard_keys(kinds_and_keys(experiments), shard)
}

/// A run as the partition sees it: 40 bytes, where a `Run` takes a kilobyte or
/// more, so that a plan of ten million runs is dealt in 400 MB.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    /// The run key's bytes (its hex sorts as the bytes do).
    key: [u8; 32],
    /// The run's position over every plan, in order.
    id: u32,
    /// The rank of its estimator kind among the plans' kinds, in string order.
    kind: u8,
}

/// Datasets per parallel task when the keys are computed.
const DATASETS_PER_TASK: usize = 256;

/// The distinct runs of `plans`, each key once with the first run that has it,
/// in the order `shard_keys` deals them: (estimator kind, key).
fn dealt(plans: &[&Plan]) -> Result<Vec<Entry>, RunError> {
    let kinds: BTreeSet<&str> = plans.iter().flat_map(|p| (0..p.configs()).map(|c| p.config_kind(c))).collect();
    let total = plans.iter().try_fold(0usize, |n, p| n.checked_add(p.len())).unwrap_or(usize::MAX);
    let fail = |message: String| RunError::Shard { runs: total, message };
    if u32::try_from(total).is_err() || u8::try_from(kinds.len()).is_err() {
        return Err(fail(format!("at most {} runs and 256 estimator kinds can be dealt into shards", u32::MAX)));
    }
    let mut entries: Vec<Entry> = Vec::new();
    entries.try_reserve_exact(total).map_err(|_| {
        fail(format!(
            "{} MB of memory for their keys is not available",
            total * std::mem::size_of::<Entry>() / 1_000_000
        ))
    })?;
    entries.resize(total, Entry::default());
    let mut offset = 0;
    for plan in plans {
        let configs = plan.configs();
        let ranks: Vec<u8> =
            (0..configs).map(|c| kinds.iter().position(|k| *k == plan.config_kind(c)).unwrap_or(0) as u8).collect();
        entries[offset..offset + plan.len()].par_chunks_mut(DATASETS_PER_TASK * configs).enumerate().for_each(
            |(task, out)| {
                let mut data = DataKeys::new(plan);
                for (j, runs) in out.chunks_mut(configs).enumerate() {
                    let dataset = task * DATASETS_PER_TASK + j;
                    let data_key = data.key(dataset).0.to_string();
                    for (config, entry) in runs.iter_mut().enumerate() {
                        // Fits: total was checked against u32::MAX.
                        let id = (offset + dataset * configs + config) as u32;
                        *entry = Entry { key: plan.key_digest(config, &data_key), id, kind: ranks[config] };
                    }
                }
            },
        );
        offset += plan.len();
    }
    entries.par_sort_unstable_by(|a, b| (a.kind, a.key, a.id).cmp(&(b.kind, b.key, b.id)));
    // Equal keys are adjacent and the first kept has the smallest id.
    entries.dedup_by(|later, kept| later.key == kept.key && later.kind == kept.kind);
    Ok(entries)
}

/// The runs of `shard` among every run of `plans`, as ascending run indices of
/// each plan: the partition of `shard_keys` and `restrict` (a key that several
/// runs share belongs to the first of them), computed without expanding a run.
pub fn shard_runs(plans: &[&Plan], shard: Shard) -> Result<Vec<Vec<usize>>, RunError> {
    let dealt = dealt(plans)?;
    let mut mine: Vec<u32> = dealt.iter().skip(shard.index - 1).step_by(shard.count).map(|e| e.id).collect();
    drop(dealt);
    mine.sort_unstable();
    let mut out = Vec::with_capacity(plans.len());
    let (mut offset, mut next) = (0usize, 0usize);
    for plan in plans {
        let end = offset + plan.len();
        let start = next;
        while next < mine.len() && (mine[next] as usize) < end {
            next += 1;
        }
        out.push(mine[start..next].iter().map(|&id| id as usize - offset).collect());
        offset = end;
    }
    Ok(out)
}

/// How many distinct runs each of `count` shards of `plans` owns.
pub fn shard_sizes(plans: &[&Plan], count: usize) -> Result<Vec<usize>, RunError> {
    let distinct = dealt(plans)?.len();
    Ok((0..count).map(|i| distinct / count + usize::from(i < distinct % count)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> Result<Shard, String> {
        text.parse::<Shard>().map_err(|e| e.to_string())
    }

    #[test]
    fn parses_and_prints_shard_specs() {
        assert_eq!(parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(parse(" 1 / 1 "), Ok(Shard { index: 1, count: 1 }));
        assert_eq!(parse("4/4").map(|s| s.to_string()), Ok("4/4".to_string()));
    }

    #[test]
    fn bad_shard_specs_say_what_to_write() {
        let messages: Vec<String> = ["0/4", "5/4", "a/b", "3", "1/0", "-1/4"]
            .iter()
            .map(|t| format!("{t}: {}", parse(t).unwrap_err()))
            .collect();
        insta::assert_snapshot!(messages.join("\n"), @r"
        0/4: shards are numbered from 1: did you mean 1/4? (for 0-based indices, such as Kubernetes' JOB_COMPLETION_INDEX, add 1)
        5/4: shard 5 is past the last of 4 shards: use 1/4 to 4/4
        a/b: expected I/N, two whole numbers such as 2/8 (shard 2 of 8), not `a/b`
        3: expected I/N, two whole numbers such as 2/8 (shard 2 of 8), not `3`
        1/0: the number of shards must be at least 1, not 0
        -1/4: expected I/N, two whole numbers such as 2/8 (shard 2 of 8), not `-1/4`
        ");
    }

    fn keys(shard: &BTreeSet<String>) -> Vec<&str> {
        shard.iter().map(String::as_str).collect()
    }

    #[test]
    fn each_kind_is_dealt_across_the_shards() {
        // Two expensive runs and four cheap ones over two shards: one expensive each.
        let runs = [("tarnet", "a1"), ("tarnet", "f2"), ("ols", "b1"), ("ols", "c2"), ("ols", "d3"), ("ols", "e4")];
        let first = shard_keys(runs.iter().copied(), Shard::new(1, 2).unwrap());
        let second = shard_keys(runs.iter().copied(), Shard::new(2, 2).unwrap());
        assert_eq!(keys(&first), ["a1", "b1", "d3"]);
        assert_eq!(keys(&second), ["c2", "e4", "f2"]);
    }

    #[test]
    fn a_key_listed_twice_is_owned_once() {
        let runs = [("ols", "k1"), ("ols", "k1"), ("ols", "k2")];
        let shards: Vec<BTreeSet<String>> =
            (1..=2).map(|i| shard_keys(runs.iter().copied(), Shard::new(i, 2).unwrap())).collect();
        assert_eq!(keys(&shards[0]), ["k1"]);
        assert_eq!(keys(&shards[1]), ["k2"]);
    }

    /// A run's kind is a function of its key in a real plan (the key hashes it).
    fn kind_of(key: &str) -> &'static str {
        ["ols", "aipw", "tarnet"][key.bytes().map(usize::from).sum::<usize>() % 3]
    }

    fn pairs(runs: &[String]) -> Vec<(&'static str, &str)> {
        runs.iter().map(|k| (kind_of(k), k.as_str())).collect()
    }

    fn small(name: &str, replications: u32) -> Plan {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/experiments/small.yaml");
        let mut exp = crate::spec::validate(&crate::spec::load(&path).unwrap()).unwrap();
        (exp.name, exp.replications) = (name.into(), replications);
        let ctx = super::super::PlanContext {
            data_files: vec![],
            libtorch: "2.11.0".into(),
            numerics: crate::numerics::NumericIdentity::portable(),
        };
        Plan::new(&exp, &ctx).unwrap()
    }

    /// `shard_runs` deals as `restrict` does on the expanded runs, a key shared by
    /// two experiments (the same runs under two names) owned by the first.
    #[test]
    fn shards_of_plans_are_the_shards_of_their_runs() {
        let plans = [small("a", 2), small("b", 3), small("c", 1)];
        let plans: Vec<&Plan> = plans.iter().collect();
        let runs: Vec<Vec<super::super::Run>> = plans.iter().map(|p| p.runs().collect()).collect();
        for count in [1, 2, 3, 7, 200] {
            let mut sizes = Vec::new();
            for index in 1..=count {
                let shard = Shard::new(index, count).unwrap();
                let mut mine = shard_keys(runs.iter().flatten().map(|r| (r.kind.as_str(), r.key.as_str())), shard);
                sizes.push(mine.len());
                let expected: Vec<Vec<usize>> = runs
                    .iter()
                    .map(|rs| rs.iter().enumerate().filter(|(_, r)| mine.remove(&r.key)).map(|(i, _)| i).collect())
                    .collect();
                assert_eq!(shard_runs(&plans, shard).unwrap(), expected, "shard {shard}");
            }
            assert_eq!(shard_sizes(&plans, count).unwrap(), sizes, "{count} shards");
        }
        // Experiment b repeats a's two replications: a owns them, b only its third.
        let all = shard_runs(&plans, Shard::new(1, 1).unwrap()).unwrap();
        assert_eq!(all.iter().map(Vec::len).collect::<Vec<_>>(), [20, 10, 0]);
    }

    proptest! {
        #[test]
        fn shards_partition_the_distinct_keys_evenly(runs in prop::collection::vec("[0-9a-f]{1,2}", 0..80), count in 1usize..9, rotate in 0usize..80) {
            let shards: Vec<BTreeSet<String>> = (1..=count).map(|i| shard_keys(pairs(&runs), Shard::new(i, count).unwrap())).collect();
            let distinct: BTreeSet<String> = runs.iter().cloned().collect();
            let union: BTreeSet<String> = shards.iter().flatten().cloned().collect();
            prop_assert_eq!(&union, &distinct);
            // Disjoint: no key counted twice.
            prop_assert_eq!(shards.iter().map(BTreeSet::len).sum::<usize>(), distinct.len());
            let sizes: Vec<usize> = shards.iter().map(BTreeSet::len).collect();
            let (min, max) = (sizes.iter().min().copied().unwrap_or(0), sizes.iter().max().copied().unwrap_or(0));
            prop_assert!(max - min <= 1, "sizes {:?}", sizes);
            // The same runs in another order (files listed differently) give the same shards.
            let mut reordered = runs.clone();
            let len = reordered.len().max(1);
            reordered.rotate_left(rotate % len);
            reordered.reverse();
            for (i, shard) in shards.iter().enumerate() {
                prop_assert_eq!(&shard_keys(pairs(&reordered), Shard::new(i + 1, count).unwrap()), shard);
            }
        }
    }
}
