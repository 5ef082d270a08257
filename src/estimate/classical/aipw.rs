//! Augmented inverse probability weighting (doubly robust), with K-fold
//! cross-fitting and an influence-function standard error.
//!
//! The in-sample rows are shuffled with the run's RNG and dealt into K folds. For
//! each fold, a logistic propensity model e(x) and one OLS outcome model per arm,
//! mu0(x) and mu1(x), are fitted on the other folds and evaluated on the fold, so
//! no row's nuisance predictions saw its own outcome (Chernozhukov et al. 2018,
//! "Double/debiased machine learning"). Each row then contributes
//!   psi_i = mu1_i - mu0_i + t_i (y_i - mu1_i) / e_i - (1 - t_i) (y_i - mu0_i) / (1 - e_i),
//! the ATE is mean(psi) and its standard error sd(psi) / sqrt(n). The estimate is
//! consistent when either the propensity or the outcome model is right.

use nalgebra::DVector;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::linalg::{FitError, least_squares};
use super::overlap::{self, Estimand};
use super::sample::{
    Arms, covariate_design, covariate_design_names, mean, normal_interval, propensity, range, variance,
};
use crate::data::Observed;
use crate::estimate::params::{Hyper, check_at_least, check_open};
use crate::estimate::robust::ovb::{OvbElements, OvbPair};
use crate::estimate::{Estimate, EstimateError, Estimator};
use crate::rng::RunRng;

/// Hyperparameters of `aipw`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AipwParams {
    /// Number of cross-fitting folds, at least 2. Default 5.
    pub folds: usize,
    /// Propensities are clipped to [clip, 1 - clip] for the ATE and to at most
    /// 1 - clip for the ATT (`overlap`); in (0, 0.5). Default 0.01.
    pub clip: f64,
}

impl Default for AipwParams {
    fn default() -> Self {
        AipwParams { folds: 5, clip: 0.01 }
    }
}

impl Hyper for AipwParams {
    fn validate(&self) -> Result<(), String> {
        check_at_least("folds", self.folds, 2)?;
        check_open("clip", self.clip, 0.0, 0.5)
    }
}

/// Cross-fitted AIPW with OLS outcome models and a logistic propensity model.
#[derive(Debug, Clone, Default)]
pub struct Aipw {
    pub params: AipwParams,
}

/// Cross-fitted nuisance predictions, indexed by row of the data; `e` unclipped.
struct Nuisance {
    mu0: Vec<f64>,
    mu1: Vec<f64>,
    e: Vec<f64>,
    /// Folds whose propensity model needed the ridge.
    ridged: usize,
}

impl Estimator for Aipw {
    fn estimate(&self, data: &Observed<'_>, rng: &mut RunRng) -> Result<Estimate, EstimateError> {
        let split = data.split();
        let arms = Arms::of("aipw", data, split.in_sample())?;
        if arms.rows.len() < self.params.folds {
            return Err(EstimateError::failed(
                "aipw",
                format!("{} folds but only {} in-sample rows", self.params.folds, arms.rows.len()),
            ));
        }
        let folds = deal_folds(&arms.rows, self.params.folds, rng);
        let nu = self.cross_fit(data, &folds, &split.test)?;
        let e: Vec<f64> = arms.rows.iter().map(|&i| nu.e[i]).collect();
        let treated: Vec<bool> = arms.rows.iter().map(|&i| data.is_treated(i)).collect();
        let (e_ate, clipped) = overlap::clip(&e, &treated, self.params.clip, Estimand::Ate);
        let (e_att, clipped_att) = overlap::clip(&e, &treated, self.params.clip, Estimand::Att);
        let psi: Vec<f64> = arms.rows.iter().zip(&e_ate).map(|(&i, &e)| score(data, &nu, i, e)).collect();
        let ate = mean(psi.iter().copied());
        let se = (variance(&psi) / psi.len() as f64).sqrt();
        let (lo, hi) = range(&e);
        Ok(Estimate {
            ite: Some(nu.mu1.iter().zip(&nu.mu0).map(|(a, b)| a - b).collect()),
            ate,
            att: Some(effect_on_treated(data, &nu, &arms, &e_att)),
            interval: Some(normal_interval(ate, se)),
            diagnostics: vec![
                ("se".into(), se),
                ("propensity_min".into(), lo),
                ("propensity_max".into(), hi),
                ("propensity_ridge".into(), nu.ridged as f64),
                ("clipped".into(), clipped as f64),
                ("clipped_att".into(), clipped_att as f64),
            ],
            ovb: Some(OvbPair {
                ate: ovb_elements(data, &nu, &arms.rows, &e_ate, &psi),
                att: ovb_elements_att(data, &nu, &arms.rows, &e_att),
            }),
            potential: None,
        })
    }
}

