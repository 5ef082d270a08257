//! d-separation (DAGs) and its extension m-separation (ADMGs), by the
//! "reachable" form of Bayes-ball (Koller and Friedman, *Probabilistic
//! Graphical Models*, 2009, algorithm 3.1, with bidirected edges treated as
//! arrowheads at both ends as in Richardson, 2003).
//!
//! Complexity: O(V + E). Each node is visited at most twice, once per way of
//! arriving at it (through an arrowhead or through a tail), after one
//! O(V + E) pass for the ancestors of the conditioning set.

use super::{NodeId, NodeSet, View};

/// Every node joined to some node of `x` by a path that is open given `z`
/// (m-connected), in `view`. Nodes of `x` are included only when some open
/// path returns to them. `x` and `z` should be disjoint.
pub fn m_connected(view: &View, x: &NodeSet, z: &NodeSet) -> NodeSet {
    let z = z.intersection(&view.within);
    let opens_collider = view.ancestors(&z);
    // Visited states: arrived at the node through an arrowhead, or a tail.
    let (mut by_head, mut by_tail) = (NodeSet::default(), NodeSet::default());
    let mut stack: Vec<(NodeId, bool)> = Vec::new();
    let mut reached = NodeSet::default();
    let mut push = |v: NodeId, head: bool, stack: &mut Vec<(NodeId, bool)>| {
        let fresh = if head { by_head.insert(v) } else { by_tail.insert(v) };
        if fresh {
            stack.push((v, head));
        }
    };
    for v in x.intersection(&view.within).iter() {
        leave(view, v, true, true, &mut |u, head| push(u, head, &mut stack));
    }
    while let Some((v, head)) = stack.pop() {
        reached.insert(v);
        let through_tail = !z.contains(v);
        let through_head = if head { opens_collider.contains(v) } else { through_tail };
        leave(view, v, through_tail, through_head, &mut |u, h| push(u, h, &mut stack));
    }
    reached
}

/// Whether `x` and `y` are m-separated (d-separated in a DAG) given `z`.
pub fn m_separated(view: &View, x: &NodeSet, y: &NodeSet, z: &NodeSet) -> bool {
    !m_connected(view, x, z).difference(z).intersects(y)
}

/// Step out of `v` along every edge allowed: edges with a tail at `v` when
/// `by_tail`, edges with an arrowhead at `v` when `by_head`. Calls `visit`
/// with the neighbour and whether the edge has an arrowhead at it.
fn leave(view: &View, v: NodeId, by_tail: bool, by_head: bool, visit: &mut impl FnMut(NodeId, bool)) {
    if by_tail {
        view.children(v).for_each(|c| visit(c, true));
    }
    if by_head {
        view.parents(v).for_each(|p| visit(p, false));
        view.siblings(v).for_each(|s| visit(s, true));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Admg;

    fn set(g: &Admg, names: &[&str]) -> NodeSet {
        names.iter().map(|n| g.id(n).unwrap()).collect()
    }

    #[test]
    fn collider_opens_when_a_descendant_is_observed() {
        // a -> c <- b, c -> d: a and b are d-separated marginally, not given d.
        let g = Admg::new(&["a", "b", "c", "d"], &[("a", "c"), ("b", "c"), ("c", "d")], &[]).unwrap();
        let v = View::full(&g);
        assert!(m_separated(&v, &set(&g, &["a"]), &set(&g, &["b"]), &NodeSet::default()));
        assert!(!m_separated(&v, &set(&g, &["a"]), &set(&g, &["b"]), &set(&g, &["d"])));
    }

    #[test]
    fn bidirected_chain_is_a_collider_path() {
        // a -> b <-> c <- d: open given {b, c}, blocked given {b} only.
        let g = Admg::new(&["a", "b", "c", "d"], &[("a", "b"), ("d", "c")], &[("b", "c")]).unwrap();
        let v = View::full(&g);
        let (a, d) = (set(&g, &["a"]), set(&g, &["d"]));
        assert!(m_separated(&v, &a, &d, &set(&g, &["b"])));
        assert!(!m_separated(&v, &a, &d, &set(&g, &["b", "c"])));
    }
}
