//! Parsing the spec's edge list (`"a -> b"`, `"a <- b"`, `"a <-> b"`) into an
//! ADMG, with latent variables projected away (Verma and Pearl, 1990; Tian and
//! Pearl, 2002): over the observed nodes, `a -> b` when a directed path runs
//! from `a` to `b` through latent nodes only, and `a <-> b` when a path with
//! arrowheads at both ends runs between them through latent non-colliders
//! only. The projection preserves every m-separation and every identification
//! answer among observed nodes.
//!
//! Errors carry the index of the offending edge string and a byte offset in
//! it (`GraphError::At`). Complexity: O(V·(V + E)) for the projection,
//! O(V + E) without latent nodes.

use std::collections::{BTreeSet, HashMap};

use super::suggest::unknown_node;
use super::{Admg, Dag, GraphError, NodeId};

/// The graph part of an experiment spec. When `observed` is empty, the
/// observed nodes are the names used in `edges` that are not `latent`, in
/// order of first appearance.
#[derive(Debug, Clone, Copy)]
pub struct GraphSpec<'a> {
    pub edges: &'a [String],
    pub latent: &'a [String],
    pub observed: &'a [String],
}

/// One parsed edge string: endpoints, kind, and where each endpoint starts.
struct Edge<'s> {
    from: (&'s str, usize),
    to: (&'s str, usize),
    bidirected: bool,
}

/// Parse `spec` into an ADMG over the observed nodes.
pub fn parse_graph(spec: &GraphSpec) -> Result<Admg, GraphError> {
    let edges: Vec<Edge> = spec
        .edges
        .iter()
        .enumerate()
        .map(|(i, text)| parse_edge(text).map_err(|(offset, e)| at(spec, i, offset, e)))
        .collect::<Result<_, _>>()?;
    let names = node_names(spec, &edges)?;
    let index: HashMap<&str, NodeId> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
    let mut directed: Vec<(NodeId, NodeId, usize)> = Vec::new();
    let mut bidirected: Vec<(NodeId, NodeId, usize)> = Vec::new();
    for (i, e) in edges.iter().enumerate() {
        let lookup = |(name, offset): (&str, usize)| {
            index.get(name).copied().ok_or_else(|| at(spec, i, offset, unknown_node(name, &names)))
        };
        let (a, b) = (lookup(e.from)?, lookup(e.to)?);
        check_new_edge(spec, i, &names, (a, b), e.bidirected, &directed, &bidirected)?;
        if e.bidirected { bidirected.push((a, b, i)) } else { directed.push((a, b, i)) }
    }
    let pairs: Vec<(&str, &str)> = directed.iter().map(|&(a, b, _)| (names[a].as_str(), names[b].as_str())).collect();
    let full = Dag::new(&names.iter().map(String::as_str).collect::<Vec<_>>(), &pairs)
        .map_err(|e| locate_cycle(spec, e, &names, &directed))?;
    let observed = names.len() - spec.latent.len();
    let sides: Vec<(NodeId, NodeId)> = bidirected.iter().map(|&(a, b, _)| (a, b)).collect();
    if observed == names.len() {
        return Admg::with_bidirected(&full, &sides);
    }
    project(&full, &sides, observed)
}

/// Parse `a -> b`, `a <- b` or `a <-> b`; on error, the byte offset and error.
fn parse_edge(text: &str) -> Result<Edge<'_>, (usize, GraphError)> {
    let syntax = |offset: usize, message: String| (offset, GraphError::Syntax { message });
    let (from, rest) = name_at(text, skip_space(text, 0)).map_err(|o| syntax(o, expected_name(text, o)))?;
    let arrow_at = skip_space(text, rest);
    let arrows = [("<->", true, false), ("->", false, false), ("<-", false, true)];
    let Some(&(arrow, bidirected, reversed)) = arrows.iter().find(|(a, ..)| text[arrow_at..].starts_with(a)) else {
        let found = describe(text, arrow_at);
        return Err(syntax(arrow_at, format!("expected `->`, `<-` or `<->` after `{}`, found {found}", from.0)));
    };
    let name_start = skip_space(text, arrow_at + arrow.len());
    let (to, end) = name_at(text, name_start).map_err(|o| syntax(o, expected_name(text, o)))?;
    let end = skip_space(text, end);
    if end < text.len() {
        let found = describe(text, end);
        return Err(syntax(end, format!("unexpected {found} after the edge; write one edge per entry")));
    }
    let (from, to) = if reversed { (to, from) } else { (from, to) };
    Ok(Edge { from, to, bidirected })
}

