//! Estimators of treatments over time (issue 24): they learn from units'
//! factual paths (`data::panel::Panel`) and answer counterfactual questions
//! about test units' futures (`Query`). A different shape of task from the
//! static estimators (`Estimator`), hence its own trait; the same promises:
//! every random draw from the run's stream, the same bytes every time.

use crate::data::panel::{Panel, Query};
use crate::rng::RunRng;

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
}
