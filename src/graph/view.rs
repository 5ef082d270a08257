//! A read-only view of an ADMG restricted to a node subset and with some edges
//! cut, as the criteria need: `G[S]` (induced subgraph), `G_{\underline X}`
//! (edges out of X removed) and `G_{\overline X}` (edges into X removed).
//! Views cost one bitset each instead of a copy of the graph.

use super::{Admg, NodeId, NodeSet};

#[derive(Debug, Clone)]
pub struct View<'g> {
    pub g: &'g Admg,
    /// Nodes of the induced subgraph.
    pub within: NodeSet,
    /// Nodes whose outgoing directed edges are removed.
    pub cut_out: NodeSet,
    /// Nodes whose incoming directed and bidirected edges are removed.
    pub cut_in: NodeSet,
}

impl<'g> View<'g> {
    /// The whole graph.
    pub fn full(g: &'g Admg) -> View<'g> {
        View { g, within: g.all(), cut_out: NodeSet::default(), cut_in: NodeSet::default() }
    }

    /// The subgraph induced by `within`.
    pub fn induced(g: &'g Admg, within: NodeSet) -> View<'g> {
        View { g, within, cut_out: NodeSet::default(), cut_in: NodeSet::default() }
    }

    /// This view with the directed edges out of `nodes` removed.
    pub fn cutting_out(&self, nodes: &NodeSet) -> View<'g> {
        View { cut_out: self.cut_out.union(nodes), ..self.clone() }
    }

    /// This view with the edges into `nodes` removed.
    pub fn cutting_in(&self, nodes: &NodeSet) -> View<'g> {
        View { cut_in: self.cut_in.union(nodes), ..self.clone() }
    }

    pub fn contains(&self, v: NodeId) -> bool {
        self.within.contains(v)
    }

    pub fn parents(&self, v: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let keep = self.contains(v) && !self.cut_in.contains(v);
        self.g.parents(v).iter().copied().filter(move |&p| keep && self.contains(p) && !self.cut_out.contains(p))
    }

    pub fn children(&self, v: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let keep = self.contains(v) && !self.cut_out.contains(v);
        self.g.children(v).iter().copied().filter(move |&c| keep && self.contains(c) && !self.cut_in.contains(c))
    }

    pub fn siblings(&self, v: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let keep = self.contains(v) && !self.cut_in.contains(v);
        self.g.siblings(v).iter().copied().filter(move |&s| keep && self.contains(s) && !self.cut_in.contains(s))
    }

    /// `from` and every node with a directed path into it. O(V + E).
    pub fn ancestors(&self, from: &NodeSet) -> NodeSet {
        self.closure(from, |v, out| out.extend(self.parents(v)))
    }

    /// `from` and every node reachable from it by a directed path. O(V + E).
    pub fn descendants(&self, from: &NodeSet) -> NodeSet {
        self.closure(from, |v, out| out.extend(self.children(v)))
    }

    /// The district (bidirected-connected component) of each node, as a list of
    /// disjoint sets ordered by their smallest id. O(V + E).
    pub fn districts(&self) -> Vec<NodeSet> {
        let mut seen = NodeSet::default();
        let mut out = Vec::new();
        for v in self.within.iter() {
            if seen.contains(v) {
                continue;
            }
            let district = self.closure(&NodeSet::from_ids(0, [v]), |u, next| next.extend(self.siblings(u)));
            seen.union_with(&district);
            out.push(district);
        }
        out
    }

    /// The district of `v`: nodes joined to it by bidirected paths. O(V + E).
    pub fn district(&self, v: NodeId) -> NodeSet {
        self.closure(&NodeSet::from_ids(0, [v]), |u, next| next.extend(self.siblings(u)))
    }

    /// Nodes in topological order.
    pub fn topological(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.g.topological_order().iter().copied().filter(|&v| self.contains(v))
    }

    /// Graph search from `from` (restricted to the view) following `step`.
    fn closure(&self, from: &NodeSet, step: impl Fn(NodeId, &mut Vec<NodeId>)) -> NodeSet {
        let mut seen = from.intersection(&self.within);
        let mut stack: Vec<NodeId> = seen.iter().collect();
        let mut next = Vec::new();
        while let Some(v) = stack.pop() {
            next.clear();
            step(v, &mut next);
            for &u in &next {
                if seen.insert(u) {
                    stack.push(u);
                }
            }
        }
        seen
    }
}
