//! The ID algorithm of Shpitser and Pearl (2006, AAAI, "Identification of
//! joint interventional distributions in recursive semi-Markovian causal
//! models", figure 3) for `P(y | do(x))` on an ADMG. It is complete: it
//! returns an identifying formula over the observed distribution, or a hedge,
//! a pair of C-forests `F' ⊂ F` that proves the effect is not identifiable.
//!
//! The line numbers in the comments are those of the paper's figure.
//! Complexity: O(V³·(V + E)) in the worst case (at most O(V) recursive calls
//! per level and O(V) levels, each doing graph searches); in practice the
//! recursion is shallow and the cost is dominated by building the formula,
//! whose size is O(V²) for a DAG.

use serde::Serialize;

use super::expr::Term;
use super::{Admg, Expr, NodeId, NodeSet, View};

/// A hedge for `P(y | do(x))`: `F` and `F' ⊂ F` are C-forests with the same
/// root set inside `An(y)`, `F` meets `x` and `F'` does not (Shpitser and
/// Pearl 2006, definition 4). Node names are sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hedge {
    pub f: Vec<String>,
    pub f_prime: Vec<String>,
}

/// `P(y | do(x))` as a formula over the observed distribution, or the hedge
/// that proves it is not identifiable.
pub fn id_effect(g: &Admg, x: NodeId, y: NodeId) -> Result<Expr, Hedge> {
    let all = g.all();
    let ys = NodeSet::from_ids(0, [y]);
    let xs = NodeSet::from_ids(0, [x]);
    match identify(g, &ys, &xs, Term::joint(all.clone()), &all) {
        Ok(term) => Ok(average_out_extras(term, &xs.union(&ys)).named(g)),
        Err((f, f_prime)) => Err(Hedge { f: g.sorted_names(&f), f_prime: g.sorted_names(&f_prime) }),
    }
}

/// Line 3 adds to the intervention nodes that cannot reach `y`; the formula
/// then mentions them free, although its value does not depend on them
/// (do-calculus rule 3). Averaging over their observed distribution gives the
/// same value and a formula in `x` and `y` alone.
fn average_out_extras(term: Term, endpoints: &NodeSet) -> Term {
    let extras = term.free().difference(endpoints);
    if extras.is_empty() {
        return term;
    }
    Term::sum(&extras, Term::product(vec![Term::joint(extras.clone()), term]))
}

/// ID(y, x, P, G[v]) where `p` is a distribution over the nodes `v`.
fn identify(g: &Admg, y: &NodeSet, x: &NodeSet, p: Term, v: &NodeSet) -> Result<Term, (NodeSet, NodeSet)> {
    let graph = View::induced(g, v.clone());
    // Line 1: no intervention left; marginalize.
    if x.is_empty() {
        return Ok(Term::sum(&v.difference(y), p));
    }
    // Line 2: non-ancestors of y are irrelevant.
    let ancestors = graph.ancestors(y);
    if ancestors != *v {
        let p = Term::sum(&v.difference(&ancestors), p);
        return identify(g, y, &x.intersection(&ancestors), p, &ancestors);
    }
    // Line 3: intervening on nodes that cannot reach y once x is fixed is free.
    let free = v.difference(x).difference(&graph.cutting_in(x).ancestors(y));
    if !free.is_empty() {
        return identify(g, y, &x.union(&free), p, v);
    }
    // Line 4: factorize over the districts of G[v \ x].
    let rest = View::induced(g, v.difference(x));
    let districts = rest.districts();
    if districts.len() > 1 {
        let mut factors = Vec::with_capacity(districts.len());
        for s in &districts {
            factors.push(identify(g, s, &v.difference(s), p.clone(), v)?);
        }
        return Ok(Term::sum(&v.difference(&y.union(x)), Term::product(factors)));
    }
    // districts is non-empty: y is non-empty and disjoint from x.
    let s = districts.into_iter().next().unwrap_or_default();
    let whole = graph.districts();
    // Line 5: G[v] is one district: a hedge.
    if whole.len() == 1 {
        return Err((v.clone(), s));
    }
    // Line 6: s is a district of G[v]: a product of conditionals.
    if whole.contains(&s) {
        let factors = conditionals(&graph, &p, &s, v);
        return Ok(Term::sum(&s.difference(y), Term::product(factors)));
    }
    // Line 7: s sits inside a larger district s'; recurse on G[s'].
    let Some(bigger) = whole.into_iter().find(|d| s.is_subset(d)) else {
        // Districts of G[v \ x] always lie inside districts of G[v].
        return Err((v.clone(), s));
    };
    let p = Term::product(conditionals(&graph, &p, &bigger, v));
    identify(g, y, &x.intersection(&bigger), p, &bigger)
}

/// `P(v_i | v_π^{(i-1)})` for each `v_i` of `nodes`, in topological order,
/// computed from `p` over `domain`.
///
/// While `p` is still the observed joint of `domain`, `domain` is ancestral
/// and the conditioning set shrinks to the Markov blanket of `v_i` in the
/// graph over its predecessors: its district there and the district's
/// parents (the ordered local Markov property, Richardson 2003, section 3;
/// Tian and Pearl 2002, lemma 2). In a DAG that is just `pa(v_i)`.
fn conditionals(graph: &View, p: &Term, nodes: &NodeSet, domain: &NodeSet) -> Vec<Term> {
    let observed_joint = *p == Term::joint(domain.clone());
    let mut before = NodeSet::default();
    let mut out = Vec::new();
    for v in graph.topological() {
        if nodes.contains(v) {
            let given = if observed_joint { blanket(graph.g, v, &before) } else { before.clone() };
            out.push(Term::conditional(p, v, &given, domain));
        }
        before.insert(v);
    }
    out
}

/// The Markov blanket of `v` in the graph over `before ∪ {v}`.
fn blanket(g: &Admg, v: NodeId, before: &NodeSet) -> NodeSet {
    let prefix = View::induced(g, before.with(v));
    let district = prefix.district(v);
    let mut blanket = district.clone();
    for d in district.iter() {
        prefix.parents(d).for_each(|p| {
            blanket.insert(p);
        });
    }
    blanket.without(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bow_arc_is_not_identifiable() {
        // The bow arc (Pearl 2009, section 3.5): x -> y with x <-> y.
        let g = Admg::new(&["x", "y"], &[("x", "y")], &[("x", "y")]).unwrap();
        let hedge = id_effect(&g, 0, 1).unwrap_err();
        assert_eq!(hedge, Hedge { f: vec!["x".into(), "y".into()], f_prime: vec!["y".into()] });
    }

    #[test]
    fn front_door_formula() {
        let g = Admg::new(&["x", "m", "y"], &[("x", "m"), ("m", "y")], &[("x", "y")]).unwrap();
        let e = id_effect(&g, 0, 2).unwrap();
        assert_eq!(e.to_string(), "Σ_{m} P(m | x) Σ_{x'} P(x') P(y | m, x')");
    }
}
