//! With simulated data the true graph is known: it is read off the equations'
//! right-hand sides. This compares it with the analyst's `graph:` and warns, with
//! locations, where the graph omits what the simulator does: a simulated node
//! the graph neither names nor declares latent, a true edge, or a confounding
//! path (a `<->` of the true graph projected onto the observed nodes). Omissions
//! are what bias an adjustment; an extra edge only makes the graph conservative,
//! so it is not reported. `graph: { misspecified: true }` silences the warnings,
//! for a study of wrong graphs on purpose.
//!
//! Both graphs are compared as ADMGs over the same observed nodes (latent
//! projection, `graph::parse_graph`), so a path through a declared latent node
//! counts the same in both. Complexity: that of two projections, O(V·(V + E)).

use std::collections::BTreeSet;

use super::error::{SpecError, SpecErrorKind};
use super::experiment::{Dataset, Experiment};
use super::load::Loaded;
use crate::graph::{Admg, GraphSpec, parse_graph};

/// Where the analyst's graph omits what the simulator does; empty when the
/// experiment has no graph, simulates nothing, or declares `misspecified`.
pub fn graph_warnings(loaded: &Loaded, exp: &Experiment) -> Vec<SpecError> {
    let (Some(graph), Dataset::Simulate(sim)) = (&exp.graph, &exp.dataset) else { return Vec::new() };
    if graph.misspecified {
        return Vec::new();
    }
    let observed = super::cross_check::observed_names(exp);
    let Ok(declared) = parse_graph(&GraphSpec { edges: &graph.edges, latent: &graph.latent, observed: &observed })
    else {
        return Vec::new(); // cross_check() reports a graph that does not parse
    };
    let Some(model) = sim.models.first() else { return Vec::new() };
    let dag = model.dag();
    let true_edges: Vec<String> = dag.edges().map(|(a, b)| format!("{} -> {}", dag.name(a), dag.name(b))).collect();
    let latent: Vec<String> = graph.latent.iter().filter(|l| dag.id(l).is_some()).cloned().collect();
    let Ok(truth) = parse_graph(&GraphSpec { edges: &true_edges, latent: &latent, observed: &observed }) else {
        return Vec::new();
    };

    let help = "add it to `graph:`, or set `graph: { misspecified: true }` to study a wrong graph on purpose";
    let mut warnings = Vec::new();
    let named: BTreeSet<&str> =
        graph.edges.iter().flat_map(|e| e.split(['-', '<', '>', ' '])).filter(|w| !w.is_empty()).collect();
    let absent: BTreeSet<&str> = observed.iter().map(String::as_str).filter(|n| !named.contains(n)).collect();
    for node in &absent {
        warnings.push(warning(
            loaded,
            "graph",
            format!("`{node}` is simulated but the graph has no edge of it (and does not declare it latent)"),
            help,
        ));
    }
    let has = |g: &Admg, a: &str, b: &str| g.id(a).zip(g.id(b)).is_some_and(|(a, b)| g.parents(b).contains(&a));
    for (a, b) in truth.directed_edges() {
        let (a, b) = (truth.name(a), truth.name(b));
        if !has(&declared, a, b) && !absent.contains(a) && !absent.contains(b) {
            let at = format!("dataset.simulate.equations.{}", model.key_of(b).unwrap_or(b));
            warnings.push(warning(
                loaded,
                &at,
                format!("the graph omits the edge `{a} -> {b}` that the equation of `{b}` makes"),
                help,
            ));
        }
    }
    let sibling = |g: &Admg, a: &str, b: &str| g.id(a).zip(g.id(b)).is_some_and(|(a, b)| g.siblings(b).contains(&a));
    for (a, b) in truth.bidirected_edges() {
        let (a, b) = (truth.name(a), truth.name(b));
        if !sibling(&declared, a, b) && !absent.contains(a) && !absent.contains(b) {
            let message = format!(
                "the equations confound `{a}` and `{b}` through variables the graph omits or declares latent, but the graph has no such path (`{a} <-> {b}`)"
            );
            warnings.push(warning(loaded, "graph", message, help));
        }
    }
    warnings
}

fn warning(loaded: &Loaded, path: &str, message: String, help: &str) -> SpecError {
    loaded.error_at(path, false, SpecErrorKind::Misspecified(message)).with_help(help)
}
