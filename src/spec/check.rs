//! Checks that need the other modules, still pointed at file:line:col: estimator
//! kinds and hyperparameters, metric names, equations (compiled at every sweep
//! point), the analyst's graph, and the dataset source.

use std::collections::BTreeMap;
use std::str::FromStr;

use rand::SeedableRng;

use super::error::{SpecError, SpecErrorKind};
use super::experiment::{Adjust, Dataset, EstimatorDecl, Experiment, Simulate};
use super::load::Loaded;
use super::locate::Position;
use super::size::{Limits, check_size};
use crate::estimate::{self, Metric};
use crate::graph::{GraphSpec, parse_graph};
use crate::rng::RunRng;
use crate::scm::{Equation, Missingness, Model};
use crate::suggest::did_you_mean;
use crate::sweep::{cartesian, sweep_points};

type Result<T> = std::result::Result<T, SpecError>;

/// Check everything `validate` could not check on its own, under the default
/// size limits.
pub fn check(loaded: &Loaded, exp: &Experiment) -> Result<()> {
    check_with(loaded, exp, &Limits::default())
}

/// `check` under `limits`. The size comes first, so that a sweep too large to
/// expand is refused before its points are compiled.
pub fn check_with(loaded: &Loaded, exp: &Experiment, limits: &Limits) -> Result<()> {
    check_size(loaded, exp, limits)?;
    check_metrics(loaded, exp)?;
    for (i, decl) in exp.estimators.iter().enumerate() {
        check_estimator(loaded, i, decl)?;
    }
    match &exp.dataset {
        Dataset::Simulate(sim) => check_equations(loaded, exp, sim)?,
        Dataset::Builtin { name, .. } => check_builtin(loaded, name)?,
        Dataset::File { path, written, .. } => {
            if !path.exists() {
                return Err(invalid(
                    loaded,
                    "dataset.file.path",
                    format!("data file `{written}` does not exist (looked for {})", path.display()),
                )
                .with_help("a data file's path is relative to the experiment file that names it"));
            }
        }
    }
    check_adjust_roles(loaded, exp)?;
    check_graph(loaded, exp)
}

fn invalid(loaded: &Loaded, path: &str, message: impl Into<String>) -> SpecError {
    loaded.error_at(path, false, SpecErrorKind::Invalid(message.into()))
}

fn check_metrics(loaded: &Loaded, exp: &Experiment) -> Result<()> {
    for (i, m) in exp.metrics.iter().enumerate() {
        match Metric::from_str(m) {
            Err(e) => {
                let known: Vec<&str> = Metric::ALL.iter().map(Metric::name).collect();
                // The message carries the "did you mean" already; the help lists
                // them all, since a prefix such as `pehe` fits more than one.
                let help = format!("known metrics: {}", known.join(", "));
                return Err(invalid(loaded, &format!("metrics[{i}]"), e.to_string()).with_help(help));
            }
            // Every row would print `–` for it: refuse it once, here.
            Ok(metric) if metric.needs_truth() && matches!(exp.dataset, Dataset::File { .. }) => {
                return Err(invalid(loaded, &format!("metrics[{i}]"), format!("metric `{m}` compares with the true effect, which a data file does not have"))
                    .with_help("keep `ate` and `att` for a data file; error metrics need a simulated or builtin dataset with ground truth"));
            }
            Ok(_) => {}
        }
    }
    check_plot_metric(loaded, exp)
}

