//! Checks that need the other modules, still pointed at file:line:col: estimator
//! kinds and hyperparameters, metrics a dataset cannot score, a trial simulation
//! of the equations `validate` compiled at every sweep point, the analyst's
//! graph, and the dataset source.

use rand::SeedableRng;

use super::error::{SpecError, SpecErrorKind};
use super::experiment::{DataPath, Dataset, EstimatorDecl, Experiment, Simulate};
use super::load::Loaded;
use super::models::{located, shift};
use crate::estimate;
use crate::graph::AdjustStrategy;
use crate::graph::{GraphSpec, parse_graph};
use crate::rng::RunRng;
use crate::scm::Missingness;
use crate::suggest::did_you_mean;
use crate::sweep::cartesian;

type Result<T> = std::result::Result<T, SpecError>;

/// Check what needs the other modules and the whole experiment (`validate`
/// has checked each value on its own, the size, and compiled the equations).
pub fn cross_check(loaded: &Loaded, exp: &Experiment) -> Result<()> {
    check_metrics(loaded, exp)?;
    for (i, decl) in exp.estimators.iter().enumerate() {
        check_estimator(loaded, i, decl, exp.dataset.is_panel())?;
    }
    match &exp.dataset {
        Dataset::Simulate(sim) => check_equations(loaded, sim)?,
        Dataset::Builtin { name, confounding, .. } => {
            check_builtin(loaded, name)?;
            if confounding.is_some() && name != "mnist" {
                return Err(invalid(
                    loaded,
                    "dataset.builtin.confounding",
                    format!("builtin dataset `{name}` has no confounding strength"),
                )
                .with_help("only the `mnist` design has `confounding`; remove it"));
            }
        }
        Dataset::File { path, sequences, .. } => {
            check_exists(loaded, "dataset.file.path", path, exp.replications)?;
            if let Some((long, _)) = sequences {
                check_exists(loaded, "dataset.file.sequences.path", long, 1)?;
            }
        }
        // `validate` checked the simulator's block; there is nothing on disk to check.
        Dataset::Panel(_) => {}
        Dataset::Npz(npz) => {
            check_exists(loaded, "dataset.npz.path", &npz.path, 1)?;
            if let Some(test) = &npz.test {
                check_exists(loaded, "dataset.npz.test", test, 1)?;
            }
        }
    }
    check_adjust_roles(loaded, exp)?;
    check_graph(loaded, exp)
}

/// Every file a data path names exists (a path under the data folder that
/// does not was skipped before this check, see `Dataset::unavailable`).
fn check_exists(loaded: &Loaded, at: &str, path: &DataPath, replications: u32) -> Result<()> {
    for (written, file) in path.files(replications) {
        if !file.exists() {
            return Err(invalid(
                loaded,
                at,
                format!("data file `{written}` does not exist (looked for {})", file.display()),
            )
            .with_help("a data file's path is relative to the experiment file that names it"));
        }
    }
    Ok(())
}

fn invalid(loaded: &Loaded, path: &str, message: impl Into<String>) -> SpecError {
    loaded.error_at(path, false, SpecErrorKind::Invalid(message.into()))
}

fn check_metrics(loaded: &Loaded, exp: &Experiment) -> Result<()> {
    for (i, m) in exp.metrics.iter().enumerate() {
        // Every row would print `–` for it: refuse it once, here.
        if m.needs_truth() && !exp.dataset.has_truth_declared() {
            return Err(invalid(loaded, &format!("metrics[{i}]"), format!("metric `{}` compares with the true effect, which a data file does not have", m.name()))
                .with_help("keep `ate` and `att` for a data file, or name its truth columns under `dataset.file.truth` (`{ mu0: ..., mu1: ... }`, `{ y_cf: ... }` or `{ ite: ... }`)"));
        }
    }
    Ok(())
}

