//! Estimators of treatments over time (issue 24): they learn from units'
//! factual paths (`data::panel::Panel`) and answer counterfactual questions
//! about test units' futures (`Query`). A different shape of task from the
//! static estimators (`Estimator`), hence its own trait; the same promises:
//! every random draw from the run's stream, the same bytes every time.

pub mod msm;
pub mod registry;

use crate::data::panel::{Panel, Query};
use crate::rng::RunRng;

pub use msm::Msm;

use super::EstimateError;

/// What a panel estimator returns for one run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PanelEstimate {
    /// One prediction per query, in the queries' order, on the outcome's own scale.
    pub predictions: Vec<f64>,
    /// Named diagnostics (epochs run, final losses, weight ranges, ...), in a
    /// fixed order so that tables stay byte-stable.
    pub diagnostics: Vec<(String, f64)>,
}

/// An estimator of outcomes under treatment plans. `fit_predict` trains on the
/// train units (the validation units for early stopping or selection, where the
/// method has them) and answers every query; test units' paths past a query's
/// step must not be read.
pub trait PanelEstimator: Send + Sync {
    fn fit_predict(&self, panel: &Panel, queries: &[Query], rng: &mut RunRng) -> Result<PanelEstimate, EstimateError>;

    /// The longest plan this configuration answers, where it answers only
    /// some: the run asks it no longer question and leaves those horizons
    /// unscored. `None` (the default): every plan is asked, and one the kind
    /// cannot answer fails the run with the kind's reason.
    fn longest_plan(&self) -> Option<usize> {
        None
    }
}

/// The Causal Transformer's normalised RMSE for each plan length τ present:
/// `100 × sqrt(mean over the queries of length τ of (prediction − truth)²) / scale`
/// (scale `V_max` = 1150 cm³ for the tumour benchmark), τ ascending. τ = 1 is
/// the one-step-ahead error.
pub fn normalized_rmse(queries: &[Query], truth: &[f64], predictions: &[f64], scale: f64) -> Vec<(usize, f64)> {
    let mut sums: std::collections::BTreeMap<usize, (f64, usize)> = std::collections::BTreeMap::new();
    for ((q, y), p) in queries.iter().zip(truth).zip(predictions) {
        let entry = sums.entry(q.plan.len()).or_insert((0.0, 0));
        entry.0 += (p - y).powi(2);
        entry.1 += 1;
    }
    sums.into_iter().map(|(tau, (ss, n))| (tau, 100.0 * (ss / n as f64).sqrt() / scale)).collect()
}

#[cfg(test)]
mod tests;
