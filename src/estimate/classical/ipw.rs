//! Inverse probability weighting with a logistic propensity model.
//!
//! Each in-sample row is weighted by one over the probability of the arm it is in,
//! e(x) from a logistic regression of t on the covariates. With `normalize` (the
//! default) the weights are rescaled to sum to one within each arm (the Hajek
//! estimator), which is bounded by the outcomes' range and usually has lower
//! variance than the raw Horvitz-Thompson sums. The ATT weights the controls by
//! the odds e / (1 - e) instead.
//!
//! Extreme scores are clipped per estimand (two-sided for the ATE, only the upper
//! end for the ATT) and, on request, trimmed; `overlap` says why. The run's
//! diagnostics count the rows each rule moved or dropped.

use serde::{Deserialize, Serialize};

use super::overlap::{self, Estimand};
use super::sample::{Arms, mean, normal_interval, propensity, range, variance};
use crate::data::Observed;
use crate::estimate::params::{Hyper, check_open};
use crate::estimate::{Estimate, EstimateError, Estimator};
use crate::rng::RunRng;

/// Hyperparameters of `ipw`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IpwParams {
    /// Propensities are clipped to [clip, 1 - clip] for the ATE and to at most
    /// 1 - clip for the ATT (whose control weights e / (1 - e) are small, not
    /// large, when e is small); in (0, 0.5). Default 0.01.
    pub clip: f64,
    /// Drop the rows with propensity outside [trim, 1 - trim] for the ATE, above
    /// 1 - trim for the ATT (Crump et al. 2009; their rule of thumb is 0.1), which
    /// changes the estimand to the rows kept; in (0, 0.5). Default none.
    pub trim: Option<f64>,
    /// Normalise the weights within each arm (Hajek). Default true.
    pub normalize: bool,
}

impl Default for IpwParams {
    fn default() -> Self {
        IpwParams { clip: 0.01, trim: None, normalize: true }
    }
}

impl Hyper for IpwParams {
    fn validate(&self) -> Result<(), String> {
        check_open("clip", self.clip, 0.0, 0.5)?;
        self.trim.map_or(Ok(()), |a| check_open("trim", a, 0.0, 0.5))
    }
}

/// The IPW estimator of the ATE and the ATT.
///
/// The interval uses the influence function with the propensities treated as
/// known, which overstates the variance of the ATE estimate (Lunceford and
/// Davidian 2004), so it is conservative.
#[derive(Debug, Clone, Default)]
pub struct Ipw {
    pub params: IpwParams,
}

/// The in-sample rows one estimand uses after trimming, with their scores clipped.
struct Weighted {
    y: Vec<f64>,
    t: Vec<f64>,
    e: Vec<f64>,
    clipped: usize,
    trimmed: usize,
}

impl Ipw {
    fn rows_for(&self, y: &[f64], t: &[f64], e: &[f64], estimand: Estimand) -> Result<Weighted, EstimateError> {
        let keep = overlap::keep(e, self.params.trim, estimand);
        let pick = |v: &[f64]| -> Vec<f64> { v.iter().zip(&keep).filter(|(_, k)| **k).map(|(v, _)| *v).collect() };
        let (y, t, e) = (pick(y), pick(t), pick(e));
        // Arms::of saw both arms, so only a trim can empty one.
        let treated: Vec<bool> = t.iter().map(|&t| t > 0.5).collect();
        if treated.iter().all(|&b| b) || !treated.iter().any(|&b| b) {
            let what = if estimand == Estimand::Ate { "ATE" } else { "ATT" };
            let trim = self.params.trim.unwrap_or_default();
            return Err(EstimateError::failed(
                "ipw",
                format!("trimming at {trim} leaves an arm empty for the {what}; lower `trim`"),
            ));
        }
        let (e, clipped) = overlap::clip(&e, &treated, self.params.clip, estimand);
        Ok(Weighted { trimmed: keep.len() - y.len(), y, t, e, clipped })
    }
}

