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

use super::pipeline::Prepared;

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
    #[error("shards are numbered from 1: did you mean 1/{count}? (for 0-based indices, such as Kubernetes' JOB_COMPLETION_INDEX, add 1)")]
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
        let messages: Vec<String> = ["0/4", "5/4", "a/b", "3", "1/0", "-1/4"].iter().map(|t| format!("{t}: {}", parse(t).unwrap_err())).collect();
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
        let shards: Vec<BTreeSet<String>> = (1..=2).map(|i| shard_keys(runs.iter().copied(), Shard::new(i, 2).unwrap())).collect();
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
