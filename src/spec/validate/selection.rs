//! Validation of `selection:`: the criteria's and the protocol's names, the
//! entries `across` groups, the truth metric, the folds, and that something
//! is there to choose among.

use super::{Result, invalid};
use crate::estimate::select::Criterion;
use crate::estimate::{Goal, Metric};
use crate::spec::experiment::{Dataset, EstimatorDecl};
use crate::spec::load::Loaded;
use crate::spec::raw::RawSelection;
use crate::spec::selection::{Choose, Selection};
use crate::suggest::{did_you_mean, help};

const MAX_FOLDS: i64 = 20;

fn named<T: Copy>(
    loaded: &Loaded,
    path: &str,
    what: &str,
    name: &str,
    known: &[&str],
    find: impl Fn(&str) -> Option<T>,
) -> Result<T> {
    find(name).ok_or_else(|| {
        invalid(loaded, path, format!("unknown {what} `{name}`")).with_help(
            did_you_mean(name, known.iter().copied())
                .map_or_else(|| format!("{what}s: {}", known.join(", ")), |s| help(&s)),
        )
    })
}

pub(super) fn check_selection(
    loaded: &Loaded,
    raw: Option<&RawSelection>,
    estimators: &[EstimatorDecl],
    dataset: &Dataset,
) -> Result<Option<Selection>> {
    let Some(raw) = raw else { return Ok(None) };
    let criteria = match &raw.criteria {
        None => Criterion::ALL.to_vec(),
        Some(names) if names.is_empty() => {
            return Err(invalid(loaded, "selection.criteria", "list at least one criterion")
                .with_help("leave `criteria` out to compute them all"));
        }
        Some(names) => {
            let known: Vec<&str> = Criterion::ALL.iter().map(|c| c.name()).collect();
            let mut chosen = Vec::new();
            for (i, name) in names.iter().enumerate() {
                let path = format!("selection.criteria[{i}]");
                let c = named(loaded, &path, "criterion", name, &known, Criterion::from_name)?;
                if chosen.contains(&c) {
                    return Err(invalid(loaded, &path, format!("criterion `{name}` is listed twice")));
                }
                chosen.push(c);
            }
            chosen.sort();
            chosen
        }
    };
    let choose = match &raw.choose {
        None => Choose::AllReplications,
        Some(name) => named(loaded, "selection.choose", "protocol", name, &Choose::NAMES, Choose::from_name)?,
    };
    let across = raw.across.clone().unwrap_or_default();
    if raw.across.is_some() && across.len() < 2 {
        return Err(invalid(loaded, "selection.across", "`across` groups at least two estimator entries")
            .with_help("name two or more entries' labels, or leave `across` out"));
    }
    for (i, label) in across.iter().enumerate() {
        let path = format!("selection.across[{i}]");
        if !estimators.iter().any(|d| &d.label == label) {
            let labels: Vec<&str> = estimators.iter().map(|d| d.label.as_str()).collect();
            return Err(invalid(loaded, &path, format!("no estimator entry is labelled `{label}`")).with_help(
                did_you_mean(label, labels.iter().copied())
                    .map_or_else(|| format!("entries: {}", labels.join(", ")), |s| help(&s)),
            ));
        }
        if across[..i].contains(label) {
            return Err(invalid(loaded, &path, format!("entry `{label}` is listed twice")));
        }
    }
    if across.is_empty() && !estimators.iter().any(|d| d.configurations().is_some_and(|n| n > 1)) {
        return Err(invalid(loaded, "selection", "no estimator entry has two configurations to choose between")
            .with_help("give an entry a `sweep:`, or group entries with `selection.across`"));
    }
    let truth = match &raw.truth {
        None => Metric::PeheOut,
        Some(name) => {
            let m = name.parse::<Metric>().map_err(|e| invalid(loaded, "selection.truth", e.to_string()))?;
            if m.goal() != Some(Goal::Lower) {
                return Err(invalid(
                    loaded,
                    "selection.truth",
                    format!("`{name}` is not an error metric, so it names no best configuration"),
                )
                .with_help("use pehe_out (the default), pehe_in, ate_error, ate_error_out, att_error or policy_risk"));
            }
            m
        }
    };
    if raw.truth.is_some() && !dataset.has_truth_declared() {
        return Err(invalid(loaded, "selection.truth", "this dataset has no ground truth to score a choice against")
            .with_help("leave `truth` out: the choice is then reported without its score"));
    }
    let folds = raw.folds.unwrap_or(2);
    if !(2..=MAX_FOLDS).contains(&folds) {
        return Err(invalid(
            loaded,
            "selection.folds",
            format!("folds must be a whole number from 2 to {MAX_FOLDS}, found {folds}"),
        )
        .with_help("EconML's RScorer uses 2"));
    }
    Ok(Some(Selection { criteria, choose, across, truth, folds: folds as usize }))
}
