//! A directed acyclic graph whose acyclicity is checked at construction, so no
//! `Dag` value can hold a cycle.

use std::collections::HashMap;

use super::GraphError;

/// Index of a node inside its `Dag`.
pub type NodeId = usize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dag {
    names: Vec<String>,
    index: HashMap<String, NodeId>,
    parents: Vec<Vec<NodeId>>,
    children: Vec<Vec<NodeId>>,
    topo: Vec<NodeId>,
}

impl Dag {
    /// Build a DAG over `nodes` (in this order) with directed `edges` (from, to).
    ///
    /// Fails naming the offending node or edge: unknown endpoints, self-loops,
    /// duplicate edges, duplicate nodes, or a cycle (reported as its node list).
    /// O(V + E).
    pub fn new<S: AsRef<str>>(nodes: &[S], edges: &[(S, S)]) -> Result<Dag, GraphError> {
        let names: Vec<String> = nodes.iter().map(|s| s.as_ref().to_string()).collect();
        let mut index = HashMap::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            if index.insert(name.clone(), i).is_some() {
                return Err(GraphError::DuplicateNode { node: name.clone() });
            }
        }
        let lookup = |name: &str| index.get(name).copied().ok_or_else(|| super::suggest::unknown_node(name, &names));
        let mut parents = vec![Vec::new(); names.len()];
        let mut children = vec![Vec::new(); names.len()];
        for (from, to) in edges {
            let (a, b) = (lookup(from.as_ref())?, lookup(to.as_ref())?);
            if a == b {
                return Err(GraphError::SelfLoop { node: names[a].clone() });
            }
            if children[a].contains(&b) {
                return Err(GraphError::DuplicateEdge { from: names[a].clone(), to: names[b].clone() });
            }
            children[a].push(b);
            parents[b].push(a);
        }
        let topo = topological_order(&children)
            .map_err(|cycle| GraphError::Cycle { cycle: cycle.iter().map(|&i| names[i].clone()).collect() })?;
        Ok(Dag { names, index, parents, children, topo })
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn name(&self, id: NodeId) -> &str {
        &self.names[id]
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn id(&self, name: &str) -> Option<NodeId> {
        self.index.get(name).copied()
    }

    pub fn parents(&self, id: NodeId) -> &[NodeId] {
        &self.parents[id]
    }

    pub fn children(&self, id: NodeId) -> &[NodeId] {
        &self.children[id]
    }

    /// Nodes in an order where every parent comes before its children.
    pub fn topological_order(&self) -> &[NodeId] {
        &self.topo
    }

    /// All directed edges (parent, child).
    pub fn edges(&self) -> impl Iterator<Item = (NodeId, NodeId)> + '_ {
        self.children.iter().enumerate().flat_map(|(a, cs)| cs.iter().map(move |&b| (a, b)))
    }
}

/// Depth-first topological sort; on a cycle returns the cycle's nodes, closed
/// (the first node repeated at the end). O(V + E).
fn topological_order(children: &[Vec<NodeId>]) -> Result<Vec<NodeId>, Vec<NodeId>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let n = children.len();
    let mut mark = vec![Mark::New; n];
    let mut post = Vec::with_capacity(n);
    let mut path: Vec<(NodeId, usize)> = Vec::new();
    for root in 0..n {
        if mark[root] != Mark::New {
            continue;
        }
        mark[root] = Mark::Open;
        path.push((root, 0));
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            if let Some(&child) = children[node].get(*next) {
                *next += 1;
                match mark[child] {
                    Mark::New => {
                        mark[child] = Mark::Open;
                        path.push((child, 0));
                    }
                    Mark::Open => {
                        let start = path.iter().position(|&(v, _)| v == child).unwrap_or(0);
                        let mut cycle: Vec<NodeId> = path[start..].iter().map(|&(v, _)| v).collect();
                        cycle.push(child);
                        return Err(cycle);
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                post.push(node);
                path.pop();
            }
        }
    }
    post.reverse();
    Ok(post)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_parents_first() {
        let dag = Dag::new(&["y", "t", "x"], &[("x", "t"), ("x", "y"), ("t", "y")]).unwrap();
        let pos = |n: &str| dag.topological_order().iter().position(|&i| dag.name(i) == n).unwrap();
        assert!(pos("x") < pos("t") && pos("t") < pos("y"));
    }

    #[test]
    fn names_the_cycle() {
        let err = Dag::new(&["a", "b", "c"], &[("a", "b"), ("b", "c"), ("c", "a")]).unwrap_err();
        assert_eq!(err.to_string(), "the graph has a cycle: a -> b -> c -> a");
    }

    #[test]
    fn rejects_bad_edges() {
        assert!(matches!(Dag::new(&["a"], &[("a", "a")]), Err(GraphError::SelfLoop { .. })));
        assert!(matches!(Dag::new(&["a", "b"], &[("a", "b"), ("a", "b")]), Err(GraphError::DuplicateEdge { .. })));
        assert!(matches!(Dag::new(&["a"], &[("a", "z")]), Err(GraphError::UnknownNode { .. })));
    }
}