/// The plot draws a column of the summary, so its metric must be one of `metrics`.
fn check_plot_metric(loaded: &Loaded, exp: &Experiment) -> Result<()> {
    let Some(m) = &exp.plot.metric else { return Ok(()) };
    if exp.metrics.contains(m) {
        return Ok(());
    }
    let listed = exp.metrics.join(", ");
    match Metric::from_str(m) {
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

fn check_estimator(loaded: &Loaded, i: usize, decl: &EstimatorDecl) -> Result<()> {
    let path = format!("estimators[{i}]");
    let kinds = estimate::kinds();
    if !kinds.contains(&decl.kind.as_str()) {
        let help = match did_you_mean(&decl.kind, kinds.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("known estimators: {}", kinds.join(", ")),
        };
        let kind_path = format!("{path}.{}", decl.kind);
        return Err(loaded
            .error_at(&kind_path, true, SpecErrorKind::Invalid(format!("unknown estimator `{}`", decl.kind)))
            .with_help(help));
    }
    for point in cartesian(&decl.sweep) {
        let mut params = decl.params.clone();
        params.extend(point);
        if let Err(e) = estimate::resolve(&decl.kind, &params) {
            // An unknown key is pointed at itself; a bad value at the value.
            let at_key = e.to_string().contains("unknown key");
            return Err(loaded.error_at(
                &hyperparameter_path(&path, decl, &e),
                at_key,
                SpecErrorKind::Invalid(e.to_string()),
            ));
        }
    }
    Ok(())
}

/// Where a hyperparameter error belongs: the key it names, under the kind's
/// mapping or under `sweep`, else the kind's mapping as a whole.
fn hyperparameter_path(path: &str, decl: &EstimatorDecl, e: &estimate::EstimateError) -> String {
    let named = match e {
        estimate::EstimateError::InvalidParams { message, .. } => message.split('`').nth(1).map(str::to_string),
        _ => None,
    };
    match named {
        Some(key) if decl.sweep.iter().any(|(k, _)| *k == key) => format!("{path}.sweep.{key}"),
        Some(key) if decl.params.contains_key(&key) => format!("{path}.{}.{key}", decl.kind),
        _ => format!("{path}.{}", decl.kind),
    }
}

fn check_builtin(loaded: &Loaded, name: &str) -> Result<()> {
    if crate::data::BUILTIN_NAMES.contains(&name) {
        return Ok(());
    }
    let help = match did_you_mean(name, crate::data::BUILTIN_NAMES.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("builtin datasets: {}", crate::data::BUILTIN_NAMES.join(", ")),
    };
    Err(invalid(loaded, "dataset.builtin.name", format!("unknown builtin dataset `{name}`")).with_help(help))
}

/// Compile the equations at the defaults and at every sweep point, so that a
/// parameter value that breaks a model is caught before anything runs. Only
/// the swept parameters the equations name can change the model, so the points
/// are those of their sweep alone, taken one at a time.
fn check_equations(loaded: &Loaded, exp: &Experiment, sim: &Simulate) -> Result<()> {
    let equations: Vec<Equation> = sim.equations.iter().map(|(n, e)| Equation::new(n.clone(), e.clone())).collect();
    let named: Vec<(String, Vec<f64>)> =
        exp.sweep.iter().filter(|(p, _)| sim.equations.iter().any(|(_, e)| names_param(e, p))).cloned().collect();
    for point in sweep_points(&named) {
        let mut params: BTreeMap<String, f64> = exp.params.clone();
        params.extend(point);
        let model = Model::compile(&equations, &params).map_err(|e| located(loaded, &e, ""))?;
        // A short trial simulation catches what every run would fail on (a
        // treatment that is not 0/1 by construction, a value that is not finite)
        // once, here, with the equation's location.
        let mut rng = RunRng::seed_from_u64(0);
        model
            .simulate(TRIAL_ROWS, &sim.treatment, &sim.outcome, &Missingness::None, &mut rng)
            .map_err(|e| located(loaded, &e, &format!(" (in a {TRIAL_ROWS}-row trial simulation)")))?;
    }
    Ok(())
}

/// Rows of the trial simulation `check` runs at every sweep point.
const TRIAL_ROWS: usize = 64;

/// An equation error at its node's equation, `offset` bytes in.
fn located(loaded: &Loaded, e: &crate::scm::ScmError, context: &str) -> SpecError {
    let message = e.kind.to_string();
    let Some(node) = &e.node else {
        return invalid(loaded, "dataset.simulate.equations", format!("{message}{context}"));
    };
    let path = format!("dataset.simulate.equations.{node}");
    let (file, position) = loaded.locate(&path, false);
    let position = position.map(|p| shift(loaded, &file, p, e.offset.unwrap_or(0)));
    SpecError::new(file, position, SpecErrorKind::Invalid(format!("in the equation of `{node}`: {message}{context}")))
}

/// Whether `equation` reads `$param` (a `$` and the whole identifier).
fn names_param(equation: &str, param: &str) -> bool {
    let needle = format!("${param}");
    equation
        .match_indices(&needle)
        .any(|(at, _)| !equation[at + needle.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
}

/// Move a value's position `offset` bytes into the value, stepping over an
/// opening quote: exact for values written on one line.
fn shift(loaded: &Loaded, file: &std::path::Path, p: Position, offset: usize) -> Position {
    let quoted = loaded
        .sources
        .iter()
        .find(|s| s.path == file)
        .and_then(|s| s.text.lines().nth(p.line.saturating_sub(1)))
        .and_then(|line| line.chars().nth(p.column.saturating_sub(1)))
        .is_some_and(|c| c == '"' || c == '\'');
    Position { line: p.line, column: p.column + offset + usize::from(quoted) }
}

/// The treatment or the outcome in an explicit `adjust` list, pointed at its entry.
fn check_adjust_roles(loaded: &Loaded, exp: &Experiment) -> Result<()> {
    for (path, adjust) in exp.declared_adjustments() {
        if let Adjust::Explicit(list) = adjust {
            check_adjust_list_roles(loaded, exp, &path, list)?;
        }
    }
    Ok(())
}

fn check_adjust_list_roles(loaded: &Loaded, exp: &Experiment, path: &str, list: &[String]) -> Result<()> {
    let roles = match &exp.dataset {
        Dataset::Simulate(s) => Some((s.treatment.as_str(), s.outcome.as_str())),
        Dataset::File { treatment, outcome, .. } => Some((treatment.as_str(), outcome.as_str())),
        Dataset::Builtin { .. } => None,
    };
    for (i, name) in list.iter().enumerate() {
        if let Some((t, y)) = roles.filter(|(t, y)| name == t || name == y) {
            let role = if name == t { "treatment" } else { "outcome" };
            return Err(invalid(
                loaded,
                &format!("{path}[{i}]"),
                format!("`{name}` is the {role}; it cannot be in the adjustment set"),
            )
            .with_help(format!("adjust for covariates of `{t}` and `{y}` only")));
        }
    }
    Ok(())
}

fn check_graph(loaded: &Loaded, exp: &Experiment) -> Result<()> {
    let Some(graph) = &exp.graph else { return Ok(()) };
    let observed = observed_names(exp);
    if let Err(e) = parse_graph(&GraphSpec { edges: &graph.edges, latent: &graph.latent, observed: &observed }) {
        return Err(match e.location() {
            Some((edge, offset)) => {
                let path = format!("graph.edges[{edge}]");
                let (file, position) = loaded.locate(&path, false);
                let position = position.map(|p| shift(loaded, &file, p, offset));
                SpecError::new(file, position, SpecErrorKind::Invalid(e.without_location().to_string()))
            }
            None => invalid(loaded, "graph", e.to_string()),
        });
    }
    for (path, adjust) in exp.declared_adjustments() {
        let Adjust::Explicit(list) = adjust else { continue };
        for (i, name) in list.iter().enumerate() {
            if !observed.is_empty() && !observed.contains(name) {
                let help =
                    did_you_mean(name, observed.iter().map(String::as_str)).map(|s| format!("did you mean `{s}`?"));
                return Err(invalid(loaded, &format!("{path}[{i}]"), format!("`{name}` is not an observed variable"))
                    .with_help_opt(help));
            }
        }
    }
    Ok(())
}

/// Observed variables known without loading data: the simulated nodes that are
/// not declared latent. Empty for file and builtin datasets.
pub fn observed_names(exp: &Experiment) -> Vec<String> {
    let latent: &[String] = exp.graph.as_ref().map_or(&[], |g| &g.latent);
    match &exp.dataset {
        Dataset::Simulate(sim) => {
            sim.equations.iter().map(|(n, _)| n.clone()).filter(|n| !latent.contains(n)).collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::names_param;

    #[test]
    fn an_equation_names_a_parameter_by_its_whole_identifier() {
        assert!(names_param("normal($mu, 1)", "mu"));
        assert!(names_param("$mu", "mu"));
        assert!(!names_param("normal($mu2, 1)", "mu"));
        assert!(!names_param("normal($mu_x, 1) + mu", "mu"));
        assert!(names_param("$mu_x + $mu * 2", "mu"));
    }
}
