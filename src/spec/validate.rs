//! Validation: raw types -> typed, checked `Experiment`, each value on its own
//! (names, ranges, literals, defaults), the size limits, and the equations
//! compiled at every sweep point. Checks across modules (estimator kinds and
//! hyperparameters, a trial simulation, the graph, the data file) live in
//! `cross_check`.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use serde_yaml_ng::Value;

use super::error::{SpecError, SpecErrorKind};
use super::experiment::*;
use super::load::{Loaded, describe};
use super::models::Models;
use super::raw::*;
use super::size::{Limits, check_size};
use crate::data::SplitFractions;
use crate::estimate::Metric;
use crate::graph::AdjustStrategy;
use crate::suggest::did_you_mean;

mod dataset;
mod estimators;
mod panel;
pub use panel::{MAX_PANEL_STEPS, MAX_PANEL_UNITS};
mod preprocess;
use dataset::check_dataset;
mod robustness;
mod selection;
use estimators::{check_adjust, check_estimators};
use preprocess::check_preprocess;
use robustness::check_robustness;
use selection::check_selection;

const MAX_REPLICATIONS: i64 = 1_000_000;

pub(super) type Result<T> = std::result::Result<T, SpecError>;

pub(super) fn invalid(loaded: &Loaded, path: &str, message: impl Into<String>) -> SpecError {
    loaded.error_at(path, false, SpecErrorKind::Invalid(message.into()))
}

/// Validate a loaded file into an `Experiment` under the default size limits.
pub fn validate(loaded: &Loaded) -> Result<Experiment> {
    validate_with(loaded, &Limits::default())
}

/// Validate the structure of a loaded file into an `Experiment`: typed values,
/// defaults filled in, the size within `limits` (refused before anything is
/// expanded), and the simulator's equations compiled at every sweep point.
pub fn validate_with(loaded: &Loaded, limits: &Limits) -> Result<Experiment> {
    let mut exp = structure(loaded)?;
    check_size(loaded, &exp, limits)?;
    let (params, sweep) = (&exp.params, &exp.sweep);
    if let Dataset::Simulate(sim) = &mut exp.dataset {
        sim.models = Models::compile(loaded, &sim.equations, params, sweep)?;
    }
    Ok(exp)
}

fn structure(loaded: &Loaded) -> Result<Experiment> {
    let raw = &loaded.raw;
    check_name(loaded, &raw.name)?;
    let replications = check_replications(loaded, raw.replications)?;
    let params = check_params(loaded, &raw.params)?;
    let sweep = check_sweep(loaded, &raw.sweep, &params)?;
    let dataset = check_dataset(loaded, &raw.dataset, &params)?;
    let metrics = match &raw.metrics {
        Some(listed) => check_metrics(loaded, listed)?,
        None if dataset.is_panel() => vec![Metric::Rmse1],
        None if !dataset.has_truth_declared() => vec![Metric::Ate],
        None => vec![Metric::Ate, Metric::AteError],
    };
    panel::check_metric_kinds(loaded, &metrics, dataset.is_panel())?;
    if dataset.is_panel() {
        panel::check_panel_sections(loaded, raw)?;
    }
    // In the order the fields were checked before `robustness` existed, so that a
    // file with several mistakes still reports the same first one.
    let adjust = match raw.adjust.as_ref() {
        None => AdjustStrategy::Optimal,
        Some(v) => check_adjust(loaded, "adjust", v)?,
    };
    let preprocess = check_preprocess(loaded, &raw.preprocess, &dataset, raw.graph.as_ref())?;
    let split = check_split(loaded, &raw.split)?;
    let estimators = check_estimators(loaded, &raw.estimators)?;
    let plot = check_plot(loaded, raw.plot.as_ref().and_then(|p| p.metric.as_deref()), &metrics)?;
    let robustness = check_robustness(loaded, raw.robustness.as_ref(), &estimators, &metrics)?;
    let selection = check_selection(loaded, raw.selection.as_ref(), &estimators, &dataset)?;
    Ok(Experiment {
        robustness,
        selection,
        name: raw.name.clone(),
        scenario: raw.scenario.clone().unwrap_or_default(),
        description: raw.description.clone().unwrap_or_default().trim().to_string(),
        seed: raw.seed,
        replications,
        files: loaded.sources.iter().map(|s| (s.path.clone(), s.sha256.clone())).collect(),
        params,
        sweep,
        graph: raw.graph.as_ref().map(|g| GraphDecl {
            edges: g.edges.clone(),
            latent: g.latent.clone(),
            misspecified: g.misspecified,
        }),
        adjust,
        preprocess,
        split,
        estimators,
        plot,
        metrics,
        dataset,
    })
}

