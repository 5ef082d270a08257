//! Checked experiment types: what a valid experiment file means, with defaults
//! filled in and names verified. Built only by `validate`.

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use super::datapath::DataPath;
use crate::data::SplitFractions;
use crate::estimate::Params;
use crate::graph::AdjustStrategy;

/// A validated experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub name: String,
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    pub replications: u32,
    /// The experiment file first, then the files it extends, with their sha256.
    pub files: Vec<(PathBuf, String)>,
    /// Declared parameters with their default values.
    pub params: BTreeMap<String, f64>,
    /// Data-level sweep: parameter name -> values, in key order.
    pub sweep: Vec<(String, Vec<f64>)>,
    pub dataset: Dataset,
    pub graph: Option<GraphDecl>,
    pub adjust: AdjustStrategy,
    pub preprocess: Preprocess,
    pub split: SplitFractions,
    pub estimators: Vec<EstimatorDecl>,
    pub metrics: Vec<crate::estimate::Metric>,
    pub plot: Plot,
    /// Sensitivity analyses every applicable run adds (`robustness:`).
    pub robustness: super::robustness::Robustness,
    /// Model selection among sweep points (`selection:`), if declared.
    pub selection: Option<super::selection::Selection>,
}

/// What plot.svg shows (report only: no run key depends on it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plot {
    /// One of the experiment's metrics; `None`: the report chooses.
    pub metric: Option<crate::estimate::Metric>,
}

/// A number written literally or as a reference to a declared `$param`.
#[derive(Debug, Clone, PartialEq)]
pub enum Quantity {
    Value(f64),
    Param(String),
}

