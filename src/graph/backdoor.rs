//! Pearl's backdoor criterion, and the enumeration of all minimal backdoor
//! (adjustment) sets.
//!
//! For one treatment `x` and one outcome `y`, `Z` satisfies the (generalized,
//! ADMG) backdoor criterion when it holds no descendant of `x` and m-separates
//! `x` from `y` in the graph without the edges out of `x`. For a single
//! treatment this is equivalent to the adjustment criterion of Shpitser,
//! VanderWeele and Robins (2010) restricted to the sets that minimal sets can be
//! (van der Zander, Liśkiewicz and Textor, 2019, lemma on minimal separators
//! lying in `An(x ∪ y)`), so the minimal sets listed here are all the minimal
//! valid adjustment sets.
//!
//! Enumeration works on the augmented (moral) graph of `An(x ∪ y)` in
//! `G_{\underline x}`, where m-separation by a set of ancestors becomes vertex
//! separation (Richardson, 2003). It lists the minimal vertex separators that
//! avoid the forbidden nodes (descendants of `x`) by the pivoting scheme of
//! Berry, Bordat and Cogis (1999): from each separator, moving one of its nodes
//! to the treatment's side and taking the closest separator beyond it.
//! Complexity: O(V²) to build the augmented graph, then O(V³) per set found
//! (polynomial delay); `limit` bounds the output, whose size can be exponential.

use std::collections::{BTreeSet, VecDeque};

use super::{Admg, NodeId, NodeSet, View, m_separated};

/// Whether `z` satisfies the backdoor criterion for the effect of `x` on `y`.
/// O(V + E).
pub fn is_backdoor_set(g: &Admg, x: NodeId, y: NodeId, z: &NodeSet) -> bool {
    let xs = NodeSet::from_ids(0, [x]);
    if z.contains(x) || z.contains(y) || View::full(g).descendants(&xs).intersects(z) {
        return false;
    }
    let backdoor_graph = View::full(g).cutting_out(&xs);
    m_separated(&backdoor_graph, &xs, &NodeSet::from_ids(0, [y]), z)
}

/// All inclusion-minimal backdoor sets for the effect of `x` on `y`, sorted by
/// size and then by id; at most `limit` of them (the flag says whether the
/// listing stopped there). Empty when no valid set exists.
pub fn minimal_adjustment_sets(g: &Admg, x: NodeId, y: NodeId, limit: usize) -> (Vec<NodeSet>, bool) {
    let Some(h) = Augmented::build(g, x, y) else {
        return (Vec::new(), false);
    };
    let mut found: BTreeSet<NodeSet> = BTreeSet::new();
    let mut queue = VecDeque::new();
    if let Some(first) = h.closest_separator(&NodeSet::from_ids(0, [x])) {
        found.insert(first.clone());
        queue.push_back(first);
    }
    let mut truncated = false;
    'search: while let Some(sep) = queue.pop_front() {
        let side = h.component(&NodeSet::from_ids(0, [x]), &sep);
        for v in sep.iter() {
            let Some(next) = h.closest_separator(&side.with(v)) else { continue };
            if found.contains(&next) {
                continue;
            }
            if found.len() == limit {
                truncated = true;
                break 'search;
            }
            found.insert(next.clone());
            queue.push_back(next);
        }
    }
    let mut sets: Vec<NodeSet> = found.into_iter().collect();
    sets.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.iter().cmp(b.iter())));
    (sets, truncated)
}

/// The undirected augmented graph of `An(x ∪ y)` in `G_{\underline x}`, with
/// the nodes that may not enter a backdoor set (descendants of `x`) marked.
struct Augmented {
    adjacent: Vec<NodeSet>,
    forbidden: NodeSet,
    target: NodeId,
}

impl Augmented {
    /// None when `x` and `y` are adjacent in it: then no set separates them.
    fn build(g: &Admg, x: NodeId, y: NodeId) -> Option<Augmented> {
        let xs = NodeSet::from_ids(0, [x]);
        let view = View::full(g).cutting_out(&xs);
        let ancestral = View { within: view.ancestors(&xs.with(y)), ..view };
        let mut adjacent = vec![NodeSet::default(); g.len()];
        let mut join = |a: NodeId, b: NodeId| {
            if a != b {
                adjacent[a].insert(b);
                adjacent[b].insert(a);
            }
        };
        for v in ancestral.within.iter() {
            ancestral.parents(v).collect::<Vec<_>>().into_iter().for_each(|p| join(p, v));
        }
        // Nodes joined by a collider path become adjacent: within a district
        // and its parents, every pair is joined by one.
        for district in ancestral.districts() {
            let mut members = district.clone();
            for d in district.iter() {
                members = members.union(&ancestral.parents(d).collect());
            }
            let ids: Vec<NodeId> = members.iter().collect();
            for (i, &a) in ids.iter().enumerate() {
                ids[i + 1..].iter().for_each(|&b| join(a, b));
            }
        }
        let forbidden = View::full(g).descendants(&xs).without(x).without(y).intersection(&ancestral.within);
        let h = Augmented { adjacent, forbidden, target: y };
        (!h.adjacent[x].contains(y)).then_some(h)
    }

    /// The minimal separator nearest to `side` (a connected set holding the
    /// treatment): forbidden nodes touching it join it, then its boundary is
    /// trimmed to the nodes that also touch the outcome's component.
    fn closest_separator(&self, side: &NodeSet) -> Option<NodeSet> {
        let side = self.component(side, &self.allowed_boundary(side));
        if side.contains(self.target) || self.neighbours(&side).contains(self.target) {
            return None;
        }
        let boundary = self.neighbours(&side);
        let far = self.component(&NodeSet::from_ids(0, [self.target]), &boundary);
        let near_far = self.neighbours(&far);
        Some(boundary.intersection(&near_far))
    }

    /// Every non-forbidden node, so that a component grown while avoiding
    /// them absorbs exactly the forbidden nodes it touches.
    fn allowed_boundary(&self, side: &NodeSet) -> NodeSet {
        let all: NodeSet = (0..self.adjacent.len()).collect();
        all.difference(&self.forbidden).difference(side)
    }

    /// Nodes adjacent to `set` and outside it.
    fn neighbours(&self, set: &NodeSet) -> NodeSet {
        let mut out = NodeSet::default();
        for v in set.iter() {
            out.union_with(&self.adjacent[v]);
        }
        out.difference(set)
    }

    /// The nodes reachable from `start` without entering `blocked`.
    fn component(&self, start: &NodeSet, blocked: &NodeSet) -> NodeSet {
        let mut seen = start.clone();
        let mut stack: Vec<NodeId> = start.iter().collect();
        while let Some(v) = stack.pop() {
            for u in self.adjacent[v].iter() {
                if !blocked.contains(u) && seen.insert(u) {
                    stack.push(u);
                }
            }
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confounder_must_be_adjusted() {
        // z -> x -> y, z -> y.
        let g = Admg::new(&["z", "x", "y"], &[("z", "x"), ("x", "y"), ("z", "y")], &[]).unwrap();
        assert!(!is_backdoor_set(&g, 1, 2, &NodeSet::default()));
        assert!(is_backdoor_set(&g, 1, 2, &NodeSet::from_ids(3, [0])));
        let (sets, truncated) = minimal_adjustment_sets(&g, 1, 2, 10);
        assert_eq!(sets, vec![NodeSet::from_ids(3, [0])]);
        assert!(!truncated);
    }
}
