//! A compiled structural causal model: one program per node, the DAG read off
//! the right-hand sides, and the draw sites in the fixed order their noise is
//! drawn (topological order of nodes, then source order within an equation).

use std::collections::BTreeMap;

use crate::graph::{Dag, GraphError};
use crate::rng::RunRng;

use super::compile::{Compiled, DrawSite, Program, Scope, compile};
use super::error::{ScmError, ScmErrorKind};
use super::eval::{DrawMode, evaluate};
use super::intervene::potential_outcomes;
use super::missing::Missingness;
use super::noise::draw_column;
use super::parse::parse;
use super::simulation::Simulation;
use crate::suggest::did_you_mean;

/// One line of a model: `node: expr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equation {
    pub node: String,
    pub expr: String,
}

impl Equation {
    pub fn new(node: impl Into<String>, expr: impl Into<String>) -> Equation {
        Equation { node: node.into(), expr: expr.into() }
    }
}

#[derive(Debug, Clone)]
pub struct Model {
    names: Vec<String>,
    dag: Dag,
    programs: Vec<Program>,
    sites: Vec<DrawSite>,
    /// Site indices in the order their noise columns are drawn.
    draw_order: Vec<usize>,
}

impl Model {
    /// Compile equations once. `params` are the experiment's resolved `$name` values.
    pub fn compile(equations: &[Equation], params: &BTreeMap<String, f64>) -> Result<Model, ScmError> {
        let names = node_names(equations)?;
        let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        let scope = Scope { nodes: &index, params };
        let mut sites = Vec::new();
        let mut compiled = Vec::with_capacity(equations.len());
        for (id, eq) in equations.iter().enumerate() {
            let expr = parse(&eq.expr).map_err(|(offset, kind)| ScmError::at(&eq.node, offset, kind))?;
            compiled.push(compile(id, &eq.node, &expr, &scope, &mut sites)?);
        }
        let dag = derive_dag(&names, &compiled)?;
        let draw_order = dag.topological_order().iter().flat_map(|&node| sites_of(&sites, node)).collect();
        let programs = compiled.into_iter().map(|c| c.program).collect();
        Ok(Model { names, dag, programs, sites, draw_order })
    }

    /// The graph derived from the right-hand sides: an edge from every variable
    /// an equation names to that equation's node.
    pub fn dag(&self) -> &Dag {
        &self.dag
    }

    /// Node names in file order.
    pub fn node_names(&self) -> &[String] {
        &self.names
    }

    /// Draw `n` rows, with the counterfactual truths under do(treatment = 0/1),
    /// then inject `missing`. `treatment` must come out 0/1 on every row.
    pub fn simulate(
        &self,
        n: usize,
        treatment: &str,
        outcome: &str,
        missing: &Missingness,
        rng: &mut RunRng,
    ) -> Result<Simulation, ScmError> {
        let t = self.node_id("treatment", treatment)?;
        let y = self.node_id("outcome", outcome)?;
        if t == y {
            return Err(ScmError::new(ScmErrorKind::TreatmentIsOutcome { name: treatment.into() }));
        }
        let driver = missing.validate(|name| self.node_id("missingness driver", name))?;
        let noise = self.draw_noise(n, rng);
        let factual = self.factual(&noise, n)?;
        check_binary(treatment, &factual[t])?;
        let truth = potential_outcomes(self, &factual, &noise, t, y, n)?;
        let mut columns: Vec<(String, Vec<f64>)> = self.names.iter().cloned().zip(factual).collect();
        missing.inject(&mut columns, &[t, y], driver, rng);
        Ok(Simulation { columns, mu0: truth.mu0, mu1: truth.mu1, y0: truth.y0, y1: truth.y1 })
    }

    /// Evaluate one node given every column it may read, naming it in errors.
    pub(crate) fn evaluate_node(
        &self,
        node: usize,
        columns: &[&[f64]],
        noise: &[Vec<f64>],
        mode: DrawMode,
        n: usize,
    ) -> Result<Vec<f64>, ScmError> {
        evaluate(&self.programs[node], columns, noise, mode, n).map_err(|e| ScmError {
            node: Some(self.names[node].clone()),
            offset: e.offset,
            kind: e.kind,
        })
    }

    fn node_id(&self, role: &'static str, name: &str) -> Result<usize, ScmError> {
        self.dag.id(name).ok_or_else(|| {
            let suggestion = did_you_mean(name, self.names.iter().map(String::as_str));
            ScmError::new(ScmErrorKind::UnknownNode { role, name: name.into(), suggestion })
        })
    }

