//! Property tests of the graph algorithms against brute-force oracles on
//! random DAGs and ADMGs of up to 12 nodes: m-separation against enumeration
//! of all simple paths, backdoor sets and minimal sets against enumeration of
//! all subsets, the O-set's validity, front-door search against enumeration,
//! and the ID formula against the exact interventional distribution of a
//! random binary model with the latent confounders made explicit.

use std::collections::BTreeSet;

use causeway::graph::{
    Admg, Expr, NodeId, NodeSet, View, find_front_door, id_effect, is_backdoor_set, is_front_door, m_separated,
    minimal_adjustment_sets, optimal_adjustment_set,
};
use proptest::prelude::*;

/// A random ADMG: `n` nodes, edge probabilities in percent, ids shuffled so
/// that id order is not a topological order.
fn admg(max_n: usize, directed_pct: u8, bidirected_pct: u8) -> impl Strategy<Value = Admg> {
    (2..=max_n)
        .prop_flat_map(move |n| {
            let order = Just((0..n).collect::<Vec<usize>>()).prop_shuffle();
            (Just(n), order, prop::collection::vec(0u8..100, n * n), prop::collection::vec(0u8..100, n * n))
        })
        .prop_map(move |(n, order, d, b)| {
            let names: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
            let (mut directed, mut bidirected) = (Vec::new(), Vec::new());
            for i in 0..n {
                for j in i + 1..n {
                    let (a, c) = (names[order[i]].clone(), names[order[j]].clone());
                    if d[i * n + j] < directed_pct {
                        directed.push((a.clone(), c.clone()));
                    }
                    if b[i * n + j] < bidirected_pct {
                        bidirected.push((a, c));
                    }
                }
            }
            Admg::new(&names, &directed, &bidirected).expect("edges follow a topological order")
        })
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mark {
    Tail,
    Head,
}

/// Every edge at `v` as (neighbour, mark at v, mark at neighbour).
fn incident(g: &Admg, v: NodeId) -> Vec<(NodeId, Mark, Mark)> {
    let mut out: Vec<(NodeId, Mark, Mark)> = Vec::new();
    out.extend(g.children(v).iter().map(|&c| (c, Mark::Tail, Mark::Head)));
    out.extend(g.parents(v).iter().map(|&p| (p, Mark::Head, Mark::Tail)));
    out.extend(g.siblings(v).iter().map(|&s| (s, Mark::Head, Mark::Head)));
    out
}

/// All simple paths from `x` to `y`, as (node, mark at node on the edge
/// arriving, mark at node on the edge leaving) lists; `keep_first` filters
/// the first edge by its mark at `x`.
fn paths(g: &Admg, x: NodeId, y: NodeId, first_mark_at_x: Option<Mark>) -> Vec<Vec<(NodeId, Mark, Mark)>> {
    fn walk(
        g: &Admg,
        path: &mut Vec<(NodeId, Mark, Mark)>,
        on_path: &mut Vec<bool>,
        y: NodeId,
        first: Option<Mark>,
        out: &mut Vec<Vec<(NodeId, Mark, Mark)>>,
    ) {
        let (v, _, _) = *path.last().unwrap();
        if v == y {
            out.push(path.clone());
            return;
        }
        for (u, at_v, at_u) in incident(g, v) {
            if on_path[u] || (path.len() == 1 && first.is_some_and(|m| m != at_v)) {
                continue;
            }
            path.last_mut().unwrap().2 = at_v;
            on_path[u] = true;
            path.push((u, at_u, Mark::Tail));
            walk(g, path, on_path, y, first, out);
            path.pop();
            on_path[u] = false;
        }
    }
    let mut on_path = vec![false; g.len()];
    on_path[x] = true;
    let mut out = Vec::new();
    walk(g, &mut vec![(x, Mark::Tail, Mark::Tail)], &mut on_path, y, first_mark_at_x, &mut out);
    out
}

fn brute_ancestors(g: &Admg, of: &BTreeSet<NodeId>) -> BTreeSet<NodeId> {
    let mut out = of.clone();
    loop {
        let more: Vec<NodeId> = out.iter().flat_map(|&v| g.parents(v).to_vec()).filter(|p| !out.contains(p)).collect();
        if more.is_empty() {
            return out;
        }
        out.extend(more);
    }
}

fn brute_descendants(g: &Admg, v: NodeId) -> BTreeSet<NodeId> {
    (0..g.len()).filter(|&u| brute_ancestors(g, &BTreeSet::from([u])).contains(&v)).collect()
}

/// Open given `z`: every inner collider is an ancestor of `z`, every inner
/// non-collider is outside `z`.
fn is_open(g: &Admg, path: &[(NodeId, Mark, Mark)], z: &BTreeSet<NodeId>) -> bool {
    let an_z = brute_ancestors(g, z);
    path[1..path.len() - 1].iter().all(|&(v, into, out)| {
        let collider = into == Mark::Head && out == Mark::Head;
        if collider { an_z.contains(&v) } else { !z.contains(&v) }
    })
}

fn brute_separated(g: &Admg, x: NodeId, y: NodeId, z: &BTreeSet<NodeId>) -> bool {
    paths(g, x, y, None).iter().all(|p| !is_open(g, p, z))
}

/// The backdoor criterion by brute force: no descendant of `x`, and every
/// path from `x` to `y` that starts with an arrowhead into `x` blocked.
fn brute_backdoor(g: &Admg, x: NodeId, y: NodeId) -> impl Fn(&BTreeSet<NodeId>) -> bool + '_ {
    let de = brute_descendants(g, x);
    let backdoor_paths = paths(g, x, y, Some(Mark::Head));
    move |z| !z.contains(&y) && z.iter().all(|v| !de.contains(v)) && backdoor_paths.iter().all(|p| !is_open(g, p, z))
}