/// Names become folder names: lowercase letters, digits, `-`, `_` and `.`, not
/// starting with a dot, so no name can escape `results/`.
pub fn is_safe_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.len() <= 100
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
        && !name.contains("..")
}

fn check_name(loaded: &Loaded, name: &str) -> Result<()> {
    if is_safe_name(name) {
        return Ok(());
    }
    let safe: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .collect();
    let safe = safe.trim_matches('-').to_string();
    Err(invalid(loaded, "name", format!("`{name}` is not a safe experiment name (it becomes a folder under results/)"))
        .with_help(format!(
            "use lowercase letters, digits, `-`, `_` and `.`, without `/` or `..`{}",
            if is_safe_name(&safe) { format!(", e.g. `{safe}`") } else { String::new() }
        )))
}

fn check_replications(loaded: &Loaded, n: i64) -> Result<u32> {
    if (1..=MAX_REPLICATIONS).contains(&n) {
        return Ok(n as u32);
    }
    Err(invalid(loaded, "replications", format!("replications must be between 1 and {MAX_REPLICATIONS}, found {n}"))
        .with_help("each replication draws a fresh dataset; use at least 1"))
}

fn is_identifier(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(x) if x.is_ascii_alphabetic() || x == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

fn check_params(loaded: &Loaded, params: &BTreeMap<String, f64>) -> Result<BTreeMap<String, f64>> {
    for (name, value) in params {
        let path = format!("params.{name}");
        if !is_identifier(name) {
            return Err(loaded
                .error_at(&path, true, SpecErrorKind::Invalid(format!("`{name}` is not a valid parameter name")))
                .with_help("parameter names are identifiers: letters, digits and `_`, referenced as `$name`"));
        }
        if !value.is_finite() {
            return Err(invalid(loaded, &path, format!("parameter `{name}` must be a finite number")));
        }
    }
    Ok(params.clone())
}

fn check_sweep(
    loaded: &Loaded,
    sweep: &BTreeMap<String, Vec<f64>>,
    params: &BTreeMap<String, f64>,
) -> Result<Vec<(String, Vec<f64>)>> {
    let mut out = Vec::new();
    for (name, values) in sweep {
        let path = format!("sweep.{name}");
        if !params.contains_key(name) {
            let help = match did_you_mean(name, params.keys().map(String::as_str)) {
                Some(s) => crate::suggest::help(&s),
                None => format!("declare it first under `params:` with a default, e.g. `params: {{ {name}: 1.0 }}`"),
            };
            return Err(loaded
                .error_at(&path, true, SpecErrorKind::Invalid(format!("sweep over undeclared parameter `{name}`")))
                .with_help(help));
        }
        if values.is_empty() {
            return Err(invalid(loaded, &path, format!("the sweep of `{name}` is empty"))
                .with_help("list at least one value, or remove the key"));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(invalid(loaded, &format!("{path}[{i}]"), "sweep values must be finite numbers"));
        }
        out.push((name.clone(), values.clone()));
    }
    Ok(out)
}

/// A number, or a string `$name` naming a declared parameter.
pub(super) fn check_quantity(
    loaded: &Loaded,
    path: &str,
    value: &Value,
    params: &BTreeMap<String, f64>,
) -> Result<Quantity> {
    match value {
        Value::Number(n) => n.as_f64().map(Quantity::Value).ok_or_else(|| invalid(loaded, path, "expected a number")),
        Value::String(s) if s.starts_with('$') => {
            let name = &s[1..];
            if params.contains_key(name) {
                Ok(Quantity::Param(name.to_string()))
            } else {
                Err(undeclared_param(loaded, path, name, params))
            }
        }
        other => Err(loaded.error_at(
            path,
            false,
            SpecErrorKind::WrongType(format!("expected a number or a `$param`, found {}", describe(other))),
        )),
    }
}

pub(super) fn undeclared_param(loaded: &Loaded, path: &str, name: &str, params: &BTreeMap<String, f64>) -> SpecError {
    let help = match did_you_mean(name, params.keys().map(String::as_str)) {
        Some(s) => crate::suggest::help(&format!("${s}")),
        None => format!("declare it under `params:`, e.g. `params: {{ {name}: 1.0 }}`"),
    };
    invalid(loaded, path, format!("`${name}` is not a declared parameter")).with_help(help)
}

pub(super) fn check_simulate(loaded: &Loaded, raw: &RawSimulate, params: &BTreeMap<String, f64>) -> Result<Simulate> {
    let n = check_quantity(loaded, "dataset.simulate.n", &raw.n, params)?;
    let mut equations = Vec::new();
    for (node, rhs) in &raw.equations {
        let Value::String(node) = node else {
            return Err(invalid(loaded, "dataset.simulate.equations", "equation names must be strings"));
        };
        let path = format!("dataset.simulate.equations.{node}");
        let rhs = match rhs {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => {
                return Err(loaded.error_at(
                    &path,
                    false,
                    SpecErrorKind::WrongType(format!("expected an expression, found {}", describe(other))),
                ));
            }
        };
        equations.push((node.clone(), rhs));
    }
    if equations.is_empty() {
        return Err(invalid(loaded, "dataset.simulate.equations", "a simulated dataset needs at least one equation"));
    }
    for (key, var) in [("treatment", &raw.treatment), ("outcome", &raw.outcome)] {
        let names = || equations.iter().map(|(n, _)| crate::scm::sequence::node_name(n));
        if !names().any(|n| n == var) {
            let help = did_you_mean(var, names()).map(|s| crate::suggest::help(&s));
            return Err(invalid(
                loaded,
                &format!("dataset.simulate.{key}"),
                format!("{key} `{var}` is not one of the simulated variables"),
            )
            .with_help_opt(help.or_else(|| Some(format!("add an equation for `{var}` under `equations:`")))));
        }
    }
    let missing = match &raw.missing {
        None => MissingDecl::None,
        Some(RawMissing { mcar: Some(rate), mar: None }) => {
            MissingDecl::Mcar { rate: check_quantity(loaded, "dataset.simulate.missing.mcar", rate, params)? }
        }
        Some(RawMissing { mcar: None, mar: Some(m) }) => MissingDecl::Mar {
            driver: m.driver.clone(),
            rate: check_quantity(loaded, "dataset.simulate.missing.mar.rate", &m.rate, params)?,
        },
        Some(_) => {
            return Err(invalid(
                loaded,
                "dataset.simulate.missing",
                "give exactly one of `mcar: RATE` or `mar: { driver: VAR, rate: RATE }`",
            ));
        }
    };
    let (treatment, outcome) = (raw.treatment.clone(), raw.outcome.clone());
    Ok(Simulate { n, equations, treatment, outcome, missing, models: Models::default() })
}

fn check_split(loaded: &Loaded, raw: &RawSplit) -> Result<SplitFractions> {
    for (key, v) in [("test", raw.test), ("validation", raw.validation)] {
        if !(0.0..1.0).contains(&v) {
            return Err(invalid(
                loaded,
                &format!("split.{key}"),
                format!("`{key}` is a share of the rows and must be in [0, 1), found {v}"),
            ));
        }
    }
    if raw.test + raw.validation >= 1.0 {
        return Err(invalid(
            loaded,
            "split",
            format!(
                "test ({}) and validation ({}) leave no rows to train on: their sum must be below 1",
                raw.test, raw.validation
            ),
        )
        .with_help("the shares are of all rows; the papers' protocol is `split: { test: 0.1, validation: 0.27 }`"));
    }
    Ok(SplitFractions { test: raw.test, validation: raw.validation })
}

fn check_metrics(loaded: &Loaded, metrics: &[String]) -> Result<Vec<Metric>> {
    if metrics.is_empty() {
        return Err(invalid(loaded, "metrics", "list at least one metric"));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(metrics.len());
    for (i, m) in metrics.iter().enumerate() {
        let metric = Metric::from_str(m).map_err(|e| {
            let known: Vec<&str> = Metric::ALL.iter().map(Metric::name).collect();
            // The message carries the "did you mean" already; the help lists
            // them all, since a prefix such as `pehe` fits more than one.
            invalid(loaded, &format!("metrics[{i}]"), e.to_string())
                .with_help(format!("known metrics: {}", known.join(", ")))
        })?;
        if !seen.insert(metric) {
            return Err(invalid(loaded, &format!("metrics[{i}]"), format!("metric `{m}` is listed twice")));
        }
        out.push(metric);
    }
    Ok(out)
}

/// The plot draws a column of the summary, so its metric must be one of `metrics`.
fn check_plot(loaded: &Loaded, metric: Option<&str>, metrics: &[Metric]) -> Result<Plot> {
    let Some(m) = metric else { return Ok(Plot { metric: None }) };
    let listed = metrics.iter().map(|m| m.name()).collect::<Vec<_>>().join(", ");
    match Metric::from_str(m) {
        Ok(metric) if metrics.contains(&metric) => Ok(Plot { metric: Some(metric) }),
        // The message already suggests the closest metric name.
        Err(e) => Err(invalid(loaded, "plot.metric", e.to_string())
            .with_help(format!("the plot shows one of the experiment's metrics: {listed}"))),
        Ok(_) => Err(invalid(
            loaded,
            "plot.metric",
            format!("the plot's metric `{m}` is not one of the experiment's metrics ({listed})"),
        )
        .with_help(format!("add `{m}` to `metrics:`, since the plot shows a column of the tables"))),
    }
}
