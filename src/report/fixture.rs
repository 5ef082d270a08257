//! Synthetic experiments, runs and outcomes for the report's tests: tables are
//! a function of these alone, so no estimator has to run.

use serde_json::Value;

use crate::estimate::Params;
use crate::run::{Outcome, Run};
use crate::spec::{self, Experiment};

/// The experiment of a YAML text (validated, not checked: no data file is read).
pub fn experiment(yaml: &str) -> Experiment {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("experiment.yaml");
    std::fs::write(&path, yaml).unwrap();
    let loaded = spec::load(&path).unwrap();
    spec::validate(&loaded).unwrap()
}

/// A run of `estimator` (its kind too) at a data-sweep point.
pub fn run(estimator: &str, hyper_point: &[(&str, Value)], point: &[(&str, f64)], replication: u32) -> Run {
    let hyper_point: Vec<(String, Value)> = hyper_point.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let hyper: Params = hyper_point.iter().cloned().collect();
    let point: Vec<(String, f64)> = point.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    let label = format!("r{replication}/{estimator}");
    Run {
        adjust: crate::graph::AdjustStrategy::Optimal,
        label,
        estimator: estimator.to_string(),
        kind: estimator.to_string(),
        hyper,
        hyper_point,
        params: point.iter().cloned().collect(),
        point,
        replication,
        data_key: format!("data-{replication}"),
        seed: u64::from(replication),
        key: format!("key-{estimator}-{replication}"),
    }
}

pub fn finished(metrics: &[(&str, f64)], diagnostics: &[(&str, f64)]) -> Outcome {
    Outcome::finished(
        "key",
        metrics.iter().map(|(n, v)| (n.to_string(), Some(*v))).collect(),
        diagnostics.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
        String::new(),
    )
}

pub fn refused() -> Outcome {
    Outcome::refused("key", "no front-door set")
}