/// The entry's kind is one of the registry of the experiment's kind (panel
/// kinds for a panel, static kinds otherwise) and its hyperparameters resolve
/// at every point of its sweep.
fn check_estimator(loaded: &Loaded, i: usize, decl: &EstimatorDecl, panel: bool) -> Result<()> {
    let path = format!("estimators[{i}]");
    let (kinds, others) = if panel {
        (estimate::panel::registry::panel_kinds(), estimate::kinds())
    } else {
        (estimate::kinds(), estimate::panel::registry::panel_kinds())
    };
    if others.contains(&decl.kind.as_str()) {
        let (it, dataset) = if panel { ("a static", "a panel") } else { ("a panel", "a static dataset, not a panel") };
        let own = if panel { "a panel" } else { "a static" };
        let kind_path = format!("{path}.{}", decl.kind);
        return Err(loaded
            .error_at(
                &kind_path,
                true,
                SpecErrorKind::Invalid(format!(
                    "`{}` is {it} estimator, and this experiment's dataset is {dataset}",
                    decl.kind
                )),
            )
            .with_help(format!("estimators of {own} dataset: {}", kinds.join(", "))));
    }
    if !kinds.contains(&decl.kind.as_str()) {
        let help = match did_you_mean(&decl.kind, kinds.iter().copied()) {
            Some(s) => crate::suggest::help(&s),
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
        let resolved = if panel {
            estimate::panel::registry::resolve(&decl.kind, &params)
        } else {
            estimate::resolve(&decl.kind, &params)
        };
        if let Err(e) = resolved {
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
    // A layer's error names its place inside the value (`encoder.layers[2]`,
    // `head[0]`): the key is the part before the first `.` or `[`.
    let key = named.as_deref().map(|n| &n[..n.find(['.', '[']).unwrap_or(n.len())]);
    match (key, named.as_deref()) {
        (Some(key), _) if decl.sweep.iter().any(|(k, _)| k == key) => format!("{path}.sweep.{key}"),
        (Some(key), Some(place)) if decl.params.contains_key(key) => format!("{path}.{}.{place}", decl.kind),
        _ => format!("{path}.{}", decl.kind),
    }
}

fn check_builtin(loaded: &Loaded, name: &str) -> Result<()> {
    if crate::data::BUILTIN_NAMES.contains(&name) {
        return Ok(());
    }
    let help = match did_you_mean(name, crate::data::BUILTIN_NAMES.iter().copied()) {
        Some(s) => crate::suggest::help(&s),
        None => format!("builtin datasets: {}", crate::data::BUILTIN_NAMES.join(", ")),
    };
    Err(invalid(loaded, "dataset.builtin.name", format!("unknown builtin dataset `{name}`")).with_help(help))
}

/// A short trial simulation at every sweep point (validation compiled the
/// models) catches what every run would fail on (a treatment that is not 0/1
/// by construction, a value that is not finite) once, here, with the
/// equation's location.
fn check_equations(loaded: &Loaded, sim: &Simulate) -> Result<()> {
    for model in sim.models.iter() {
        let mut rng = RunRng::seed_from_u64(0);
        model
            .simulate(TRIAL_ROWS, &sim.treatment, &sim.outcome, &Missingness::None, &mut rng)
            .map_err(|e| located(loaded, &e, &format!(" (in a {TRIAL_ROWS}-row trial simulation)")))?;
    }
    Ok(())
}

/// Rows of the trial simulation `cross_check` runs at every sweep point.
const TRIAL_ROWS: usize = 64;

/// The treatment or the outcome in an explicit `adjust` list, pointed at its entry.
fn check_adjust_roles(loaded: &Loaded, exp: &Experiment) -> Result<()> {
    for (path, adjust) in exp.declared_adjustments() {
        if let AdjustStrategy::Explicit(list) = adjust {
            check_adjust_list_roles(loaded, exp, &path, list)?;
        }
    }
    Ok(())
}

fn check_adjust_list_roles(loaded: &Loaded, exp: &Experiment, path: &str, list: &[String]) -> Result<()> {
    let roles = match &exp.dataset {
        Dataset::Simulate(s) => Some((s.treatment.as_str(), s.outcome.as_str())),
        Dataset::File { layout, .. } => Some((layout.treatment.as_str(), layout.outcome.as_str())),
        Dataset::Builtin { .. } | Dataset::Npz(_) | Dataset::Panel(_) => None,
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
        let AdjustStrategy::Explicit(list) = adjust else { continue };
        let sequences = match &exp.dataset {
            Dataset::Simulate(sim) => sim.models.first().map(|m| m.sequences()).unwrap_or_default(),
            _ => Vec::new(),
        };
        for (i, entry) in list.iter().enumerate() {
            // A declared summary, `slope(hr)`, adjusts for the sequence `hr` in the graph.
            let summary = crate::scm::sequence::parse_summary_call(entry);
            let name = summary.map_or(entry.as_str(), |(_, s)| s);
            if summary.is_some()
                && !observed.is_empty()
                && observed.iter().any(|o| o == name)
                && !sequences.iter().any(|(q, _)| q == name)
            {
                return Err(invalid(
                    loaded,
                    &format!("{path}[{i}]"),
                    format!("`{entry}` summarises a sequence, and `{name}` is a scalar node"),
                )
                .with_help(format!("adjust for `{name}` itself, or declare it as a sequence `{name}[T]`")));
            }
            if !observed.is_empty() && !observed.iter().any(|o| o == name) {
                let help = did_you_mean(name, observed.iter().map(String::as_str)).map(|s| crate::suggest::help(&s));
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
        Dataset::Simulate(sim) => sim
            .equations
            .iter()
            .map(|(n, _)| crate::scm::sequence::node_name(n).to_string())
            .filter(|n| !latent.contains(n))
            .collect(),
        _ => Vec::new(),
    }
}
