//! Counterfactual truth by intervention. Every row keeps its exogenous noise;
//! the treatment column is replaced by 0 (then 1), and every node on a directed
//! path from the treatment to the outcome (the mediators) is recomputed with
//! its own noise held fixed. Other nodes keep their observed values.
//!
//! For t in {0, 1}:
//! - `y_t` is the outcome recomputed with its own draws, so `y_T` equals the
//!   observed outcome on every row;
//! - `mu_t` is the outcome recomputed with each of its own draws replaced by
//!   that draw's expectation given its arguments (`normal(m, s)` by m,
//!   `bernoulli(p)` by p, `poisson(l)` by l, `uniform(a, b)` by (a+b)/2,
//!   `categorical` by its mean index, `student_t` by 0). That is
//!   E[Y | do(T = t), all other noise of the row], exactly, whenever the outcome
//!   equation is linear in its own draws (the usual additive noise); for an
//!   outcome that transforms its draws nonlinearly it is the outcome at the
//!   noise's mean, which is what "the outcome without outcome noise" means there.

use crate::graph::{Dag, NodeId};

use super::error::ScmError;
use super::eval::DrawMode;
use super::model::Model;

/// The four per-row truths of one simulation.
pub(crate) struct Truth {
    pub mu0: Vec<f64>,
    pub mu1: Vec<f64>,
    pub y0: Vec<f64>,
    pub y1: Vec<f64>,
}

pub(crate) fn potential_outcomes(
    model: &Model,
    factual: &[Vec<f64>],
    noise: &[Vec<f64>],
    treatment: NodeId,
    outcome: NodeId,
    n: usize,
) -> Result<Truth, ScmError> {
    let mediators = mediators(model.slot_dag(), treatment, outcome);
    let world = |value: f64| -> Result<(Vec<f64>, Vec<f64>), ScmError> {
        let mut overrides: Vec<Option<Vec<f64>>> = vec![None; factual.len()];
        overrides[treatment] = Some(vec![value; n]);
        for &node in &mediators {
            let column = model.evaluate_node(node, &view(factual, &overrides), noise, DrawMode::Sample, n)?;
            overrides[node] = Some(column);
        }
        let columns = view(factual, &overrides);
        let y = model.evaluate_node(outcome, &columns, noise, DrawMode::Sample, n)?;
        let mu = model.evaluate_node(outcome, &columns, noise, DrawMode::Expect, n)?;
        Ok((y, mu))
    };
    let name = model.slot_dag().name(treatment);
    let (y0, mu0) = world(0.0).map_err(|e| e.under_intervention(name, 0.0))?;
    let (y1, mu1) = world(1.0).map_err(|e| e.under_intervention(name, 1.0))?;
    Ok(Truth { mu0, mu1, y0, y1 })
}

/// The observed columns, with intervened and recomputed ones swapped in.
fn view<'a>(factual: &'a [Vec<f64>], overrides: &'a [Option<Vec<f64>>]) -> Vec<&'a [f64]> {
    factual.iter().zip(overrides).map(|(f, o)| o.as_deref().unwrap_or(f)).collect()
}

/// Nodes strictly between treatment and outcome on some directed path, in
/// topological order: the only ones do(treatment) changes that the outcome reads.
fn mediators(dag: &Dag, treatment: NodeId, outcome: NodeId) -> Vec<NodeId> {
    let below = reachable(dag.len(), treatment, |v| dag.children(v));
    let above = reachable(dag.len(), outcome, |v| dag.parents(v));
    dag.topological_order()
        .iter()
        .copied()
        .filter(|&v| v != treatment && v != outcome && below[v] && above[v])
        .collect()
}

fn reachable<'a>(n: usize, start: NodeId, next: impl Fn(NodeId) -> &'a [NodeId]) -> Vec<bool> {
    let mut seen = vec![false; n];
    let mut stack = vec![start];
    while let Some(v) = stack.pop() {
        for &w in next(v) {
            if !seen[w] {
                seen[w] = true;
                stack.push(w);
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mediators_lie_on_directed_paths_only() {
        // x -> t -> m -> y, t -> y, x -> y, t -> s (a side effect), y -> z
        let dag = Dag::new(
            &["x", "t", "m", "s", "y", "z"],
            &[("x", "t"), ("t", "m"), ("m", "y"), ("t", "y"), ("x", "y"), ("t", "s"), ("y", "z")],
        )
        .unwrap();
        let names: Vec<&str> = mediators(&dag, 1, 4).iter().map(|&v| dag.name(v)).collect();
        assert_eq!(names, ["m"]);
    }
}