fn subsets(items: &[NodeId]) -> Vec<BTreeSet<NodeId>> {
    (0..1u32 << items.len())
        .map(|mask| items.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, &v)| v).collect())
        .collect()
}

/// Two different nodes of an `n`-node graph, from two arbitrary numbers.
fn distinct(n: usize, a: usize, b: usize) -> (NodeId, NodeId) {
    let x = a % n;
    (x, (x + 1 + b % (n - 1)) % n)
}

fn to_set(s: &BTreeSet<NodeId>) -> NodeSet {
    s.iter().copied().collect()
}

fn from_set(s: &NodeSet) -> BTreeSet<NodeId> {
    s.iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn m_separation_equals_path_enumeration(g in admg(12, 25, 10), picks in prop::collection::vec(0usize..12, 2..6)) {
        let n = g.len();
        let (x, y) = distinct(n, picks[0], picks[1]);
        let z: BTreeSet<NodeId> = picks[2..].iter().map(|p| p % n).filter(|&v| v != x && v != y).collect();
        let fast = m_separated(&View::full(&g), &NodeSet::from_ids(n, [x]), &NodeSet::from_ids(n, [y]), &to_set(&z));
        prop_assert_eq!(fast, brute_separated(&g, x, y, &z));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 250, ..ProptestConfig::default() })]

    #[test]
    fn adjustment_sets_match_subset_enumeration(g in admg(9, 35, 12), a in 0usize..9, b in 0usize..9) {
        let n = g.len();
        let (x, y) = distinct(n, a, b);
        let others: Vec<NodeId> = (0..n).filter(|&v| v != x && v != y).collect();
        let check = brute_backdoor(&g, x, y);
        let valid: Vec<BTreeSet<NodeId>> = subsets(&others).into_iter().filter(|z| check(z)).collect();
        for z in subsets(&others) {
            prop_assert_eq!(is_backdoor_set(&g, x, y, &to_set(&z)), valid.contains(&z), "set {:?}", z);
        }
        let minimal: BTreeSet<BTreeSet<NodeId>> =
            valid.iter().filter(|z| !valid.iter().any(|w| w != *z && w.is_subset(z))).cloned().collect();
        let (listed, truncated) = minimal_adjustment_sets(&g, x, y, 10_000);
        prop_assert!(!truncated);
        let listed: BTreeSet<BTreeSet<NodeId>> = listed.iter().map(from_set).collect();
        prop_assert_eq!(&listed, &minimal);
        let optimal = optimal_adjustment_set(&g, x, y);
        prop_assert_eq!(optimal.is_some(), !valid.is_empty());
        if let Some(o) = optimal {
            prop_assert!(check(&from_set(&o)));
        }
    }

    #[test]
    fn front_door_search_matches_subset_enumeration(g in admg(8, 35, 20), a in 0usize..8, b in 0usize..8) {
        let n = g.len();
        let (x, y) = distinct(n, a, b);
        let others: Vec<NodeId> = (0..n).filter(|&v| v != x && v != y).collect();
        let any = subsets(&others).iter().any(|z| is_front_door(&g, x, y, &to_set(z)));
        let found = find_front_door(&g, x, y);
        prop_assert_eq!(found.is_some(), any);
        if let Some(z) = found {
            prop_assert!(is_front_door(&g, x, y, &z));
            for v in z.iter() {
                prop_assert!(!is_front_door(&g, x, y, &z.without(v)) || z.len() == 1);
            }
        }
    }
}

/// A binary model over the ADMG with one explicit latent parent per
/// bidirected edge: conditional probabilities of 1 for each configuration of
/// parents, drawn from `draws`.
struct BinaryModel {
    /// Parents of every variable; observed variables first, then latents.
    parents: Vec<Vec<usize>>,
    p_one: Vec<Vec<f64>>,
    order: Vec<usize>,
    observed: usize,
}

