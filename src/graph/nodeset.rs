//! A set of node ids stored as a bit vector: the graph algorithms take many
//! unions, differences and membership tests on small sets, and a bitset makes
//! each one a handful of word operations and keeps iteration in id order.

use super::NodeId;

/// A set of `NodeId`s below a fixed capacity, iterated in increasing order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NodeSet {
    words: Vec<u64>,
}

impl NodeSet {
    /// An empty set (ids of any size may be inserted later).
    pub fn empty(capacity: usize) -> NodeSet {
        NodeSet { words: Vec::with_capacity(capacity.div_ceil(64)) }
    }

    /// The set `{0, 1, ..., n - 1}`.
    pub fn full(n: usize) -> NodeSet {
        (0..n).collect()
    }

    pub fn from_ids(capacity: usize, ids: impl IntoIterator<Item = NodeId>) -> NodeSet {
        let mut set = NodeSet::empty(capacity);
        for id in ids {
            set.insert(id);
        }
        set
    }

    /// Adds `id`; returns whether it was new.
    pub fn insert(&mut self, id: NodeId) -> bool {
        let (w, b) = (id / 64, id % 64);
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        let fresh = self.words[w] & (1 << b) == 0;
        self.words[w] |= 1 << b;
        fresh
    }

    pub fn remove(&mut self, id: NodeId) {
        if let Some(word) = self.words.get_mut(id / 64) {
            *word &= !(1 << (id % 64));
        }
        self.trim();
    }

    pub fn contains(&self, id: NodeId) -> bool {
        self.words.get(id / 64).is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    pub fn iter(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.words
            .iter()
            .enumerate()
            .flat_map(|(w, &word)| (0..64).filter(move |b| word & (1 << b) != 0).map(move |b| w * 64 + b))
    }

    /// Adds every id of `other`, in place.
    pub fn union_with(&mut self, other: &NodeSet) {
        if other.words.len() > self.words.len() {
            self.words.resize(other.words.len(), 0);
        }
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w |= o;
        }
    }

    pub fn union(&self, other: &NodeSet) -> NodeSet {
        self.zip_with(other, |a, b| a | b)
    }

    pub fn intersection(&self, other: &NodeSet) -> NodeSet {
        self.zip_with(other, |a, b| a & b)
    }

    pub fn difference(&self, other: &NodeSet) -> NodeSet {
        self.zip_with(other, |a, b| a & !b)
    }

    pub fn is_subset(&self, other: &NodeSet) -> bool {
        self.difference(other).is_empty()
    }

    pub fn intersects(&self, other: &NodeSet) -> bool {
        !self.intersection(other).is_empty()
    }

    /// Same set with `id` added.
    pub fn with(&self, id: NodeId) -> NodeSet {
        let mut set = self.clone();
        set.insert(id);
        set
    }

    /// Same set with `id` removed.
    pub fn without(&self, id: NodeId) -> NodeSet {
        let mut set = self.clone();
        set.remove(id);
        set
    }

    fn zip_with(&self, other: &NodeSet, op: impl Fn(u64, u64) -> u64) -> NodeSet {
        let n = self.words.len().max(other.words.len());
        let get = |v: &Vec<u64>, i: usize| v.get(i).copied().unwrap_or(0);
        let words = (0..n).map(|i| op(get(&self.words, i), get(&other.words, i))).collect();
        let mut set = NodeSet { words };
        set.trim();
        set
    }

    /// Trailing zero words are dropped so that the derived `Eq`, `Ord` and
    /// `Hash` see equal sets as equal.
    fn trim(&mut self) {
        while self.words.last() == Some(&0) {
            self.words.pop();
        }
    }
}

impl FromIterator<NodeId> for NodeSet {
    fn from_iter<I: IntoIterator<Item = NodeId>>(iter: I) -> NodeSet {
        let mut set = NodeSet::default();
        for id in iter {
            set.insert(id);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_algebra_matches_btreeset() {
        let a = NodeSet::from_ids(130, [1, 5, 64, 129]);
        let b = NodeSet::from_ids(130, [5, 7, 129]);
        assert_eq!(a.union(&b).iter().collect::<Vec<_>>(), vec![1, 5, 7, 64, 129]);
        assert_eq!(a.intersection(&b).iter().collect::<Vec<_>>(), vec![5, 129]);
        assert_eq!(a.difference(&b).iter().collect::<Vec<_>>(), vec![1, 64]);
        assert_eq!(a.len(), 4);
        assert!(a.contains(64) && !a.contains(65));
        assert!(NodeSet::from_ids(130, [5]).is_subset(&b));
    }
}