impl Quantity {
    /// The value under a resolved parameter assignment (declared names only, so
    /// a missing name is an invariant violation reported as NaN).
    pub fn resolve(&self, params: &BTreeMap<String, f64>) -> f64 {
        match self {
            Quantity::Value(v) => *v,
            Quantity::Param(p) => params.get(p).copied().unwrap_or(f64::NAN),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Dataset {
    Simulate(Simulate),
    Builtin {
        name: String,
        surface: Option<String>,
        instance: Option<u32>,
        /// The MNIST design's confounding strength (sweepable).
        confounding: Option<Quantity>,
    },
    /// A user's CSV file (or one per replication): its path and what its columns are.
    File {
        path: DataPath,
        layout: crate::data::FileLayout,
        /// Sequence covariates from a long-format file, attached by unit id.
        sequences: Option<(DataPath, crate::data::long::SequenceLayout)>,
    },
    /// Numpy archives in cfrnet's layout.
    Npz(NpzDecl),
    /// A simulated panel: units followed over steps, treatments decided at
    /// every step (`builtin: { name: tumour-growth, ... }`). Its estimators are
    /// panel kinds (`estimate::panel::registry`) and its metrics `rmse_τ`.
    Panel(PanelDecl),
}

/// A builtin panel simulator's parameters, as written (γ may be a `$param`).
#[derive(Debug, Clone, PartialEq)]
pub struct PanelDecl {
    /// One of `data::PANEL_BUILTINS`.
    pub name: String,
    pub gamma: Quantity,
    pub train: usize,
    pub validation: usize,
    pub test: usize,
    pub steps: usize,
    /// What the test patients' treatment policy reads (`test_policy:`).
    pub test_policy: crate::data::tumour::TestPolicy,
}

impl PanelDecl {
    /// The simulator's configuration at a sweep point's parameters (the
    /// policy window and the longest projection are the papers' 15 and 6).
    pub fn config(&self, params: &BTreeMap<String, f64>) -> crate::data::tumour::TumourConfig {
        crate::data::tumour::TumourConfig {
            gamma: self.gamma.resolve(params),
            train: self.train,
            validation: self.validation,
            test: self.test,
            steps: self.steps,
            test_policy: self.test_policy,
            ..Default::default()
        }
    }
}

impl Dataset {
    /// Whether the experiment declares ground truth for the data: a user's file
    /// only with `truth:` columns (an archive's truth is seen when it is read).
    pub fn has_truth_declared(&self) -> bool {
        match self {
            Dataset::File { layout, .. } => !layout.truth.is_none(),
            Dataset::Simulate(_) | Dataset::Builtin { .. } | Dataset::Npz(_) | Dataset::Panel(_) => true,
        }
    }

    /// Whether the dataset is a panel (treatments over time).
    pub fn is_panel(&self) -> bool {
        matches!(self, Dataset::Panel(_))
    }

    /// Why the data cannot be read on this machine: a path under the user's
    /// data folder with no folder given or a file missing there. Such an
    /// experiment is skipped, not failed (the field's files are not ours to ship).
    pub fn unavailable(&self, replications: u32) -> Option<String> {
        match self {
            Dataset::File { path, sequences, .. } => {
                path.unavailable(replications).or_else(|| sequences.as_ref().and_then(|(p, _)| p.unavailable(1)))
            }
            Dataset::Npz(n) => n.path.unavailable(1).or_else(|| n.test.as_ref().and_then(|t| t.unavailable(1))),
            Dataset::Simulate(_) | Dataset::Builtin { .. } | Dataset::Panel(_) => None,
        }
    }
}

/// Numpy archives: the training archive (or the only one), an optional test
/// archive whose rows are the out-of-sample rows, and the array of each role.
#[derive(Debug, Clone, PartialEq)]
pub struct NpzDecl {
    pub path: DataPath,
    pub test: Option<DataPath>,
    pub arrays: crate::data::NpzArrays,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Simulate {
    pub n: Quantity,
    /// (node, right-hand side), in file order.
    pub equations: Vec<(String, String)>,
    pub treatment: String,
    pub outcome: String,
    pub missing: MissingDecl,
    /// The equations compiled at every point of the sweep (validation compiles
    /// them once; identification and every run look theirs up).
    pub models: super::models::Models,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MissingDecl {
    None,
    Mcar { rate: Quantity },
    Mar { driver: String, rate: Quantity },
}

#[derive(Debug, Clone, PartialEq)]
pub struct GraphDecl {
    pub edges: Vec<String>,
    pub latent: Vec<String>,
    /// The graph is wrong on purpose (a study of misspecification): no warning
    /// where it omits what the simulator does. Not part of any key.
    pub misspecified: bool,
}

impl Experiment {
    /// Every adjustment the experiment declares, with the YAML path of its
    /// declaration (`adjust`, `estimators[i].adjust`, `estimators[i].sweep.adjust[j]`).
    pub fn declared_adjustments(&self) -> Vec<(String, &AdjustStrategy)> {
        let mut out = vec![("adjust".to_string(), &self.adjust)];
        for (i, decl) in self.estimators.iter().enumerate() {
            if let Some(a) = &decl.adjust {
                out.push((format!("estimators[{i}].adjust"), a));
            }
            for (j, a) in decl.adjust_sweep.iter().enumerate() {
                out.push((format!("estimators[{i}].sweep.adjust[{j}]"), a));
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Preprocess {
    pub impute: crate::data::Impute,
    pub indicators: bool,
    pub standardize: bool,
    pub one_hot: Vec<String>,
    /// Columns whose square joins the covariates whenever the column does.
    pub squares: Vec<String>,
}

/// One estimator entry of the file, before its sweep is expanded.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimatorDecl {
    /// Unique within the experiment; defaults to the kind.
    pub label: String,
    pub kind: String,
    /// Hyperparameters as written (defaults are added when runs are planned).
    pub params: Params,
    /// Hyperparameter sweep: name -> values, in key order.
    pub sweep: Vec<(String, Vec<serde_json::Value>)>,
    /// The entry's own `adjust:`, overriding the experiment's (adjustment estimators only).
    pub adjust: Option<AdjustStrategy>,
    /// `sweep: { adjust: [...] }`: the adjustments swept, in the order written;
    /// empty when `adjust` is not swept.
    pub adjust_sweep: Vec<AdjustStrategy>,
    /// `bootstrap: B`: refit on B bootstrap resamples for an interval (none: no bootstrap).
    pub bootstrap: Option<usize>,
}

impl EstimatorDecl {
    /// The number of configurations of this entry: its hyperparameter sweep
    /// times its adjustments; None if it overflows.
    pub fn configurations(&self) -> Option<usize> {
        crate::sweep::sweep_size(&self.sweep)?.checked_mul(self.adjust_sweep.len().max(1))
    }

    /// The adjustments this entry's configurations use: the swept ones, or the
    /// entry's own, or the experiment's `default`.
    pub fn adjustments<'a>(&'a self, default: &'a AdjustStrategy) -> Vec<&'a AdjustStrategy> {
        if self.adjust_sweep.is_empty() {
            vec![self.adjust.as_ref().unwrap_or(default)]
        } else {
            self.adjust_sweep.iter().collect()
        }
    }
}
