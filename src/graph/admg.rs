//! An acyclic directed mixed graph (ADMG): directed edges for direct causes and
//! bidirected edges for unobserved common causes. Like `Dag`, a value of this
//! type cannot hold a directed cycle: construction checks it. Latent variables
//! never appear as nodes; `parse` projects them onto bidirected edges.

use std::collections::HashMap;

use super::{Dag, GraphError, NodeId, NodeSet, suggest::unknown_node};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admg {
    names: Vec<String>,
    index: HashMap<String, NodeId>,
    parents: Vec<Vec<NodeId>>,
    children: Vec<Vec<NodeId>>,
    siblings: Vec<Vec<NodeId>>,
    topo: Vec<NodeId>,
}

impl Admg {
    /// Build an ADMG over `nodes` with `directed` (from, to) and `bidirected`
    /// (either order) edges. Fails like `Dag::new`, and also on bidirected
    /// self-loops and bidirected edges listed twice. O(V + E).
    pub fn new<S: AsRef<str>>(nodes: &[S], directed: &[(S, S)], bidirected: &[(S, S)]) -> Result<Admg, GraphError> {
        let dag = Dag::new(nodes, directed)?;
        let mut pairs = Vec::with_capacity(bidirected.len());
        for (a, b) in bidirected {
            let lookup = |n: &str| dag.id(n).ok_or_else(|| unknown_node(n, dag.names()));
            pairs.push((lookup(a.as_ref())?, lookup(b.as_ref())?));
        }
        Admg::with_bidirected(&dag, &pairs)
    }

    /// The ADMG with the same nodes and directed edges as `dag`, no bidirected edges.
    pub fn from_dag(dag: &Dag) -> Admg {
        let names = dag.names().to_vec();
        let n = names.len();
        let index = names.iter().enumerate().map(|(i, s)| (s.clone(), i)).collect();
        let parents = (0..n).map(|v| sorted(dag.parents(v))).collect();
        let children = (0..n).map(|v| sorted(dag.children(v))).collect();
        Admg { names, index, parents, children, siblings: vec![Vec::new(); n], topo: dag.topological_order().to_vec() }
    }

    /// `dag` plus bidirected edges given as id pairs.
    pub(crate) fn with_bidirected(dag: &Dag, pairs: &[(NodeId, NodeId)]) -> Result<Admg, GraphError> {
        let mut g = Admg::from_dag(dag);
        for &(a, b) in pairs {
            if a == b {
                return Err(GraphError::BidirectedSelfLoop { node: g.names[a].clone() });
            }
            if g.siblings[a].contains(&b) {
                return Err(GraphError::DuplicateBidirected { a: g.names[a].clone(), b: g.names[b].clone() });
            }
            g.siblings[a].push(b);
            g.siblings[b].push(a);
        }
        for s in &mut g.siblings {
            s.sort_unstable();
        }
        Ok(g)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn name(&self, id: NodeId) -> &str {
        &self.names[id]
    }

    pub fn id(&self, name: &str) -> Option<NodeId> {
        self.index.get(name).copied()
    }

    /// The id of `name`, or an unknown-node error suggesting the closest name.
    pub fn require(&self, name: &str) -> Result<NodeId, GraphError> {
        self.id(name).ok_or_else(|| unknown_node(name, &self.names))
    }

    pub fn parents(&self, id: NodeId) -> &[NodeId] {
        &self.parents[id]
    }

    pub fn children(&self, id: NodeId) -> &[NodeId] {
        &self.children[id]
    }

    /// Nodes joined to `id` by a bidirected edge.
    pub fn siblings(&self, id: NodeId) -> &[NodeId] {
        &self.siblings[id]
    }

    /// Nodes in an order where every parent comes before its children.
    pub fn topological_order(&self) -> &[NodeId] {
        &self.topo
    }

    /// Directed edges (parent, child), parents in id order.
    pub fn directed_edges(&self) -> impl Iterator<Item = (NodeId, NodeId)> + '_ {
        self.children.iter().enumerate().flat_map(|(a, cs)| cs.iter().map(move |&b| (a, b)))
    }

    /// Bidirected edges, each once, as (smaller id, larger id).
    pub fn bidirected_edges(&self) -> impl Iterator<Item = (NodeId, NodeId)> + '_ {
        self.siblings.iter().enumerate().flat_map(|(a, ss)| ss.iter().filter(move |&&b| a < b).map(move |&b| (a, b)))
    }

    pub fn has_bidirected(&self) -> bool {
        self.siblings.iter().any(|s| !s.is_empty())
    }

    pub fn all(&self) -> NodeSet {
        NodeSet::full(self.len())
    }

    /// Names of the nodes in `set`, sorted, so that output is deterministic.
    pub fn sorted_names(&self, set: &NodeSet) -> Vec<String> {
        let mut names: Vec<String> = set.iter().map(|v| self.names[v].clone()).collect();
        names.sort();
        names
    }
}

fn sorted(ids: &[NodeId]) -> Vec<NodeId> {
    let mut v = ids.to_vec();
    v.sort_unstable();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_bidirected_edges_symmetric() {
        let g = Admg::new(&["x", "m", "y"], &[("x", "m"), ("m", "y")], &[("y", "x")]).unwrap();
        assert_eq!(g.siblings(0), &[2]);
        assert_eq!(g.siblings(2), &[0]);
        assert_eq!(g.bidirected_edges().collect::<Vec<_>>(), vec![(0, 2)]);
    }

    #[test]
    fn rejects_bad_bidirected_edges() {
        let err = Admg::new(&["a", "b"], &[], &[("a", "a")]).unwrap_err();
        assert!(matches!(err, GraphError::BidirectedSelfLoop { .. }));
        let err = Admg::new(&["a", "b"], &[], &[("a", "b"), ("b", "a")]).unwrap_err();
        assert!(matches!(err, GraphError::DuplicateBidirected { .. }));
        let err = Admg::new(&["age", "b"], &[], &[("agee", "b")]).unwrap_err();
        assert_eq!(err.to_string(), "unknown node `agee` (did you mean `age`?)");
    }
}
