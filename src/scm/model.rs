//! A compiled structural causal model: one program per node, the DAG read off
//! the right-hand sides, and the draw sites in the fixed order their noise is
//! drawn (topological order of nodes, then source order within an equation).

use std::collections::BTreeMap;

use crate::graph::{Dag, GraphError};
use crate::rng::RunRng;

use super::compile::{Compiled, DrawSite, Program, Scope, StepOf, compile};
use super::error::{ScmError, ScmErrorKind};
use super::eval::{DrawMode, evaluate};
use super::intervene::potential_outcomes;
use super::missing::Missingness;
use super::noise::draw_column;
use super::parse::parse;
use super::sequence::{split_key, step_column};
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
    /// Node names in file order (a sequence is one node).
    names: Vec<String>,
    /// Each node's equation key as written (`hr[8]` for a sequence), for errors.
    keys: Vec<String>,
    /// Each node's first slot and, for a sequence, its length.
    shapes: Vec<(usize, Option<usize>)>,
    /// The graph of nodes: a sequence is one node, its reads of its own past
    /// are not edges.
    dag: Dag,
    /// The graph of slots (columns): a scalar node's value or one step of a
    /// sequence, `hr[3]`, in evaluation order.
    slots: Dag,
    /// The node of each slot.
    owner: Vec<usize>,
    programs: Vec<Program>,
    sites: Vec<DrawSite>,
    /// Site indices in the order their noise columns are drawn.
    draw_order: Vec<usize>,
}

impl Model {
    /// Compile equations once. `params` are the experiment's resolved `$name` values.
    /// A key `name[T]` declares a sequence of `T` steps, its equation compiled once per step.
    pub fn compile(equations: &[Equation], params: &BTreeMap<String, f64>) -> Result<Model, ScmError> {
        let (names, lengths) = node_names(equations)?;
        let keys: Vec<String> = equations.iter().map(|e| e.node.clone()).collect();
        let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        let mut shapes = Vec::with_capacity(names.len());
        let (mut slot_names, mut owner) = (Vec::new(), Vec::new());
        for (id, (name, len)) in names.iter().zip(&lengths).enumerate() {
            shapes.push((slot_names.len(), *len));
            match len {
                None => slot_names.push(name.clone()),
                Some(len) => slot_names.extend((1..=*len).map(|k| step_column(name, k))),
            }
            owner.resize(slot_names.len(), id);
        }
        let mut sites = Vec::new();
        let mut compiled = Vec::with_capacity(slot_names.len());
        for (id, eq) in equations.iter().enumerate() {
            let expr = parse(&eq.expr).map_err(|(offset, kind)| ScmError::at(&eq.node, offset, kind))?;
            let (first, len) = shapes[id];
            let steps: Vec<Option<StepOf>> = match len {
                None => vec![None],
                Some(len) => (1..=len).map(|t| Some(StepOf { node: id, t, len })).collect(),
            };
            for (k, step) in steps.into_iter().enumerate() {
                let scope = Scope { nodes: &index, params, shapes: &shapes, step };
                compiled.push(compile(first + k, &eq.node, &expr, &scope, &mut sites)?);
            }
        }
        let slot_keys: Vec<&str> = owner.iter().map(|&o| keys[o].as_str()).collect();
        let slots = derive_dag(&slot_names, &slot_keys, &compiled)?;
        let dag = collapse(&names, &keys, &owner, &compiled)?;
        let draw_order = slots.topological_order().iter().flat_map(|&slot| sites_of(&sites, slot)).collect();
        let programs = compiled.into_iter().map(|c| c.program).collect();
        Ok(Model { names, keys, shapes, dag, slots, owner, programs, sites, draw_order })
    }

    /// The graph derived from the right-hand sides: an edge from every variable
    /// an equation names to that equation's node; a sequence is one node.
    pub fn dag(&self) -> &Dag {
        &self.dag
    }

    /// The graph of columns (a scalar node, or one step of a sequence).
    pub(crate) fn slot_dag(&self) -> &Dag {
        &self.slots
    }

    /// Node names in file order.
    pub fn node_names(&self) -> &[String] {
        &self.names
    }

    /// The sequences, in file order, with their lengths.
    pub fn sequences(&self) -> Vec<(String, usize)> {
        self.names.iter().zip(&self.shapes).filter_map(|(n, &(_, len))| Some((n.clone(), len?))).collect()
    }

