//! Raw serde types of an experiment file: exactly what the YAML says, nothing
//! resolved. Every struct denies unknown fields so a typo is an error, never a
//! silently ignored key. `validate` turns these into checked types.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExperiment {
    /// Consumed by the loader (the base is merged in before this type is read).
    #[serde(default)]
    pub extends: Option<String>,
    pub name: String,
    #[serde(default)]
    pub scenario: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub seed: u64,
    #[serde(default = "one")]
    pub replications: i64,
    #[serde(default)]
    pub params: BTreeMap<String, f64>,
    #[serde(default)]
    pub sweep: BTreeMap<String, Vec<f64>>,
    pub dataset: RawDataset,
    #[serde(default)]
    pub graph: Option<RawGraph>,
    /// A strategy name or an explicit list of covariates.
    #[serde(default)]
    pub adjust: Option<Value>,
    #[serde(default)]
    pub preprocess: RawPreprocess,
    #[serde(default)]
    pub split: RawSplit,
    /// Each entry is a kind name (`ols`) or a one-kind mapping with optional
    /// `label` and `sweep` beside it; parsed by hand for precise messages.
    pub estimators: Vec<Value>,
    /// Unset: `ate` and `ate_error`, or only `ate` for a data file (which has no truth).
    #[serde(default)]
    pub metrics: Option<Vec<String>>,
    /// What plot.svg shows. Only the report reads it: it is in no run key.
    #[serde(default)]
    pub plot: Option<RawPlot>,
    /// Sensitivity analyses added to every run they apply to.
    #[serde(default)]
    pub robustness: Option<RawRobustness>,
    /// Model selection among sweep points, scored against the truth.
    #[serde(default)]
    pub selection: Option<RawSelection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRobustness {
    #[serde(default)]
    pub estimand: Option<String>,
    #[serde(default)]
    pub evalue: bool,
    #[serde(default)]
    pub sensitivity: Option<RawSensitivity>,
    #[serde(default)]
    pub refuters: Option<RawRefuters>,
    #[serde(default)]
    pub ovb: Option<RawOvb>,
    #[serde(default)]
    pub refit: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOvb {
    #[serde(default)]
    pub rho: Option<f64>,
    #[serde(default)]
    pub level: Option<f64>,
    #[serde(default)]
    pub confounders: Vec<RawOvbConfounder>,
    #[serde(default)]
    pub benchmarks: Vec<RawGroup>,
}

/// A benchmark group: one covariate, or several.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawGroup {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOvbConfounder {
    pub cf_y: f64,
    pub cf_d: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRefuters {
    #[serde(default)]
    pub simulations: Option<i64>,
    #[serde(default)]
    pub tests: Option<Vec<String>>,
    #[serde(default)]
    pub subset_fraction: Option<f64>,
    #[serde(default)]
    pub noise: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSensitivity {
    #[serde(default)]
    pub q: Option<f64>,
    #[serde(default)]
    pub alpha: Option<f64>,
    #[serde(default)]
    pub benchmarks: Vec<String>,
    #[serde(default)]
    pub kd: Option<Vec<f64>>,
    #[serde(default)]
    pub ky: Option<Vec<f64>>,
    #[serde(default)]
    pub confounders: Vec<RawConfounder>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfounder {
    pub r2dz_x: f64,
    pub r2yz_dx: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlot {
    /// One of `metrics`; unset: the first error metric listed, else the first.
    #[serde(default)]
    pub metric: Option<String>,
}

fn one() -> i64 {
    1
}

/// Exactly one of the four sources must be given.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDataset {
    #[serde(default)]
    pub simulate: Option<RawSimulate>,
    #[serde(default)]
    pub builtin: Option<RawBuiltin>,
    #[serde(default)]
    pub file: Option<RawFile>,
    #[serde(default)]
    pub npz: Option<RawNpz>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimulate {
    /// A row count or a `$param`.
    pub n: Value,
    /// Node name -> right-hand side, in file order.
    pub equations: Mapping,
    pub treatment: String,
    pub outcome: String,
    #[serde(default)]
    pub missing: Option<RawMissing>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMissing {
    /// Share of covariate cells blanked completely at random (number or `$param`).
    #[serde(default)]
    pub mcar: Option<Value>,
    #[serde(default)]
    pub mar: Option<RawMar>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMar {
    pub driver: String,
    pub rate: Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBuiltin {
    pub name: String,
    #[serde(default)]
    pub surface: Option<String>,
    #[serde(default)]
    pub instance: Option<u32>,
    /// The MNIST design's confounding strength: a number or `$param`.
    #[serde(default)]
    pub confounding: Option<Value>,
    /// A panel simulator's confounding strength γ (`tumour-growth`): a number or `$param`.
    #[serde(default)]
    pub gamma: Option<Value>,
    /// A panel simulator's units per fold.
    #[serde(default)]
    pub patients: Option<RawPatients>,
    /// A panel simulator's treatment steps per unit.
    #[serde(default)]
    pub steps: Option<i64>,
    /// What a panel simulator's test patients' policy reads: `own` (default)
    /// or `reference_rows` (the Causal Transformer's published test sets).
    #[serde(default)]
    pub test_policy: Option<String>,
}

/// Units of a simulated panel in each fold.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPatients {
    pub train: i64,
    pub validation: i64,
    pub test: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub path: String,
    pub treatment: String,
    pub outcome: String,
    #[serde(default)]
    pub covariates: Option<Vec<String>>,
    /// The names of a header-less file's fields, in order (`x1..x25` ranges allowed).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    #[serde(default)]
    pub truth: Option<RawTruth>,
    /// The column of unit ids (needed by `sequences`).
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub sequences: Option<RawSequences>,
}

/// Sequence covariates in a long-format CSV: one row per unit and step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSequences {
    pub path: String,
    pub unit: String,
    pub step: String,
    pub columns: Vec<String>,
    pub length: u64,
    #[serde(default)]
    pub pad: Option<f64>,
    #[serde(default)]
    pub mask: Option<String>,
}

/// One of `{ mu0, mu1 }`, `{ y_cf }` or `{ ite }`: column names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTruth {
    #[serde(default)]
    pub mu0: Option<String>,
    #[serde(default)]
    pub mu1: Option<String>,
    #[serde(default)]
    pub y_cf: Option<String>,
    #[serde(default)]
    pub ite: Option<String>,
}

/// Numpy archives in cfrnet's layout: `path` (the training archive, or the
/// only one) and an optional `test` archive of out-of-sample rows.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNpz {
    pub path: String,
    #[serde(default)]
    pub test: Option<String>,
    /// Role -> array name, for archives that do not use cfrnet's names.
    #[serde(default)]
    pub arrays: RawArrays,
}

/// The array of each role (`data::NPZ_ROLES`), where not cfrnet's name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArrays {
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub t: Option<String>,
    #[serde(default)]
    pub yf: Option<String>,
    #[serde(default)]
    pub ycf: Option<String>,
    #[serde(default)]
    pub mu0: Option<String>,
    #[serde(default)]
    pub mu1: Option<String>,
    #[serde(default)]
    pub e: Option<String>,
}

impl RawArrays {
    /// (role, array name) of the roles named, in `data::NPZ_ROLES` order.
    pub fn named(&self) -> BTreeMap<String, String> {
        let all = [
            ("x", &self.x),
            ("t", &self.t),
            ("yf", &self.yf),
            ("ycf", &self.ycf),
            ("mu0", &self.mu0),
            ("mu1", &self.mu1),
            ("e", &self.e),
        ];
        all.into_iter().filter_map(|(r, v)| v.as_ref().map(|v| (r.to_string(), v.clone()))).collect()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGraph {
    pub edges: Vec<String>,
    #[serde(default)]
    pub latent: Vec<String>,
    #[serde(default)]
    pub misspecified: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPreprocess {
    /// none | drop | mean | median | most_frequent
    #[serde(default)]
    pub impute: Option<String>,
    #[serde(default)]
    pub indicators: bool,
    #[serde(default)]
    pub standardize: bool,
    #[serde(default)]
    pub one_hot: Vec<String>,
    /// Numeric columns to add the square of (`<column>^2`).
    #[serde(default)]
    pub squares: Vec<String>,
}

/// Shares of all rows. Defaults follow Shalit, Johansson and Sontag (2017): the
/// 63/27/10 train/validation/test protocol.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSplit {
    #[serde(default = "default_test")]
    pub test: f64,
    #[serde(default = "default_validation")]
    pub validation: f64,
}

impl Default for RawSplit {
    fn default() -> Self {
        RawSplit { test: default_test(), validation: default_validation() }
    }
}

fn default_test() -> f64 {
    0.1
}

fn default_validation() -> f64 {
    0.27
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSelection {
    #[serde(default)]
    pub criteria: Option<Vec<String>>,
    #[serde(default)]
    pub choose: Option<String>,
    #[serde(default)]
    pub across: Option<Vec<String>>,
    #[serde(default)]
    pub truth: Option<String>,
    #[serde(default)]
    pub folds: Option<i64>,
}
