//! Expansion of an experiment into runs: data-sweep points × replications ×
//! estimators × estimator-sweep points, each with a readable label, a key and a seed.

use std::collections::BTreeMap;
use serde_json::{json, Value};

use super::key::{digest, seed_of, SCHEMA_VERSION};
use super::RunError;
use crate::estimate::{self, Params};
use crate::numerics::NumericIdentity;
use crate::spec::{Adjust, Dataset, EstimatorDecl, Experiment, MissingDecl};

/// One run: a dataset replication at one sweep point, and one estimator configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub label: String,
    /// The estimator entry's label and kind.
    pub estimator: String,
    pub kind: String,
    /// Resolved hyperparameters, defaults spelled out.
    pub hyper: Params,
    /// The swept hyperparameters of this configuration (a subset of `hyper`).
    pub hyper_point: Vec<(String, Value)>,
    /// The data-sweep assignment of this run (swept parameters only).
    pub point: Vec<(String, f64)>,
    /// Every parameter's value at this point (defaults overridden by the sweep).
    pub params: BTreeMap<String, f64>,
    pub replication: u32,
    /// Identifies the dataset and split; shared by all estimators of a replication.
    pub data_key: String,
    pub seed: u64,
    pub key: String,
}

/// Facts outside the experiment file that enter the keys.
#[derive(Debug, Clone)]
pub struct PlanContext {
    /// sha256 of each data file the dataset reads (name, hex), computed by the caller.
    pub data_files: Vec<(String, String)>,
    pub libtorch: String,
    /// The numeric mode in force; enters the keys of runs that use libtorch.
    pub numerics: NumericIdentity,
}

/// Expand `exp` into runs, in a fixed order: sweep point, replication, estimator,
/// estimator-sweep point. Fails if an estimator's hyperparameters do not resolve.
pub fn plan(exp: &Experiment, ctx: &PlanContext) -> Result<Vec<Run>, RunError> {
    let configs = estimator_configs(exp)?;
    let mut runs = Vec::new();
    for point in cartesian(&exp.sweep) {
        let mut params = exp.params.clone();
        params.extend(point.iter().cloned());
        for replication in 0..exp.replications {
            let data_key = digest(&data_description(exp, &params, replication, ctx));
            let seed = seed_of(&data_key);
            for config in &configs {
                let mut described = json!({
                    "schema": SCHEMA_VERSION,
                    "data": data_key,
                    "estimator": { "kind": config.kind, "params": config.hyper },
                    "estimator_version": estimate::algorithm_version(&config.kind),
                    "libtorch": ctx.libtorch,
                });
                // Only runs whose arithmetic libtorch does carry the numeric mode, so
                // classical runs are shared between modes (their bits do not depend on it).
                if estimate::uses_libtorch(&config.kind) {
                    described["numerics"] = json!(ctx.numerics);
                }
                let key = digest(&described);
                runs.push(Run {
                    label: run_label(&point, replication, config),
                    estimator: config.label.clone(),
                    kind: config.kind.clone(),
                    hyper: config.hyper.clone(),
                    hyper_point: config.hyper_point.clone(),
                    point: point.clone(),
                    params: params.clone(),
                    replication,
                    data_key: data_key.clone(),
                    seed,
                    key,
                });
            }
        }
    }
    Ok(runs)
}

/// One estimator configuration: an entry at one point of its own sweep.
#[derive(Debug, Clone)]
struct Config {
    label: String,
    kind: String,
    hyper: Params,
    hyper_point: Vec<(String, Value)>,
}

fn estimator_configs(exp: &Experiment) -> Result<Vec<Config>, RunError> {
    let mut out = Vec::new();
    for decl in &exp.estimators {
        for hyper_point in cartesian(&decl.sweep) {
            out.push(resolve_config(decl, hyper_point)?);
        }
    }
    Ok(out)
}

fn resolve_config(decl: &EstimatorDecl, hyper_point: Vec<(String, Value)>) -> Result<Config, RunError> {
    let mut params = decl.params.clone();
    params.extend(hyper_point.iter().cloned());
    let hyper = estimate::resolve(&decl.kind, &params).map_err(|e| RunError::Estimator { label: decl.label.clone(), source: e })?;
    Ok(Config { label: decl.label.clone(), kind: decl.kind.clone(), hyper, hyper_point })
}

/// Every combination of the listed values, the first name varying slowest. An
/// empty sweep has exactly one (empty) point.
pub fn cartesian<T: Clone>(sweep: &[(String, Vec<T>)]) -> Vec<Vec<(String, T)>> {
    let mut points = vec![Vec::new()];
    for (name, values) in sweep {
        points = points
            .into_iter()
            .flat_map(|p| values.iter().map(move |v| {
                let mut q = p.clone();
                q.push((name.clone(), v.clone()));
                q
            }))
            .collect();
    }
    points
}

