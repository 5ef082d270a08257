//! The selection stage: from the validation records runs stored
//! (`ValidationRecord`), compute each declared criterion for every
//! configuration, choose the configuration each criterion ranks first, and
//! score the choice against the truth the runs were scored by: the chosen
//! configuration's truth metric, the oracle-best configuration's, the regret
//! between them and Spearman's rank correlation of criterion and truth.
//!
//! A group is the configurations of one estimator entry (or of the entries
//! `across` joins) at one data-sweep point. Within a replication every member
//! must carry the same validation rows, treatment and outcomes (the split is
//! drawn from the replication's seed alone, so they do unless an analysis
//! dropped incomplete rows); where they differ, that replication is left out
//! of the group's selection and the table says so. The nuisance models are
//! fitted once per group and replication, on the validation rows, with folds
//! from the replication's own selection stream. Nothing here reads a test row
//! or the truth to choose: the truth enters only the scoring columns.

use std::collections::BTreeMap;

use super::pipeline::{SELECTION_STREAM, stream};
use super::{Outcome, Run, ValidationRecord};
use crate::estimate::select::{self, Criterion, Nuisance, ValidationRows, fit_nuisance};
use crate::spec::{Choose, Experiment, Selection};

/// One criterion's choice in one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub point: String,
    pub group: String,
    pub criterion: Criterion,
    /// The chosen configuration (each_replication: the one chosen most often).
    pub chosen: Option<String>,
    /// In how many of the replications that configuration was chosen, of how many chose.
    pub times: (usize, usize),
    pub oracle: Option<String>,
    /// Mean truth metric of the chosen and the oracle-best configurations, and the regret (mean, se).
    pub truth_chosen: Option<f64>,
    pub truth_oracle: Option<f64>,
    pub regret: Option<(f64, f64)>,
    /// Spearman's rank correlation of criterion and truth over the group's configurations (mean over replications).
    pub rank_corr: Option<f64>,
}

/// A criterion's value for one configuration in one replication.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub point: String,
    pub group: String,
    pub config: String,
    pub replication: u32,
    pub criteria: Vec<Option<f64>>,
    pub truth: Option<f64>,
}

/// Everything the selection tables show.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SelectionTable {
    pub choices: Vec<Choice>,
    pub values: Vec<Value>,
    /// (point, group, replication, why it was left out).
    pub skipped: Vec<(String, String, u32, String)>,
}

/// Per configuration of a replication: its criteria's values and its truth metric.
type Scores = Vec<(Vec<Option<f64>>, Option<f64>)>;
/// One replication's values of one criterion and of the truth, per configuration.
type Replication = (Vec<Option<f64>>, Vec<Option<f64>>);

/// The configuration part of a run label (`cfr[alpha=0.3]`).
fn config_of(run: &Run) -> String {
    run.label.rsplit('/').next().unwrap_or_default().to_string()
}