impl Aipw {
    /// Fit the nuisance models once per fold. In-sample rows get the predictions
    /// of the models that did not see them; test rows get the average over folds.
    fn cross_fit(&self, data: &Observed<'_>, folds: &[Vec<usize>], test: &[usize]) -> Result<Nuisance, EstimateError> {
        let n = data.n_rows();
        let mut nu = Nuisance { mu0: vec![0.0; n], mu1: vec![0.0; n], e: vec![0.0; n], ridged: 0 };
        let k = folds.len() as f64;
        for (f, held_out) in folds.iter().enumerate() {
            let training: Vec<usize> =
                folds.iter().enumerate().filter(|(g, _)| *g != f).flat_map(|(_, rows)| rows.iter().copied()).collect();
            let fail =
                |what: &str, e: FitError| EstimateError::failed("aipw", format!("{what} in fold {}: {e}", f + 1));
            let train_arms = Arms::of("aipw", data, training.clone()).map_err(|_| {
                EstimateError::failed(
                    "aipw",
                    format!("fold {} leaves one arm empty for training; use fewer folds", f + 1),
                )
            })?;
            let fitted = propensity(data, &training, held_out).map_err(|e| fail("propensity model", e))?;
            let b1 = fit_outcome(data, &train_arms.treated).map_err(|e| fail("outcome model of the treated", e))?;
            let b0 = fit_outcome(data, &train_arms.control).map_err(|e| fail("outcome model of the controls", e))?;
            nu.ridged += usize::from(fitted.ridge.is_some());
            for (r, &i) in held_out.iter().enumerate() {
                nu.e[i] = fitted.scores[r];
            }
            assign(&mut nu.mu1, held_out, &predict_outcome(data, held_out, &b1), 1.0);
            assign(&mut nu.mu0, held_out, &predict_outcome(data, held_out, &b0), 1.0);
            accumulate(&mut nu.mu1, test, &predict_outcome(data, test, &b1), 1.0 / k);
            accumulate(&mut nu.mu0, test, &predict_outcome(data, test, &b0), 1.0 / k);
        }
        Ok(nu)
    }
}

/// Shuffle `rows` and deal them round-robin into `k` folds of near-equal size.
pub(super) fn deal_folds(rows: &[usize], k: usize, rng: &mut RunRng) -> Vec<Vec<usize>> {
    let mut shuffled = rows.to_vec();
    shuffled.shuffle(rng);
    let mut folds = vec![Vec::new(); k];
    for (pos, row) in shuffled.into_iter().enumerate() {
        folds[pos % k].push(row);
    }
    folds
}

fn fit_outcome(data: &Observed<'_>, rows: &[usize]) -> Result<DVector<f64>, FitError> {
    let y = DVector::from_iterator(rows.len(), rows.iter().map(|&i| data.outcome(i)));
    Ok(least_squares(&covariate_design(data, rows), &y, &covariate_design_names(data))?.coef)
}

fn predict_outcome(data: &Observed<'_>, rows: &[usize], coef: &DVector<f64>) -> Vec<f64> {
    (covariate_design(data, rows) * coef).iter().copied().collect()
}

fn assign(target: &mut [f64], rows: &[usize], values: &[f64], scale: f64) {
    for (&i, v) in rows.iter().zip(values) {
        target[i] = v * scale;
    }
}

fn accumulate(target: &mut [f64], rows: &[usize], values: &[f64], scale: f64) {
    for (&i, v) in rows.iter().zip(values) {
        target[i] += v * scale;
    }
}

/// The uncentred efficient influence function of the ATE at row i, with its
/// clipped propensity `e`.
fn score(data: &Observed<'_>, nu: &Nuisance, i: usize, e: f64) -> f64 {
    let (t, y) = (data.treatment[i], data.outcome(i));
    nu.mu1[i] - nu.mu0[i] + t * (y - nu.mu1[i]) / e - (1.0 - t) * (y - nu.mu0[i]) / (1.0 - e)
}

