//! The optimal adjustment set ("O-set") of Henckel, Perković and Maathuis
//! (2022, JRSS-B 84(2), "Graphical criteria for efficient total effect
//! estimation via adjustment in causal linear models"):
//! `O = pa(cn) \ forb`, where `cn` are the nodes on causal paths from `x` to
//! `y` (`y` included) and `forb = De(cn) ∪ {x}`. Among all valid adjustment
//! sets it gives the smallest asymptotic variance, and it is valid whenever
//! any valid set exists.
//!
//! With bidirected edges this follows the construction of Runge (2021,
//! NeurIPS, "Necessary and sufficient graphical conditions for optimal
//! adjustment sets in causal graphical models with hidden variables"): the
//! parents are extended by the spouses reachable from `cn` along collider
//! paths, and their parents. In ADMGs that set is valid when a valid set
//! exists, but it is optimal only under the conditions of Runge's theorem 3,
//! which this module does not check; the report says so.
//!
//! Complexity: O(V·(V + E)) in the worst case (one m-connection search per
//! candidate spouse); O(V + E) without bidirected edges.

use super::{Admg, NodeId, NodeSet, View, is_backdoor_set, m_connected, minimal_adjustment_sets};

/// The O-set for the effect of `x` on `y`, or None when no valid backdoor set
/// exists. When `y` is not a descendant of `x` there is no causal path, the
/// O-set is undefined (every valid set estimates a zero effect), and the
/// minimal set nearest the treatment is returned instead.
pub fn optimal_adjustment_set(g: &Admg, x: NodeId, y: NodeId) -> Option<NodeSet> {
    let full = View::full(g);
    let xs = NodeSet::from_ids(0, [x]);
    let descendants_of_x = full.descendants(&xs);
    if !descendants_of_x.contains(y) {
        return minimal_adjustment_sets(g, x, y, 1).0.into_iter().next();
    }
    let causal = descendants_of_x.without(x).intersection(&full.ancestors(&xs.with(y))).with(y);
    let forbidden = full.descendants(&causal).with(x);
    let parents = parents_of(&full, &causal).difference(&forbidden);
    // Spouses that are descendants of x could only make a valid set that
    // breaks the backdoor rule of no descendants, so they never join.
    let excluded = forbidden.union(&descendants_of_x);
    let colliders = collider_extension(g, x, &causal, &parents, &excluded)?;
    let collider_parents = parents_of(&full, &colliders);
    if collider_parents.contains(x) {
        return None;
    }
    let set = parents.union(&colliders).union(&collider_parents).difference(&forbidden);
    is_backdoor_set(g, x, y, &set).then_some(set)
}

fn parents_of(view: &View, set: &NodeSet) -> NodeSet {
    set.iter().flat_map(|v| view.parents(v).collect::<Vec<_>>()).collect()
}

/// Spouses reachable from the causal nodes along bidirected edges through
/// admissible nodes (Runge 2021, definition of the O-set's collider part).
/// None when the treatment itself is such a spouse: then no set is valid.
fn collider_extension(g: &Admg, x: NodeId, causal: &NodeSet, parents: &NodeSet, excluded: &NodeSet) -> Option<NodeSet> {
    let full = View::full(g);
    let xs = NodeSet::from_ids(0, [x]);
    let valid_ancestors = full.ancestors(&xs.union(causal)).difference(excluded);
    let conditioning = parents.union(&valid_ancestors);
    let mut colliders = NodeSet::default();
    let mut rejected = NodeSet::default();
    let mut frontier: Vec<NodeId> = causal.iter().collect();
    while let Some(v) = frontier.pop() {
        for &s in g.siblings(v) {
            if s == x {
                return None;
            }
            if colliders.contains(s) || rejected.contains(s) {
                continue;
            }
            let admissible = !excluded.contains(s)
                && (valid_ancestors.contains(s) || !m_connected(&full, &xs, &conditioning.without(s)).contains(s));
            if admissible {
                colliders.insert(s);
                frontier.push(s);
            } else {
                rejected.insert(s);
            }
        }
    }
    Some(colliders)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_parents_of_the_outcome() {
        // Henckel et al. 2022, example: z1 -> x -> y, z1 -> z2 -> y. The O-set
        // is {z2} (parent of y), not {z1}: it explains outcome variance.
        let g = Admg::new(&["z1", "z2", "x", "y"], &[("z1", "x"), ("x", "y"), ("z1", "z2"), ("z2", "y")], &[]).unwrap();
        assert_eq!(optimal_adjustment_set(&g, 2, 3), Some(NodeSet::from_ids(4, [1])));
    }
}