impl Estimator for Ipw {
    fn estimate(&self, data: &Observed<'_>, _rng: &mut RunRng) -> Result<Estimate, EstimateError> {
        let split = data.split();
        let arms = Arms::of("ipw", data, split.in_sample())?;
        let fitted = propensity(data, &arms.rows, &arms.rows)
            .map_err(|err| EstimateError::failed("ipw", format!("propensity model: {err}")))?;
        let t: Vec<f64> = arms.rows.iter().map(|&i| data.treatment[i]).collect();
        let y: Vec<f64> = arms.rows.iter().map(|&i| data.outcome(i)).collect();

        let a = self.rows_for(&y, &t, &fitted.scores, Estimand::Ate)?;
        let w1: Vec<f64> = a.t.iter().zip(&a.e).map(|(t, e)| t / e).collect();
        let w0: Vec<f64> = a.t.iter().zip(&a.e).map(|(t, e)| (1.0 - t) / (1.0 - e)).collect();
        let (ate, influence) =
            if self.params.normalize { hajek(&a.y, &w1, &w0) } else { horvitz_thompson(&a.y, &w1, &w0) };
        let se = (variance(&influence) / a.y.len() as f64).sqrt();

        let b = self.rows_for(&y, &t, &fitted.scores, Estimand::Att)?;
        let odds: Vec<f64> = b.t.iter().zip(&b.e).map(|(t, e)| (1.0 - t) * e / (1.0 - e)).collect();
        let att = effect_on_treated(&b.y, &b.t, &odds, self.params.normalize);
        let (lo, hi) = range(&fitted.scores);
        Ok(Estimate {
            ite: None,
            ate,
            att: Some(att),
            interval: Some(normal_interval(ate, se)),
            diagnostics: vec![
                ("se".into(), se),
                ("propensity_min".into(), lo),
                ("propensity_max".into(), hi),
                ("propensity_ridge".into(), f64::from(u8::from(fitted.ridge.is_some()))),
                ("clipped".into(), a.clipped as f64),
                ("trimmed".into(), a.trimmed as f64),
                ("clipped_att".into(), b.clipped as f64),
                ("trimmed_att".into(), b.trimmed as f64),
                ("ess_treated".into(), effective_sample_size(&w1)),
                ("ess_control".into(), effective_sample_size(&w0)),
            ],
            ovb: None,
            potential: None,
        })
    }
}

/// Weighted mean of y in each arm; the influence of row i on the difference is
/// w1_i (y_i - m1) / mean(w1) - w0_i (y_i - m0) / mean(w0).
fn hajek(y: &[f64], w1: &[f64], w0: &[f64]) -> (f64, Vec<f64>) {
    let (s1, s0) = (w1.iter().sum::<f64>(), w0.iter().sum::<f64>());
    let m1 = y.iter().zip(w1).map(|(y, w)| y * w).sum::<f64>() / s1;
    let m0 = y.iter().zip(w0).map(|(y, w)| y * w).sum::<f64>() / s0;
    let n = y.len() as f64;
    let influence = (0..y.len()).map(|i| n * (w1[i] * (y[i] - m1) / s1 - w0[i] * (y[i] - m0) / s0)).collect();
    (m1 - m0, influence)
}

/// mean(w1 y) - mean(w0 y); the influence is the summand minus the estimate.
fn horvitz_thompson(y: &[f64], w1: &[f64], w0: &[f64]) -> (f64, Vec<f64>) {
    let terms: Vec<f64> = (0..y.len()).map(|i| (w1[i] - w0[i]) * y[i]).collect();
    let ate = mean(terms.iter().copied());
    (ate, terms.iter().map(|v| v - ate).collect())
}

/// Treated mean minus the control mean reweighted by the odds e / (1 - e), which
/// makes the controls resemble the treated (normalised, or divided by n1).
fn effect_on_treated(y: &[f64], t: &[f64], odds: &[f64], normalize: bool) -> f64 {
    let n1 = t.iter().sum::<f64>();
    let treated_mean = y.iter().zip(t).map(|(y, t)| y * t).sum::<f64>() / n1;
    let weighted: f64 = y.iter().zip(odds).map(|(y, w)| y * w).sum();
    let denominator = if normalize { odds.iter().sum::<f64>() } else { n1 };
    treated_mean - weighted / denominator
}

/// Kish's effective sample size (sum w)^2 / sum w^2.
fn effective_sample_size(w: &[f64]) -> f64 {
    let s: f64 = w.iter().sum();
    let s2: f64 = w.iter().map(|w| w * w).sum();
    if s2 > 0.0 { s * s / s2 } else { 0.0 }
}

/// The `ipw` kind, for the estimator registry.
pub static IPW: crate::estimate::registry::Kind = crate::estimate::registry::Kind {
    name: "ipw",
    summary: "Inverse probability weighting with an unpenalised logistic propensity model, clipped to [clip, 1 - clip] for the ATE and below 1 - clip for the ATT, optionally trimmed (Crump et al. 2009).",
    role: crate::estimate::registry::Role::Backdoor,
    // 2: the propensity model lost its ridge, and the ATT's clip its lower end.
    version: 2,
    uses_libtorch: false,
    resolve: crate::estimate::registry::resolve_hyper::<IpwParams>,
    late_defaults: crate::estimate::registry::no_late_defaults,
    build: |kind, p| Ok(Box::new(Ipw { params: crate::estimate::params::parse(kind, p)? })),
};

#[cfg(test)]
mod tests {
    use super::*;

    /// With constant propensities the Hajek estimate is the difference in means.
    #[test]
    fn constant_weights_give_difference_in_means() {
        let y = [1.0, 2.0, 5.0, 7.0];
        let w1 = [0.0, 0.0, 2.0, 2.0];
        let w0 = [2.0, 2.0, 0.0, 0.0];
        let (ate, influence) = hajek(&y, &w1, &w0);
        assert!((ate - 4.5).abs() < 1e-12);
        assert!(influence.iter().sum::<f64>().abs() < 1e-12);
    }

    #[test]
    fn effective_sample_size_of_equal_weights_is_the_count() {
        assert!((effective_sample_size(&[3.0, 3.0, 3.0, 0.0]) - 3.0).abs() < 1e-12);
    }
}
