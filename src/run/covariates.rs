//! From the experiment's graph to the covariates each estimator receives: the
//! backdoor set chosen by `adjust` for adjustment estimators, the front-door set
//! for the front-door estimator, nothing for the difference in means.

use std::path::Path;

use super::RunError;
use crate::estimate::Role;
use crate::graph::{self, AdjustStrategy, Admg, GraphSpec};
use crate::scm::sequence::{Summary, parse_summary_call, step_of};
use crate::spec::{Dataset, Experiment, observed_names};

/// The covariate sets of an experiment, decided once before its runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Covariates {
    /// `Ok(None)`: every covariate of the data (no graph, or `adjust: all`);
    /// `Err`: why no valid backdoor set exists.
    backdoor: Result<Option<Vec<String>>, String>,
    frontdoor: Option<Vec<String>>,
    /// Latent nodes: never handed to an estimator.
    latent: Vec<String>,
}

impl Covariates {
    /// The covariate names for `kind`, given the data's covariates.
    pub fn for_kind(&self, kind: &str, available: &[String]) -> Result<Vec<String>, String> {
        match crate::estimate::role(kind) {
            Role::None => Ok(Vec::new()),
            Role::FrontDoor => self
                .frontdoor
                .clone()
                .ok_or_else(|| "the graph has no front-door set for this treatment and outcome".to_string()),
            Role::Backdoor => match &self.backdoor {
                Ok(Some(set)) => Ok(set.clone()),
                Ok(None) => Ok(available
                    .iter()
                    .filter(|c| !self.latent.iter().any(|l| l == *c || step_of(c, l).is_some()))
                    .cloned()
                    .collect()),
                Err(reason) => Err(format!("`{kind}` needs a valid backdoor adjustment set, and {reason}")),
            },
        }
    }
}

fn treatment_outcome(exp: &Experiment) -> (String, String) {
    match &exp.dataset {
        Dataset::Simulate(s) => (s.treatment.clone(), s.outcome.clone()),
        Dataset::File { layout, .. } => (layout.treatment.clone(), layout.outcome.clone()),
        Dataset::Builtin { .. } | Dataset::Npz(_) | Dataset::Panel(_) => ("treatment".into(), "outcome".into()),
    }
}

/// The analyst's graph, or the simulator's own graph when none is declared;
/// `None` for real data without a declared graph.
fn analyst_graph(exp: &Experiment) -> Result<Option<Admg>, RunError> {
    if let Some(g) = &exp.graph {
        let observed = observed_names(exp);
        return Ok(Some(graph::parse_graph(&GraphSpec { edges: &g.edges, latent: &g.latent, observed: &observed })?));
    }
    match &exp.dataset {
        Dataset::Simulate(sim) => {
            let model = sim.models.first().ok_or(RunError::Uncompiled)?;
            Ok(Some(Admg::from_dag(model.dag())))
        }
        _ => Ok(None),
    }
}

/// The covariate sets and the identification text of an experiment under `adjust`.
/// A graph without a valid backdoor set is not an error here: the reason is
/// kept, as text, for the outcome of every run that needs the set.
pub fn covariates(exp: &Experiment, adjust: &AdjustStrategy) -> Result<(Covariates, String), RunError> {
    let latent = exp.graph.as_ref().map(|g| g.latent.clone()).unwrap_or_default();
    let Some(g) = analyst_graph(exp)? else {
        let backdoor = match adjust {
            AdjustStrategy::Explicit(list) => Some(list.clone()),
            _ => None,
        };
        let text = "no causal graph declared: estimators adjust for every covariate of the data".to_string();
        return Ok((Covariates { backdoor: Ok(backdoor), frontdoor: None, latent }, text));
    };
    let (t, y) = treatment_outcome(exp);
    // A declared summary (`slope(hr)`) stands for its sequence in the graph.
    let in_graph = match adjust {
        AdjustStrategy::Explicit(list) => AdjustStrategy::Explicit(
            list.iter().map(|n| parse_summary_call(n).map_or(n.as_str(), |(_, s)| s).to_string()).collect(),
        ),
        other => other.clone(),
    };
    let report = graph::identify(&g, &t, &y, &in_graph)?;
    let backdoor = match adjust {
        AdjustStrategy::All => Ok(None),
        AdjustStrategy::Explicit(list) => {
            graph::adjustment_set(&g, &t, &y, &in_graph).map(|_| Some(list.clone())).map_err(|e| e.to_string())
        }
        _ => graph::adjustment_set(&g, &t, &y, adjust).map(Some).map_err(|e| e.to_string()),
    };
    let frontdoor = report.front_door.clone();
    Ok((Covariates { backdoor, frontdoor, latent }, report.to_string()))
}