/// The node name starting at `start` and the offset after it, or the offset
/// where a name was expected.
fn name_at(text: &str, start: usize) -> Result<((&str, usize), usize), usize> {
    let len =
        text[start..].find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')).unwrap_or(text.len() - start);
    if len == 0 { Err(start) } else { Ok(((&text[start..start + len], start), start + len)) }
}

fn skip_space(text: &str, from: usize) -> usize {
    from + text[from..].len() - text[from..].trim_start().len()
}

fn expected_name(text: &str, offset: usize) -> String {
    format!("expected a node name (letters, digits, `_`, `.`), found {}", describe(text, offset))
}

fn describe(text: &str, offset: usize) -> String {
    match text[offset..].split_whitespace().next() {
        Some(word) => format!("`{word}`"),
        None => "the end of the edge".to_string(),
    }
}

fn at(spec: &GraphSpec, edge: usize, offset: usize, source: GraphError) -> GraphError {
    GraphError::At { edge, offset, text: spec.edges[edge].clone(), source: Box::new(source) }
}

/// Observed then latent names, checked for clashes.
fn node_names(spec: &GraphSpec, edges: &[Edge]) -> Result<Vec<String>, GraphError> {
    let latent: BTreeSet<&str> = spec.latent.iter().map(String::as_str).collect();
    let mut names: Vec<String> = if spec.observed.is_empty() {
        let mut seen = BTreeSet::new();
        edges
            .iter()
            .flat_map(|e| [e.from.0, e.to.0])
            .filter(|n| !latent.contains(n) && seen.insert(*n))
            .map(str::to_string)
            .collect()
    } else {
        spec.observed.to_vec()
    };
    if let Some(both) = names.iter().find(|n| latent.contains(n.as_str())) {
        return Err(GraphError::LatentObserved { node: both.clone() });
    }
    names.extend(spec.latent.iter().cloned());
    let mut seen = BTreeSet::new();
    if let Some(dup) = names.iter().find(|n| !seen.insert(n.as_str())) {
        return Err(GraphError::DuplicateNode { node: dup.clone() });
    }
    Ok(names)
}

fn check_new_edge(
    spec: &GraphSpec,
    i: usize,
    names: &[String],
    (a, b): (NodeId, NodeId),
    bidirected: bool,
    directed: &[(NodeId, NodeId, usize)],
    bidirected_so_far: &[(NodeId, NodeId, usize)],
) -> Result<(), GraphError> {
    let (na, nb) = (names[a].clone(), names[b].clone());
    let error = if a == b && bidirected {
        Some(GraphError::BidirectedSelfLoop { node: na })
    } else if a == b {
        Some(GraphError::SelfLoop { node: na })
    } else if bidirected && bidirected_so_far.iter().any(|&(p, q, _)| (p, q) == (a, b) || (p, q) == (b, a)) {
        Some(GraphError::DuplicateBidirected { a: na, b: nb })
    } else if !bidirected && directed.iter().any(|&(p, q, _)| (p, q) == (a, b)) {
        Some(GraphError::DuplicateEdge { from: na, to: nb })
    } else {
        None
    };
    error.map_or(Ok(()), |e| Err(at(spec, i, skip_space(&spec.edges[i], 0), e)))
}

/// Point a cycle error at the last-listed edge that closes the cycle.
fn locate_cycle(spec: &GraphSpec, e: GraphError, names: &[String], directed: &[(NodeId, NodeId, usize)]) -> GraphError {
    let GraphError::Cycle { cycle } = &e else { return e };
    let id = |n: &String| names.iter().position(|m| m == n);
    let last = cycle
        .windows(2)
        .filter_map(|w| {
            let (a, b) = (id(&w[0])?, id(&w[1])?);
            directed.iter().find(|&&(p, q, _)| (p, q) == (a, b)).map(|&(_, _, i)| i)
        })
        .max();
    match last {
        Some(i) => at(spec, i, skip_space(&spec.edges[i], 0), e),
        None => e,
    }
}