fn point_of(run: &Run) -> String {
    run.point.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// The selection of `exp`'s runs (in plan order, with their outcomes); empty without `selection:`.
pub fn select(exp: &Experiment, runs: &[Run], outcomes: &[Option<Outcome>]) -> SelectionTable {
    let Some(sel) = &exp.selection else { return SelectionTable::default() };
    // (point, group) in plan order -> replication -> members (config, run, outcome).
    type Members<'a> = BTreeMap<u32, Vec<(String, &'a Run, Option<&'a Outcome>)>>;
    let mut groups: Vec<((String, String), Members<'_>)> = Vec::new();
    for (run, outcome) in runs.iter().zip(outcomes) {
        let id = (point_of(run), sel.group_of(&run.estimator));
        let at = match groups.iter().position(|(g, _)| *g == id) {
            Some(i) => i,
            None => {
                groups.push((id, BTreeMap::new()));
                groups.len() - 1
            }
        };
        groups[at].1.entry(run.replication).or_default().push((config_of(run), run, outcome.as_ref()));
    }
    let mut table = SelectionTable::default();
    for ((point, group), replications) in groups {
        let configs: Vec<String> =
            replications.values().next().map(|m| m.iter().map(|(c, ..)| c.clone()).collect()).unwrap_or_default();
        if configs.len() < 2 {
            continue;
        }
        // replication -> per config (criteria values, truth).
        let mut scored: BTreeMap<u32, Scores> = BTreeMap::new();
        for (r, members) in &replications {
            match score_replication(sel, members) {
                Ok(s) => {
                    for ((config, ..), (values, truth)) in members.iter().zip(&s) {
                        table.values.push(Value {
                            point: point.clone(),
                            group: group.clone(),
                            config: config.clone(),
                            replication: *r,
                            criteria: values.clone(),
                            truth: *truth,
                        });
                    }
                    scored.insert(*r, s);
                }
                Err(why) => table.skipped.push((point.clone(), group.clone(), *r, why)),
            }
        }
        for (k, &criterion) in sel.criteria.iter().enumerate() {
            let per_rep: Vec<Replication> = scored
                .values()
                .map(|s| (s.iter().map(|(v, _)| v[k]).collect(), s.iter().map(|(_, t)| *t).collect()))
                .collect();
            let choice = match sel.choose {
                Choose::EachReplication => choose_each(&configs, &per_rep),
                Choose::AllReplications => choose_pooled(&configs, &per_rep),
            };
            table.choices.push(Choice { point: point.clone(), group: group.clone(), criterion, ..choice });
        }
    }
    table
}

/// Every criterion of every member of one replication, and its truth metric.
fn score_replication(sel: &Selection, members: &[(String, &Run, Option<&Outcome>)]) -> Result<Scores, String> {
    let records: Vec<Option<&ValidationRecord>> =
        members.iter().map(|(_, _, o)| o.filter(|o| o.is_ok()).and_then(|o| o.validation.as_deref())).collect();
    let Some(first) = records.iter().flatten().next() else {
        return Err("no run of the group stored a validation record".into());
    };
    if let Some(((config, ..), _)) = members
        .iter()
        .zip(&records)
        .find(|(_, r)| r.is_some_and(|r| r.rows != first.rows || r.t != first.t || r.y != first.y))
    {
        return Err(format!("`{config}` was validated on other rows than the rest of the group"));
    }
    let rows = ValidationRows::new(&first.x, &first.t, &first.y);
    let nuisance: Option<Result<Nuisance, String>> = sel.criteria.iter().any(|c| c.needs_nuisance()).then(|| {
        let rng = &mut stream(members[0].1.seed, SELECTION_STREAM);
        fit_nuisance(&rows, sel.folds, rng).map_err(|e| e.to_string())
    });
    let nu = nuisance.as_ref().and_then(|n| n.as_ref().ok());
    Ok(members
        .iter()
        .zip(&records)
        .map(|((_, _, outcome), record)| {
            let values = sel.criteria.iter().map(|&c| record.and_then(|r| criterion(c, &rows, nu, r))).collect();
            let truth = outcome.filter(|o| o.is_ok()).and_then(|o| o.metric(sel.truth.name()));
            (values, truth)
        })
        .collect())
}

fn criterion(c: Criterion, rows: &ValidationRows<'_>, nu: Option<&Nuisance>, r: &ValidationRecord) -> Option<f64> {
    let tau = &r.tau;
    match c {
        Criterion::MuRisk => select::mu_risk(rows, r.mu0.as_ref()?, r.mu1.as_ref()?),
        Criterion::PeheNn => select::pehe_nn(rows, tau),
        Criterion::PluginPehe => select::plugin_pehe(nu?, tau),
        Criterion::DrRisk => select::dr_risk(rows, nu?, tau),
        Criterion::RLoss => select::r_loss_ratio(rows, nu?, tau),
        Criterion::IfPehe => select::if_pehe(rows, nu?, tau),
    }
    .filter(|v| v.is_finite())
}

/// The index of the smallest value (the first on ties), None when none has one.
fn argmin(values: &[Option<f64>]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = *v
            && best.is_none_or(|(_, b)| v < b)
        {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn mean_se(values: &[f64]) -> Option<(f64, f64)> {
    let m = mean(values)?;
    let n = values.len() as f64;
    let se = if values.len() > 1 {
        (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt()
    } else {
        0.0
    };
    Some((m, se))
}

/// A choice in each replication; the configuration chosen most often (the first on ties) is shown.
fn choose_each(configs: &[String], per_rep: &[Replication]) -> Choice {
    let mut counts = vec![0usize; configs.len()];
    let (mut chosen_truth, mut oracle_truth, mut regrets, mut corrs) = (vec![], vec![], vec![], vec![]);
    let mut oracle_counts = vec![0usize; configs.len()];
    for (values, truth) in per_rep {
        let (Some(c), o) = (argmin(values), argmin(truth)) else { continue };
        counts[c] += 1;
        if let Some(o) = o {
            oracle_counts[o] += 1;
            if let (Some(tc), Some(to)) = (truth[c], truth[o]) {
                chosen_truth.push(tc);
                oracle_truth.push(to);
                regrets.push(tc - to);
            }
        }
        if let Some(r) = spearman(values, truth) {
            corrs.push(r);
        }
    }
    let mode = |counts: &[usize]| argmin(&counts.iter().map(|&c| (c > 0).then_some(-(c as f64))).collect::<Vec<_>>());
    let chosen = mode(&counts);
    Choice {
        point: String::new(),
        group: String::new(),
        criterion: Criterion::MuRisk,
        chosen: chosen.map(|c| configs[c].clone()),
        times: (chosen.map_or(0, |c| counts[c]), counts.iter().sum()),
        oracle: mode(&oracle_counts).map(|o| configs[o].clone()),
        truth_chosen: mean(&chosen_truth),
        truth_oracle: mean(&oracle_truth),
        regret: mean_se(&regrets),
        rank_corr: mean(&corrs),
    }
}

/// One choice by the criterion averaged over the replications (cfrnet's
/// protocol); a configuration missing a value in some replication is not a candidate.
fn choose_pooled(configs: &[String], per_rep: &[Replication]) -> Choice {
    let average = |pick: &dyn Fn(&Replication) -> Option<f64>| -> Option<f64> {
        let v: Option<Vec<f64>> = per_rep.iter().map(pick).collect();
        v.and_then(|v| mean(&v))
    };
    let crit: Vec<Option<f64>> = (0..configs.len()).map(|i| average(&|(v, _)| v[i])).collect();
    let truth: Vec<Option<f64>> = (0..configs.len()).map(|i| average(&|(_, t)| t[i])).collect();
    let (c, o) = (argmin(&crit), argmin(&truth));
    let regrets: Option<Vec<f64>> =
        c.zip(o).and_then(|(c, o)| per_rep.iter().map(|(_, t)| Some(t[c]? - t[o]?)).collect());
    Choice {
        point: String::new(),
        group: String::new(),
        criterion: Criterion::MuRisk,
        chosen: c.map(|c| configs[c].clone()),
        times: (usize::from(c.is_some()), usize::from(c.is_some())),
        oracle: o.map(|o| configs[o].clone()),
        truth_chosen: c.and_then(|c| truth[c]),
        truth_oracle: o.and_then(|o| truth[o]),
        regret: regrets.as_deref().and_then(mean_se),
        rank_corr: spearman(&crit, &truth),
    }
}

/// Ranks 1..n of `v`, ties sharing their mean rank.
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        for &k in &order[i..=j] {
            r[k] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation over the pairs where both have a value: the
/// Pearson correlation of their ranks; None below 3 pairs or without spread.
pub(crate) fn spearman(a: &[Option<f64>], b: &[Option<f64>]) -> Option<f64> {
    let (x, y): (Vec<f64>, Vec<f64>) = a.iter().zip(b).filter_map(|(a, b)| Some(((*a)?, (*b)?))).unzip();
    if x.len() < 3 {
        return None;
    }
    let (rx, ry) = (ranks(&x), ranks(&y));
    let (mx, my) = (mean(&rx)?, mean(&ry)?);
    let cov: f64 = rx.iter().zip(&ry).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = rx.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = ry.iter().map(|b| (b - my).powi(2)).sum();
    (vx > 0.0 && vy > 0.0).then(|| cov / (vx * vy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_by_hand() {
        let s = |a: &[f64], b: &[f64]| {
            spearman(&a.iter().map(|&v| Some(v)).collect::<Vec<_>>(), &b.iter().map(|&v| Some(v)).collect::<Vec<_>>())
        };
        assert_eq!(s(&[1.0, 2.0, 3.0], &[10.0, 30.0, 20.0]), Some(0.5));
        assert_eq!(s(&[1.0, 2.0, 3.0, 4.0], &[4.0, 3.0, 2.0, 1.0]), Some(-1.0));
        // Ties share ranks: (1.5, 1.5, 3) against (1, 2, 3): r = 1.5 / sqrt(1.5 * 2).
        assert!((s(&[5.0, 5.0, 7.0], &[1.0, 2.0, 3.0]).unwrap() - 1.5 / 3.0f64.sqrt()).abs() < 1e-12);
        assert_eq!(s(&[1.0, 2.0], &[1.0, 2.0]), None, "too few pairs");
    }

    #[test]
    fn the_two_protocols_choose_by_hand() {
        let configs: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let some = |v: [f64; 3]| v.iter().map(|&x| Some(x)).collect::<Vec<_>>();
        // Replication 1: criterion picks b, truth best c; replication 2: criterion a, truth a.
        let reps = vec![(some([2.0, 1.0, 3.0]), some([5.0, 4.0, 1.0])), (some([1.0, 2.0, 3.0]), some([1.0, 2.0, 6.0]))];
        let each = choose_each(&configs, &reps);
        assert_eq!((each.chosen.as_deref(), each.times), (Some("a"), (1, 2)), "a tie of counts goes to the first");
        assert_eq!((each.truth_chosen, each.truth_oracle), (Some(2.5), Some(1.0)));
        assert_eq!(each.regret, Some((1.5, 1.5)));
        // Pooled: mean criterion (1.5, 1.5, 3) picks a; mean truth (3, 3, 3.5) is best at a.
        let pooled = choose_pooled(&configs, &reps);
        assert_eq!((pooled.chosen.as_deref(), pooled.oracle.as_deref()), (Some("a"), Some("a")));
        assert_eq!((pooled.truth_chosen, pooled.regret), (Some(3.0), Some((0.0, 0.0))));
    }
}