/// The omitted-variable-bias elements of the ATE (DoubleML's IRM, ATE score):
/// per in-sample row the squared residual of g(t, x) = t mu1 + (1 - t) mu0, and
/// 2 (1/e + 1/(1 - e)) - α² with the Riesz representer α = t/e - (1 - t)/(1 - e),
/// `e` clipped as for the ATE.
fn ovb_elements(data: &Observed<'_>, nu: &Nuisance, rows: &[usize], e: &[f64], psi: &[f64]) -> OvbElements {
    let (mut sigma2, mut nu2) = (Vec::with_capacity(rows.len()), Vec::with_capacity(rows.len()));
    for (&i, &e) in rows.iter().zip(e) {
        let (t, y) = (data.treatment[i], data.outcome(i));
        let g = t * nu.mu1[i] + (1.0 - t) * nu.mu0[i];
        sigma2.push((y - g).powi(2));
        let alpha = t / e - (1.0 - t) / (1.0 - e);
        nu2.push(2.0 * (1.0 / e + 1.0 / (1.0 - e)) - alpha * alpha);
    }
    OvbElements::from_rows(psi, &sigma2, &nu2)
}

/// The omitted-variable-bias elements of the ATT (DoubleML's IRM, ATTE score)
/// from the same cross-fitted nuisances, `e` clipped as for the ATT; their θ is
/// the ATTE score's mean, `effect_on_treated` up to rounding.
fn ovb_elements_att(data: &Observed<'_>, nu: &Nuisance, rows: &[usize], e: &[f64]) -> OvbElements {
    let pick = |v: &[f64]| -> Vec<f64> { rows.iter().map(|&i| v[i]).collect() };
    let y: Vec<f64> = rows.iter().map(|&i| data.outcome(i)).collect();
    let t: Vec<f64> = rows.iter().map(|&i| data.treatment[i]).collect();
    OvbElements::from_outcome_model_att(&y, &t, &pick(&nu.mu0), &pick(&nu.mu1), e)
}

/// Doubly robust ATT: (1/n1) sum_i [t_i - (1 - t_i) e_i / (1 - e_i)] (y_i - mu0_i),
/// the sample mean of the efficient influence function of the ATT (Hahn 1998,
/// Econometrica 66(2)) with the cross-fitted mu0 and odds e / (1 - e), `e` the
/// in-sample rows' propensities clipped for the ATT.
fn effect_on_treated(data: &Observed<'_>, nu: &Nuisance, arms: &Arms, e: &[f64]) -> f64 {
    let n1 = arms.treated.len() as f64;
    let total: f64 = arms
        .rows
        .iter()
        .zip(e)
        .map(|(&i, &e)| {
            let t = data.treatment[i];
            (t - (1.0 - t) * e / (1.0 - e)) * (data.outcome(i) - nu.mu0[i])
        })
        .sum();
    total / n1
}

/// The `aipw` kind, for the estimator registry.
pub static AIPW: crate::estimate::registry::Kind = crate::estimate::registry::Kind {
    name: "aipw",
    summary: "Augmented IPW (doubly robust) with K-fold cross-fitting and an influence-function interval (Chernozhukov et al. 2018).",
    role: crate::estimate::registry::Role::Backdoor,
    // 2: the propensity model lost its ridge, and the ATT's clip its lower end.
    version: 2,
    uses_libtorch: false,
    resolve: crate::estimate::registry::resolve_hyper::<AipwParams>,
    late_defaults: crate::estimate::registry::no_late_defaults,
    build: |kind, p| Ok(Box::new(Aipw { params: crate::estimate::params::parse(kind, p)? })),
};

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn folds_partition_the_rows_evenly() {
        let rows: Vec<usize> = (10..33).collect();
        let folds = deal_folds(&rows, 5, &mut RunRng::seed_from_u64(1));
        let sizes: Vec<usize> = folds.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![5, 5, 5, 4, 4]);
        let mut all: Vec<usize> = folds.concat();
        all.sort_unstable();
        assert_eq!(all, rows);
    }
}
