//! Marginal structural models (Robins, Hernán and Brumback 2000) as the RMSN and
//! Causal Transformer papers run them for the tumour benchmark: stabilized
//! inverse-probability-of-treatment weights from logistic models, then one
//! weighted linear regression of the outcome τ steps ahead per τ.
//!
//! Features, as in CT's `MSMPropensityTreatment` / `MSMPropensityHistory` /
//! `MSMRegressor` (`lag_features: 1`): the numerator model of each treatment
//! component sees the counts of earlier treatments; the denominator model adds
//! the last two outcomes `Y_{t−1}, Y_t` and the static features; the outcome
//! regression for horizon τ sees the counts of treatments before the query's
//! step, the last two outcomes, the statics and the counts of treatments in the
//! plan, and predicts `Y_{s+τ}`. Its weight is the product of the per-step
//! stabilized weights over the plan's τ steps, truncated at the 1st and 99th
//! percentiles. One deliberate difference: CT divides the two models'
//! probabilities of treatment (`predict_proba[:, 1]`) whatever was given; the
//! weight here is the ratio of the probabilities of the treatment actually
//! given, the textbook stabilized weight. Training rows are the train units'
//! steps from 1 (two outcomes of history), as in CT.
//!
//! With `weighted: false` the same regression is fitted with unit weights: the
//! history-adjusted regression that the weights are meant to improve on under
//! time-varying confounding.

use nalgebra::{DMatrix, DVector};

use super::{PanelEstimate, PanelEstimator};
use crate::data::panel::{Panel, PanelFold, Query};
use crate::estimate::EstimateError;
use crate::estimate::classical::linalg::{FitError, least_squares};
use crate::estimate::classical::logistic::{fit_logistic, predict};
use crate::rng::RunRng;

/// The MSM (`weighted`) or its unweighted regression.
#[derive(Debug, Clone, PartialEq)]
pub struct Msm {
    pub weighted: bool,
    /// Weights are truncated at this quantile and its complement (CT: 0.01).
    pub truncation: f64,
    /// Longest plan the regressions are fitted for.
    pub max_tau: usize,
}

impl Msm {
    fn kind(&self) -> &'static str {
        if self.weighted { "msm" } else { "msm_unweighted" }
    }

    fn fail(&self, e: FitError) -> EstimateError {
        EstimateError::failed(self.kind(), e.to_string())
    }
}

/// Which static columns enter the models: those not a linear combination of
/// the intercept and the earlier ones over the train units (a one-hot type
/// loses its first level).
fn static_columns(panel: &Panel, train: &[usize]) -> Vec<usize> {
    let mut kept: Vec<usize> = Vec::new();
    for j in 0..panel.n_static {
        let cols: Vec<usize> = kept.iter().copied().chain([j]).collect();
        let x = DMatrix::from_fn(train.len(), cols.len() + 1, |i, c| {
            if c == 0 { 1.0 } else { panel.static_features(train[i])[cols[c - 1]] }
        });
        if least_squares(&x, &DVector::zeros(train.len()), &[]).is_ok() {
            kept.push(j);
        }
    }
    kept
}

/// The history part of a row at step `s` of `unit`: intercept, counts of each
/// treatment component before `s`, `Y_{s−1}` (`Y_0` at `s = 0`), `Y_s`, statics.
fn history(panel: &Panel, unit: usize, s: usize, statics: &[usize], with_outcomes: bool, row: &mut Vec<f64>) {
    row.push(1.0);
    for k in 0..panel.n_treatments {
        row.push((0..s).map(|t| panel.treatment(unit, t)[k]).sum());
    }
    if with_outcomes {
        row.push(panel.outcome(unit, s.saturating_sub(1)));
        row.push(panel.outcome(unit, s));
        row.extend(statics.iter().map(|&j| panel.static_features(unit)[j]));
    }
}

