//! Pearl's front-door criterion (Pearl, *Causality*, 2nd ed., 2009, def.
//! 3.3.3 and theorem 3.3.4): `Z` is a front-door set for `(x, y)` when
//! (i) `Z` intercepts every directed path from `x` to `y`,
//! (ii) there is no open backdoor path from `x` to `Z`, and
//! (iii) every backdoor path from `Z` to `y` is blocked by `x`.
//! Then `P(y | do(x)) = Σ_z P(z | x) Σ_x' P(y | x', z) P(x')`.
//!
//! Finding a set follows Jeong, Tian and Bareinboim (2022, NeurIPS, "Finding
//! and listing front-door adjustment sets"): start from every node with no
//! open backdoor path from `x`, drop the nodes with an open backdoor path to
//! `y` given `x` until none is left, and test (i); the maximal set found
//! exists whenever any front-door set does. It is then pruned greedily so the
//! reported set is one no single node of which can be dropped.
//! Complexity: O(V·(V + E)) to find, O(V²·(V + E)) with the pruning.

use super::{Admg, NodeId, NodeSet, View, m_connected, m_separated};

/// Whether `z` (non-empty) satisfies the front-door criterion for `(x, y)`.
/// O(V + E).
pub fn is_front_door(g: &Admg, x: NodeId, y: NodeId, z: &NodeSet) -> bool {
    if z.is_empty() || z.contains(x) || z.contains(y) {
        return false;
    }
    let full = View::full(g);
    let xs = NodeSet::from_ids(0, [x]);
    let ys = NodeSet::from_ids(0, [y]);
    let without_z = View::induced(g, g.all().difference(z));
    let intercepts = !without_z.descendants(&xs).contains(y);
    let no_backdoor_into_z = m_separated(&full.cutting_out(&xs), &xs, z, &NodeSet::default());
    let x_blocks_z_to_y = m_separated(&full.cutting_out(z), z, &ys, &xs);
    intercepts && no_backdoor_into_z && x_blocks_z_to_y
}

/// A front-door set for `(x, y)`, or None when none exists.
pub fn find_front_door(g: &Admg, x: NodeId, y: NodeId) -> Option<NodeSet> {
    let full = View::full(g);
    let xs = NodeSet::from_ids(0, [x]);
    let ys = NodeSet::from_ids(0, [y]);
    let reached_from_x = m_connected(&full.cutting_out(&xs), &xs, &NodeSet::default());
    let mut z = g.all().difference(&reached_from_x).without(x).without(y);
    loop {
        let open_to_y = m_connected(&full.cutting_out(&z), &ys, &xs);
        let bad = z.intersection(&open_to_y);
        if bad.is_empty() {
            break;
        }
        z = z.difference(&bad);
    }
    if !is_front_door(g, x, y, &z) {
        return None;
    }
    // The criterion is not monotone in Z, so dropping one node can make
    // another droppable: repeat until no single node can go.
    loop {
        let smaller = z.iter().map(|v| z.without(v)).find(|s| is_front_door(g, x, y, s));
        match smaller {
            Some(s) => z = s,
            None => break,
        }
    }
    Some(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_mediator_of_the_front_door_graph() {
        // Pearl 2009, fig. 3.5: x -> m -> y with x <-> y.
        let g = Admg::new(&["x", "m", "y"], &[("x", "m"), ("m", "y")], &[("x", "y")]).unwrap();
        assert_eq!(find_front_door(&g, 0, 2), Some(NodeSet::from_ids(3, [1])));
        // A confounded mediator breaks condition (ii).
        let g = Admg::new(&["x", "m", "y"], &[("x", "m"), ("m", "y")], &[("x", "y"), ("x", "m")]).unwrap();
        assert_eq!(find_front_door(&g, 0, 2), None);
    }
}