/// The latent projection of `full` (nodes `0..observed` observed, the rest
/// latent) onto its observed nodes.
fn project(full: &Dag, bidirected: &[(NodeId, NodeId)], observed: usize) -> Result<Admg, GraphError> {
    // For each observed node, the latent nodes with a directed path into it
    // through latent nodes only.
    let hidden_ancestors: Vec<BTreeSet<NodeId>> = (0..observed).map(|v| latent_ancestors(full, v, observed)).collect();
    let mut directed = Vec::new();
    for (v, hidden) in hidden_ancestors.iter().enumerate() {
        let parents: BTreeSet<NodeId> = std::iter::once(v)
            .chain(hidden.iter().copied())
            .flat_map(|u| full.parents(u).iter().copied())
            .filter(|&p| p < observed)
            .collect();
        directed.extend(parents.into_iter().map(|p| (full.name(p), full.name(v))));
    }
    let reach = |v: NodeId| -> BTreeSet<NodeId> { hidden_ancestors[v].iter().copied().chain([v]).collect() };
    let mut pairs = Vec::new();
    for a in 0..observed {
        for b in a + 1..observed {
            let (ra, rb) = (reach(a), reach(b));
            let common_cause = hidden_ancestors[a].intersection(&hidden_ancestors[b]).next().is_some();
            let confounded = bidirected
                .iter()
                .any(|&(p, q)| (ra.contains(&p) && rb.contains(&q)) || (ra.contains(&q) && rb.contains(&p)));
            if common_cause || confounded {
                pairs.push((a, b));
            }
        }
    }
    let names: Vec<&str> = (0..observed).map(|v| full.name(v)).collect();
    // Projection keeps ancestry among observed nodes, so it cannot close a cycle.
    let dag = Dag::new(&names, &directed)?;
    Admg::with_bidirected(&dag, &pairs)
}

fn latent_ancestors(full: &Dag, v: NodeId, observed: usize) -> BTreeSet<NodeId> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![v];
    while let Some(u) = stack.pop() {
        for &p in full.parents(u) {
            if p >= observed && seen.insert(p) {
                stack.push(p);
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn parse(edges: &[&str], latent: &[&str], observed: &[&str]) -> Result<Admg, GraphError> {
        let (e, l, o) = (strings(edges), strings(latent), strings(observed));
        parse_graph(&GraphSpec { edges: &e, latent: &l, observed: &o })
    }

    #[test]
    fn latent_common_cause_becomes_bidirected() {
        let g = parse(&["u -> x", "u -> y", "x -> y"], &["u"], &[]).unwrap();
        assert_eq!(g.names(), &["x", "y"]);
        assert_eq!(g.bidirected_edges().collect::<Vec<_>>(), vec![(0, 1)]);
        assert_eq!(g.directed_edges().collect::<Vec<_>>(), vec![(0, 1)]);
    }

    #[test]
    fn latent_mediator_becomes_directed() {
        let g = parse(&["x -> l", "l -> y"], &["l"], &["x", "y"]).unwrap();
        assert_eq!(g.directed_edges().collect::<Vec<_>>(), vec![(0, 1)]);
        assert!(!g.has_bidirected());
    }

    #[test]
    fn errors_point_into_the_edge() {
        let err = parse(&["age -> drug", "drug => y"], &[], &[]).unwrap_err();
        assert_eq!(err.location(), Some((1, 5)));
        let err = parse(&["age -> severty"], &[], &["age", "severity"]).unwrap_err();
        assert_eq!(err.location(), Some((0, 7)));
        assert_eq!(err.without_location().to_string(), "unknown node `severty` (did you mean `severity`?)");
        let err = parse(&["a -> b", "b -> c", "c -> a"], &[], &[]).unwrap_err();
        assert_eq!(err.location(), Some((2, 0)));
    }
}