fn matrix(rows: &[Vec<f64>]) -> DMatrix<f64> {
    let p = rows.first().map_or(0, Vec::len);
    DMatrix::from_fn(rows.len(), p, |i, j| rows[i][j])
}

/// Linearly interpolated quantile of sorted `v` (numpy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

impl Msm {
    /// Per-step stabilized weights `sw[unit][t]` for the train units (1 at t = 0).
    fn step_weights(&self, panel: &Panel, train: &[usize], statics: &[usize]) -> Result<Vec<Vec<f64>>, EstimateError> {
        let (mut num_rows, mut den_rows, mut given) = (vec![], vec![], vec![vec![]; panel.n_treatments]);
        for &u in train {
            for t in 1..panel.length[u] {
                let mut row = vec![];
                history(panel, u, t, statics, false, &mut row);
                num_rows.push(row);
                let mut row = vec![];
                history(panel, u, t, statics, true, &mut row);
                den_rows.push(row);
                for (k, g) in given.iter_mut().enumerate() {
                    g.push(panel.treatment(u, t)[k]);
                }
            }
        }
        let (xn, xd) = (matrix(&num_rows), matrix(&den_rows));
        let mut ratio = vec![1.0; num_rows.len()];
        for g in &given {
            let pn = predict(&xn, &fit_logistic(&xn, g).map_err(|e| self.fail(e))?.beta);
            let pd = predict(&xd, &fit_logistic(&xd, g).map_err(|e| self.fail(e))?.beta);
            for i in 0..ratio.len() {
                let (n, d) = if g[i] == 1.0 { (pn[i], pd[i]) } else { (1.0 - pn[i], 1.0 - pd[i]) };
                ratio[i] *= n / d;
            }
        }
        let mut next = ratio.into_iter();
        Ok(train
            .iter()
            .map(|&u| std::iter::once(1.0).chain(next.by_ref().take(panel.length[u].saturating_sub(1))).collect())
            .collect())
    }

    /// A regression row: history at `s`, then the plan's treatment counts.
    fn row(panel: &Panel, unit: usize, s: usize, statics: &[usize], plan: impl Iterator<Item = Vec<f64>>) -> Vec<f64> {
        let mut row = vec![];
        history(panel, unit, s, statics, true, &mut row);
        let mut counts = vec![0.0; panel.n_treatments];
        for a in plan {
            counts.iter_mut().zip(&a).for_each(|(c, x)| *c += x);
        }
        row.extend(counts);
        row
    }
}

impl PanelEstimator for Msm {
    fn fit_predict(&self, panel: &Panel, queries: &[Query], _rng: &mut RunRng) -> Result<PanelEstimate, EstimateError> {
        let train = panel.units_in(PanelFold::Train);
        let statics = static_columns(panel, &train);
        let sw = if self.weighted { Some(self.step_weights(panel, &train, &statics)?) } else { None };
        let mut diagnostics = vec![];
        let mut coefs = Vec::with_capacity(self.max_tau);
        for tau in 1..=self.max_tau {
            let (mut rows, mut y, mut w) = (vec![], vec![], vec![]);
            for (i, &u) in train.iter().enumerate() {
                for s in 1..(panel.length[u] + 1).saturating_sub(tau) {
                    let plan = (s..s + tau).map(|t| panel.treatment(u, t).to_vec());
                    rows.push(Self::row(panel, u, s, &statics, plan));
                    y.push(panel.outcome(u, s + tau));
                    w.push(sw.as_ref().map_or(1.0, |sw| sw[i][s..s + tau].iter().product()));
                }
            }
            if sw.is_some() && !w.is_empty() {
                let mut sorted = w.clone();
                sorted.sort_by(f64::total_cmp);
                let (lo, hi) = (quantile(&sorted, self.truncation), quantile(&sorted, 1.0 - self.truncation));
                w.iter_mut().for_each(|x| *x = x.clamp(lo, hi));
                if tau == 1 {
                    let mean = w.iter().sum::<f64>() / w.len() as f64;
                    diagnostics.extend([
                        ("weight_min".into(), lo),
                        ("weight_max".into(), hi),
                        ("weight_mean".into(), mean),
                    ]);
                }
            }
            // Weighted least squares: scale each row and its outcome by √w.
            let x = DMatrix::from_fn(rows.len(), rows.first().map_or(0, Vec::len), |i, j| rows[i][j] * w[i].sqrt());
            let y = DVector::from_iterator(y.len(), y.iter().zip(&w).map(|(y, w)| y * w.sqrt()));
            coefs.push(least_squares(&x, &y, &[]).map_err(|e| self.fail(e))?.coef);
            if tau == 1 {
                diagnostics.push(("rows".into(), rows.len() as f64));
            }
        }
        let mut predictions = Vec::with_capacity(queries.len());
        for q in queries {
            let tau = q.plan.len();
            let coef = coefs.get(tau.wrapping_sub(1)).ok_or_else(|| {
                EstimateError::failed(self.kind(), format!("a plan of {tau} steps; fitted for 1 to {}", self.max_tau))
            })?;
            let row = Self::row(panel, q.unit, q.step, &statics, q.plan.iter().cloned());
            predictions.push(row.iter().zip(coef.iter()).map(|(x, b)| x * b).sum());
        }
        Ok(PanelEstimate { predictions, diagnostics })
    }
}