impl BinaryModel {
    fn new(g: &Admg, draws: &[f64]) -> BinaryModel {
        let n = g.len();
        let mut parents: Vec<Vec<usize>> = (0..n).map(|v| g.parents(v).to_vec()).collect();
        let mut order: Vec<usize> = Vec::new();
        for (a, b) in g.bidirected_edges() {
            let u = parents.len();
            parents.push(Vec::new());
            parents[a].push(u);
            parents[b].push(u);
            order.push(u);
        }
        order.extend(g.topological_order());
        let mut k = 0;
        let p_one = parents
            .iter()
            .map(|ps| {
                (0..1usize << ps.len())
                    .map(|_| {
                        k += 1;
                        0.1 + 0.8 * draws[k % draws.len()]
                    })
                    .collect()
            })
            .collect();
        BinaryModel { parents, p_one, order, observed: n }
    }

    /// Joint distribution of the observed variables (bit v of the index is
    /// variable v), optionally with variable `x` set to `value`.
    fn observed_joint(&self, intervene: Option<(usize, usize)>) -> Vec<f64> {
        let total = self.parents.len();
        let mut joint = vec![0.0; 1 << self.observed];
        for state in 0..1usize << total {
            let mut p = 1.0;
            for &v in &self.order {
                let bit = (state >> v) & 1;
                if let Some((x, value)) = intervene.filter(|&(x, _)| x == v) {
                    p *= if bit == value { 1.0 } else { 0.0 };
                    let _ = x;
                    continue;
                }
                let row = self.parents[v].iter().enumerate().fold(0, |acc, (i, &q)| acc | (((state >> q) & 1) << i));
                let one = self.p_one[v][row];
                p *= if bit == 1 { one } else { 1.0 - one };
            }
            joint[state & ((1 << self.observed) - 1)] += p;
        }
        joint
    }
}

/// P(assigned variables take their values) under `joint`.
fn marginal(joint: &[f64], assignment: &[(usize, usize)]) -> f64 {
    joint
        .iter()
        .enumerate()
        .filter(|(s, _)| assignment.iter().all(|&(v, val)| (s >> v) & 1 == val))
        .map(|(_, p)| p)
        .sum()
}

fn evaluate(e: &Expr, g: &Admg, joint: &[f64], env: &mut Vec<(usize, usize)>) -> f64 {
    let id = |name: &String| g.id(name).expect("expression names come from the graph");
    let value = |env: &Vec<(usize, usize)>, v: usize| env.iter().rev().find(|(u, _)| *u == v).expect("bound").1;
    match e {
        Expr::One => 1.0,
        Expr::Prob { vars, given } => {
            let cond: Vec<(usize, usize)> = given.iter().map(|n| (id(n), value(env, id(n)))).collect();
            let mut all = cond.clone();
            all.extend(vars.iter().map(|n| (id(n), value(env, id(n)))));
            marginal(joint, &all) / marginal(joint, &cond)
        }
        Expr::Sum { over, body } => {
            let vars: Vec<usize> = over.iter().map(id).collect();
            let mut total = 0.0;
            for mask in 0..1usize << vars.len() {
                let before = env.len();
                env.extend(vars.iter().enumerate().map(|(i, &v)| (v, (mask >> i) & 1)));
                total += evaluate(body, g, joint, env);
                env.truncate(before);
            }
            total
        }
        Expr::Product { factors } => factors.iter().map(|f| evaluate(f, g, joint, env)).product(),
        Expr::Fraction { num, den } => evaluate(num, g, joint, env) / evaluate(den, g, joint, env),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn id_formula_equals_the_interventional_distribution(
        g in admg(6, 40, 25),
        a in 0usize..6,
        b in 0usize..6,
        draws in prop::collection::vec(0.0f64..1.0, 64),
    ) {
        let n = g.len();
        let (x, y) = distinct(n, a, b);
        prop_assume!(g.bidirected_edges().count() <= 5);
        let backdoor_exists = optimal_adjustment_set(&g, x, y).is_some();
        let front_door_exists = find_front_door(&g, x, y).is_some();
        let Ok(formula) = id_effect(&g, x, y) else {
            prop_assert!(!backdoor_exists && !front_door_exists, "ID failed where adjustment works");
            return Ok(());
        };
        let model = BinaryModel::new(&g, &draws);
        let observed = model.observed_joint(None);
        for value in 0..2 {
            let truth = marginal(&model.observed_joint(Some((x, value))), &[(y, 1)]);
            let got = evaluate(&formula, &g, &observed, &mut vec![(x, value), (y, 1)]);
            prop_assert!((got - truth).abs() < 1e-9, "do(x={}) formula {} gives {} not {}", value, formula, got, truth);
        }
    }
}