fn run_label(point: &[(String, f64)], replication: u32, config: &Config) -> String {
    let mut parts: Vec<String> = point.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.push(format!("r{replication}"));
    let hyper: Vec<String> = config.hyper_point.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if hyper.is_empty() {
        parts.push(config.label.clone());
    } else {
        parts.push(format!("{}[{}]", config.label, hyper.join(",")));
    }
    parts.join("/")
}

/// Everything that determines a replication's dataset and split.
fn data_description(exp: &Experiment, params: &BTreeMap<String, f64>, replication: u32, ctx: &PlanContext) -> Value {
    let mut preprocess = json!({
        "impute": exp.preprocess.impute,
        "indicators": exp.preprocess.indicators,
        "standardize": exp.preprocess.standardize,
        "one_hot": exp.preprocess.one_hot,
    });
    // Options added after results were committed enter only when used, so that the
    // keys of every experiment that does not use them stay what they were.
    if !exp.preprocess.squares.is_empty() {
        preprocess["squares"] = json!(exp.preprocess.squares);
    }
    json!({
        "schema": SCHEMA_VERSION,
        "seed": exp.seed,
        "replication": replication,
        "dataset": dataset_description(&exp.dataset, params),
        "files": ctx.data_files,
        "graph": exp.graph.as_ref().map(|g| json!({ "edges": g.edges, "latent": g.latent })),
        "adjust": match &exp.adjust {
            Adjust::Optimal => json!("optimal"),
            Adjust::Minimal => json!("minimal"),
            Adjust::All => json!("all"),
            Adjust::Explicit(list) => json!(list),
        },
        "preprocess": preprocess,
        "split": { "test": exp.split.test, "validation": exp.split.validation },
        "versions": { "scm": crate::scm::ALGORITHM_VERSION, "data": crate::data::ALGORITHM_VERSION },
    })
}

fn dataset_description(dataset: &Dataset, params: &BTreeMap<String, f64>) -> Value {
    match dataset {
        Dataset::Simulate(s) => json!({
            "simulate": {
                "n": s.n.resolve(params),
                "equations": s.equations,
                "params": params,
                "treatment": s.treatment,
                "outcome": s.outcome,
                "missing": match &s.missing {
                    MissingDecl::None => Value::Null,
                    MissingDecl::Mcar { rate } => json!({ "mcar": rate.resolve(params) }),
                    MissingDecl::Mar { driver, rate } => json!({ "mar": { "driver": driver, "rate": rate.resolve(params) } }),
                },
            }
        }),
        Dataset::Builtin { name, surface, instance } => json!({ "builtin": { "name": name, "surface": surface, "instance": instance } }),
        // The file's bytes enter through `files`; its path does not, so moving a file recomputes nothing.
        Dataset::File { treatment, outcome, covariates, .. } => json!({ "file": { "treatment": treatment, "outcome": outcome, "covariates": covariates } }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn experiment(path: &str) -> Experiment {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        // A committed experiment file: loading it is an invariant of the repository.
        let loaded = crate::spec::load(&root.join(path)).unwrap();
        crate::spec::validate(&loaded).unwrap()
    }

    fn keys_of(exp: &Experiment) -> Vec<String> {
        let ctx = PlanContext { data_files: vec![], libtorch: crate::estimate::libtorch_version(), numerics: NumericIdentity::portable() };
        plan(exp, &ctx).unwrap().into_iter().map(|r| r.key).collect()
    }

    /// Keys of an experiment without `preprocess.squares` are those `causeway plan`
    /// printed before the option existed (r0/naive dd30e831c59e... and r4/ols
    /// 9074f18db504... on main at 4d251dc), so no committed result or cache entry goes
    /// stale when an option is added to the description. (The network runs' keys
    /// changed since, on purpose: neural algorithm version 2.)
    #[test]
    fn keys_without_new_options_are_unchanged() {
        let keys = keys_of(&experiment("experiments/basics/linear-confounder.yaml"));
        assert_eq!(keys[0], "dd30e831c59e25da225dd6617fd24eb1cde6f271cb3be40ecb0f4485e9bbf9f5");
        assert_eq!(keys[keys.len() - 2], "9074f18db5041dfee74b2da444c44c5e98fa188e18215d6af6e7b75b64f67625");
    }

    #[test]
    fn squares_enter_every_key() {
        let plain = experiment("experiments/basics/linear-confounder.yaml");
        let mut squared = plain.clone();
        squared.preprocess.squares = vec!["x".into()];
        let (a, b) = (keys_of(&plain), keys_of(&squared));
        assert_eq!(a.len(), b.len());
        assert!(a.iter().zip(&b).all(|(a, b)| a != b));
    }
}