/// The MSM's hyperparameters.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MsmParams {
    /// Weights are truncated at this quantile and at one minus it (CT: 0.01).
    pub truncation: f64,
    /// Longest plan (τ) the regressions are fitted for (CT: projection horizon 5, τ ≤ 6).
    pub max_tau: usize,
}

impl Default for MsmParams {
    fn default() -> Self {
        MsmParams { truncation: 0.01, max_tau: 6 }
    }
}

impl crate::estimate::params::Hyper for MsmParams {
    fn validate(&self) -> Result<(), String> {
        if !(0.0..0.5).contains(&self.truncation) {
            return Err(format!("`truncation` must lie in [0, 0.5), got {}", self.truncation));
        }
        crate::estimate::params::check_at_least("max_tau", self.max_tau, 1)
    }
}

fn build(weighted: bool, kind: &str, p: &crate::estimate::Params) -> Result<Box<dyn PanelEstimator>, EstimateError> {
    let params: MsmParams = crate::estimate::params::parse(kind, p)?;
    Ok(Box::new(Msm { weighted, truncation: params.truncation, max_tau: params.max_tau }))
}

/// The `msm` panel kind.
pub static MSM: super::registry::PanelKind = super::registry::PanelKind {
    name: "msm",
    summary: "Marginal structural model (Robins et al. 2000) as the RMSN and Causal Transformer papers run it: stabilized weights from per-treatment logistic models (numerator: earlier treatment counts; denominator: adds the last two outcomes and statics), truncated at the 1st/99th percentiles, and one weighted linear regression per horizon τ.",
    version: 1,
    uses_libtorch: false,
    resolve: crate::estimate::registry::resolve_hyper::<MsmParams>,
    build: |kind, p| build(true, kind, p),
    late_defaults: crate::estimate::registry::no_late_defaults,
};

/// The `msm_unweighted` panel kind: the MSM's regression with unit weights.
pub static MSM_UNWEIGHTED: super::registry::PanelKind = super::registry::PanelKind {
    name: "msm_unweighted",
    summary: "The MSM's outcome regression (earlier treatment counts, last two outcomes, statics, plan's treatment counts; one linear model per horizon τ) with unit weights: history adjustment without inverse-probability weighting.",
    version: 1,
    uses_libtorch: false,
    resolve: crate::estimate::registry::resolve_hyper::<MsmParams>,
    build: |kind, p| build(false, kind, p),
    late_defaults: crate::estimate::registry::no_late_defaults,
};