/// What the declared summaries of an explicit list stand for, one line each:
/// an estimator given `slope(hr)` sees one number, not the sequence.
fn summaries_text(adjust: &AdjustStrategy) -> String {
    let AdjustStrategy::Explicit(list) = adjust else { return String::new() };
    list.iter()
        .filter_map(|n| parse_summary_call(n).map(|(s, q)| (n, s, q)))
        .map(|(n, s, q): (&String, Summary, &str)| {
            let what = crate::scm::sequence::SUMMARIES.iter().find(|(_, x, _)| *x == s).map_or("", |(_, _, w)| w);
            format!("\n`{n}` is a declared summary of the sequence `{q}` ({what}): estimators given it see one number per unit, not the sequence")
        })
        .collect()
}

/// The covariate sets of every adjustment an experiment's configurations use,
/// decided once before its runs.
#[derive(Debug, Clone, PartialEq)]
pub struct CovariateSets {
    sets: Vec<(AdjustStrategy, Covariates)>,
}

impl CovariateSets {
    /// The sets of `exp`'s own `adjust` and of every entry's, with the
    /// identification text: the experiment's, then one line per other adjustment.
    pub fn of(exp: &Experiment) -> Result<(CovariateSets, String), RunError> {
        // A panel's estimators read whole histories: no sets, no identification text.
        if exp.dataset.is_panel() {
            return Ok((CovariateSets { sets: Vec::new() }, String::new()));
        }
        let (first, mut text) = covariates(exp, &exp.adjust)?;
        text.push_str(&summaries_text(&exp.adjust));
        let mut sets = vec![(exp.adjust.clone(), first)];
        for decl in &exp.estimators {
            for adjust in decl.adjustments(&exp.adjust) {
                if sets.iter().any(|(a, _)| a == adjust) {
                    continue;
                }
                let (c, _) = covariates(exp, adjust)?;
                let set = match &c.backdoor {
                    Ok(Some(set)) if set.is_empty() => "the empty set".to_string(),
                    Ok(Some(set)) => set.join(", "),
                    Ok(None) => "every observed covariate".to_string(),
                    Err(reason) => format!("none ({reason})"),
                };
                text.push_str(&format!("\nadjust: {} adjusts for {set}", adjust.describe()));
                text.push_str(&summaries_text(adjust));
                sets.push((adjust.clone(), c));
            }
        }
        Ok((CovariateSets { sets }, text))
    }

    /// The covariate names for `kind` under `adjust`, given the data's covariates.
    pub fn for_run(&self, kind: &str, adjust: &AdjustStrategy, available: &[String]) -> Result<Vec<String>, String> {
        match self.sets.iter().find(|(a, _)| a == adjust) {
            Some((_, c)) => c.for_kind(kind, available),
            None => Err(format!("no covariate set was decided for `adjust: {}`", adjust.describe())),
        }
    }
}

/// The analyst's graph (or the simulator's) and the identification of the
/// effect in it under the experiment's `adjust`, for drawing; `None` for real
/// data without a declared graph.
pub fn identified_graph(exp: &Experiment) -> Result<Option<(Admg, graph::Identification)>, RunError> {
    let Some(g) = analyst_graph(exp)? else { return Ok(None) };
    let (t, y) = treatment_outcome(exp);
    let report = graph::identify(&g, &t, &y, &exp.adjust)?;
    Ok(Some((g, report)))
}

/// `causeway identify`: the text and the JSON of the identification result.
pub fn identification(exp: &Experiment, _root: &Path) -> Result<(String, serde_json::Value), RunError> {
    if exp.dataset.is_panel() {
        let text = "a panel experiment (treatments over time): no graph to identify from; its estimators read \
                    each unit's history"
            .to_string();
        return Ok((text.clone(), serde_json::json!({ "graph": null, "note": text })));
    }
    let Some(g) = analyst_graph(exp)? else {
        let text = "no causal graph declared: estimators adjust for every covariate of the data".to_string();
        return Ok((text.clone(), serde_json::json!({ "graph": null, "note": text })));
    };
    let (t, y) = treatment_outcome(exp);
    let report = graph::identify(&g, &t, &y, &exp.adjust)?;
    let json = serde_json::to_value(&report).map_err(RunError::IdentificationJson)?;
    Ok((report.to_string(), json))
}