    /// Noise columns indexed by site, drawn in `draw_order`.
    fn draw_noise(&self, n: usize, rng: &mut RunRng) -> Vec<Vec<f64>> {
        let mut noise = vec![Vec::new(); self.sites.len()];
        for &site in &self.draw_order {
            noise[site] = draw_column(self.sites[site].noise, n, rng);
        }
        noise
    }

    /// Every node's observed column, evaluated in topological order.
    fn factual(&self, noise: &[Vec<f64>], n: usize) -> Result<Vec<Vec<f64>>, ScmError> {
        let mut columns = vec![Vec::new(); self.names.len()];
        for &node in self.dag.topological_order() {
            let view: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
            let column = self.evaluate_node(node, &view, noise, DrawMode::Sample, n)?;
            columns[node] = column;
        }
        Ok(columns)
    }
}

fn node_names(equations: &[Equation]) -> Result<Vec<String>, ScmError> {
    if equations.is_empty() {
        return Err(ScmError::new(ScmErrorKind::EmptyModel));
    }
    let mut names: Vec<String> = Vec::with_capacity(equations.len());
    for eq in equations {
        if names.contains(&eq.node) {
            return Err(ScmError::in_node(&eq.node, ScmErrorKind::DuplicateNode { name: eq.node.clone() }));
        }
        names.push(eq.node.clone());
    }
    Ok(names)
}

fn sites_of(sites: &[DrawSite], node: usize) -> impl Iterator<Item = usize> + '_ {
    sites.iter().enumerate().filter(move |(_, s)| s.node == node).map(|(i, _)| i)
}

/// Build the DAG; a cycle is reported where `closing_edge` says it was closed.
fn derive_dag(names: &[String], compiled: &[Compiled]) -> Result<Dag, ScmError> {
    let edges: Vec<(&str, &str)> = compiled
        .iter()
        .enumerate()
        .flat_map(|(child, c)| {
            c.parents.iter().map(move |&(parent, _)| (names[parent].as_str(), names[child].as_str()))
        })
        .collect();
    let nodes: Vec<&str> = names.iter().map(String::as_str).collect();
    Dag::new(&nodes, &edges).map_err(|err| match err {
        GraphError::Cycle { cycle } => cycle_error(names, compiled, cycle),
        GraphError::SelfLoop { node } => cycle_error(names, compiled, vec![node.clone(), node]),
        other => ScmError::new(ScmErrorKind::Graph(Box::new(other))),
    })
}

/// The cycle's error, in the equation that closes it and pointing where that
/// equation names its parent on the cycle, with the cycle listed from that
/// equation's node in the direction of the arrows.
fn cycle_error(names: &[String], compiled: &[Compiled], cycle: Vec<String>) -> ScmError {
    let position = |name: &str| names.iter().position(|n| n == name);
    // The graph reports the cycle closed (first node repeated at the end).
    let open: Vec<usize> = cycle.iter().take(cycle.len().saturating_sub(1)).filter_map(|n| position(n)).collect();
    let Some(child_at) = closing_edge(&open) else {
        return ScmError::new(ScmErrorKind::Cycle { cycle });
    };
    let k = open.len();
    let (parent, child) = (open[(child_at + k - 1) % k], open[child_at]);
    let mut path: Vec<String> = (0..k).map(|i| names[open[(child_at + i) % k]].clone()).collect();
    path.push(names[child].clone());
    let kind = ScmErrorKind::Cycle { cycle: path };
    match compiled[child].parents.iter().find(|&&(p, _)| p == parent) {
        Some(&(_, offset)) => ScmError::at(&names[child], offset, kind),
        None => ScmError::in_node(&names[child], kind),
    }
}

/// Which node of a cycle (given by equation index, each a parent of the next,
/// the last of the first) holds the equation that closes it: the first, in file
/// order, whose equation names a variable listed after it. Equations are written
/// causes first, so that forward reference is where the file's order broke, the
/// edit that made the cycle; every cycle has one, except a self-loop, which is
/// its own node's.
fn closing_edge(open: &[usize]) -> Option<usize> {
    let k = open.len();
    (0..k).filter(|&i| open[(i + k - 1) % k] >= open[i]).min_by_key(|&i| open[i])
}

fn check_binary(treatment: &str, column: &[f64]) -> Result<(), ScmError> {
    match column.iter().position(|&v| v != 0.0 && v != 1.0) {
        Some(row) => Err(ScmError::in_node(treatment, ScmErrorKind::NonBinaryTreatment { row, value: column[row] })),
        None => Ok(()),
    }
}