    /// The equation key of node `name` as written (`hr[8]`), if it is one.
    pub fn key_of(&self, name: &str) -> Option<&str> {
        self.names.iter().position(|n| n == name).map(|i| self.keys[i].as_str())
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
        let driver = missing.validate(|name| self.node_id("missingness driver", name))?;
        if t == y {
            return Err(ScmError::new(ScmErrorKind::TreatmentIsOutcome { name: treatment.into() }));
        }
        let noise = self.draw_noise(n, rng);
        let factual = self.factual(&noise, n)?;
        check_binary(treatment, &factual[t])?;
        let truth = potential_outcomes(self, &factual, &noise, t, y, n)?;
        let mut columns: Vec<(String, Vec<f64>)> =
            (0..self.slots.len()).map(|s| self.slots.name(s).to_string()).zip(factual).collect();
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
            node: Some(self.keys[self.owner[node]].clone()),
            offset: e.offset,
            kind: e.kind,
        })
    }

    /// The slot of scalar node `name`, in the role `role`.
    fn node_id(&self, role: &'static str, name: &str) -> Result<usize, ScmError> {
        let id = self.dag.id(name).ok_or_else(|| {
            let suggestion = did_you_mean(name, self.names.iter().map(String::as_str));
            ScmError::new(ScmErrorKind::UnknownNode { role, name: name.into(), suggestion })
        })?;
        match self.shapes[id] {
            (slot, None) => Ok(slot),
            (_, Some(_)) => {
                Err(ScmError::in_node(&self.keys[id], ScmErrorKind::SequenceEndpoint { role, name: name.into() }))
            }
        }
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
        let mut columns = vec![Vec::new(); self.slots.len()];
        for &node in self.slots.topological_order() {
            let view: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
            let column = self.evaluate_node(node, &view, noise, DrawMode::Sample, n)?;
            columns[node] = column;
        }
        Ok(columns)
    }
}

/// Node names and, for sequences, lengths, read off the equation keys.
fn node_names(equations: &[Equation]) -> Result<(Vec<String>, Vec<Option<usize>>), ScmError> {
    if equations.is_empty() {
        return Err(ScmError::new(ScmErrorKind::EmptyModel));
    }
    let mut names: Vec<String> = Vec::with_capacity(equations.len());
    let mut lengths = Vec::with_capacity(equations.len());
    for eq in equations {
        let (name, len) = split_key(&eq.node).map_err(|(_, kind)| ScmError::in_node(&eq.node, kind))?;
        if names.iter().any(|n| n == name) {
            return Err(ScmError::in_node(&eq.node, ScmErrorKind::DuplicateNode { name: name.into() }));
        }
        names.push(name.to_string());
        lengths.push(len);
    }
    Ok((names, lengths))
}

/// The graph of nodes: an edge from the node of every slot a slot reads to
/// that slot's node, a sequence's reads of its own steps left out. A cycle
/// here that the slot graph does not have is two sequences reading each
/// other's past, which one node per sequence cannot draw.
fn collapse(names: &[String], keys: &[String], owner: &[usize], compiled: &[Compiled]) -> Result<Dag, ScmError> {
    let mut edges = std::collections::BTreeSet::new();
    for (child, c) in compiled.iter().enumerate() {
        for &(parent, _) in &c.parents {
            let (a, b) = (owner[parent], owner[child]);
            if a != b {
                edges.insert((b, a));
            }
        }
    }
    // Edges in the order of the child, then of the parent, as `Dag::new` reads them.
    let edges: Vec<(&str, &str)> = edges.iter().map(|&(b, a)| (names[a].as_str(), names[b].as_str())).collect();
    let nodes: Vec<&str> = names.iter().map(String::as_str).collect();
    Dag::new(&nodes, &edges).map_err(|err| match err {
        GraphError::Cycle { cycle } => {
            let key = cycle.first().and_then(|n| names.iter().position(|m| m == n)).map(|i| keys[i].as_str());
            let kind = ScmErrorKind::SequenceCycle { cycle };
            key.map_or_else(|| ScmError::new(kind.clone()), |k| ScmError::in_node(k, kind.clone()))
        }
        other => ScmError::new(ScmErrorKind::Graph(Box::new(other))),
    })
}

fn sites_of(sites: &[DrawSite], node: usize) -> impl Iterator<Item = usize> + '_ {
    sites.iter().enumerate().filter(move |(_, s)| s.node == node).map(|(i, _)| i)
}

/// Build the DAG of slots; a cycle is reported where `closing_edge` says it
/// was closed, in the equation (`keys`, one per slot) of the slot closing it.
fn derive_dag(names: &[String], keys: &[&str], compiled: &[Compiled]) -> Result<Dag, ScmError> {
    let edges: Vec<(&str, &str)> = compiled
        .iter()
        .enumerate()
        .flat_map(|(child, c)| {
            c.parents.iter().map(move |&(parent, _)| (names[parent].as_str(), names[child].as_str()))
        })
        .collect();
    let nodes: Vec<&str> = names.iter().map(String::as_str).collect();
    Dag::new(&nodes, &edges).map_err(|err| match err {
        GraphError::Cycle { cycle } => cycle_error(names, keys, compiled, cycle),
        GraphError::SelfLoop { node } => cycle_error(names, keys, compiled, vec![node.clone(), node]),
        other => ScmError::new(ScmErrorKind::Graph(Box::new(other))),
    })
}

/// The cycle's error, in the equation that closes it and pointing where that
/// equation names its parent on the cycle, with the cycle listed from that
/// equation's node in the direction of the arrows.
fn cycle_error(names: &[String], keys: &[&str], compiled: &[Compiled], cycle: Vec<String>) -> ScmError {
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
        Some(&(_, offset)) => ScmError::at(keys[child], offset, kind),
        None => ScmError::in_node(keys[child], kind),
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
