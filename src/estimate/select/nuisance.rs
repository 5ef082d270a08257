//! The nuisance models of the selection criteria, fitted on the validation rows
//! alone with K-fold cross-fitting, as EconML's `RScorer` (cv=2), CausalML and
//! Curth and van der Schaar's CATESelection do: each row's nuisance values come
//! from models that never saw it, so a criterion does not reward a
//! configuration for agreeing with a nuisance model's overfit.
//!
//! The models are deliberately simple and deterministic: ridge regressions for
//! the outcome surfaces mu0, mu1 (a T-learner) and m(x) = E[y | x], and a
//! logistic regression (the classical estimators' own) for the propensity
//! e(x), clipped to [0.01, 0.99]. The folds are drawn from the generator the
//! caller passes (the replication's selection stream), never a global one.

use nalgebra::{DMatrix, DVector};
use rand::seq::SliceRandom;
use thiserror::Error;

use super::criteria::ValidationRows;
use crate::estimate::classical::FitError;
use crate::estimate::classical::logistic::{fit_logistic, predict};
use crate::rng::RunRng;

/// Penalty on the ridge regressions' slopes (not the intercept). On standardised
/// covariates and a hundred validation rows it is mild, and it keeps the fit
/// defined where an arm has fewer rows than covariates.
pub const RIDGE: f64 = 1.0;

/// Propensities are clipped to [CLIP, 1 - CLIP] before any criterion divides by them.
pub const CLIP: f64 = 0.01;

/// Cross-fitted nuisance values, one per validation row, in the rows' order.
#[derive(Debug, Clone, PartialEq)]
pub struct Nuisance {
    /// T-learner outcome surfaces: ridge of y on x among controls, among treated.
    pub mu0: Vec<f64>,
    pub mu1: Vec<f64>,
    /// E[y | x], a ridge of y on x over both arms (the R-learner's m).
    pub m: Vec<f64>,
    /// P(t = 1 | x), logistic, clipped.
    pub e: Vec<f64>,
}

impl Nuisance {
    /// The T-learner's effect mu1 - mu0 of each row.
    pub fn tau(&self) -> Vec<f64> {
        self.mu1.iter().zip(&self.mu0).map(|(a, b)| a - b).collect()
    }
}

/// Why the nuisance models could not be fitted.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum NuisanceError {
    #[error("needs at least 2 cross-fitting folds, found {0}")]
    Folds(usize),
    #[error("the {arm} rows outside cross-fitting fold {fold} are none, so its outcome model cannot be fitted")]
    EmptyArm { arm: &'static str, fold: usize },
    #[error(
        "the {model} ridge regression of cross-fitting fold {fold} is numerically singular (a covariate too large or constant for its scale?)"
    )]
    Singular { model: &'static str, fold: usize },
    #[error("the propensity model of cross-fitting fold {fold} failed")]
    Propensity {
        fold: usize,
        #[source]
        source: FitError,
    },
}

/// Fit the nuisance models on `rows` with `folds`-fold cross-fitting, the folds
/// drawn from `rng`: shuffle the rows, deal them round-robin into the folds.
pub fn fit_nuisance(rows: &ValidationRows<'_>, folds: usize, rng: &mut RunRng) -> Result<Nuisance, NuisanceError> {
    if folds < 2 {
        return Err(NuisanceError::Folds(folds));
    }
    let n = rows.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let mut fold_of = vec![0; n];
    for (rank, &i) in order.iter().enumerate() {
        fold_of[i] = rank % folds;
    }
    let mut out = Nuisance { mu0: vec![0.0; n], mu1: vec![0.0; n], m: vec![0.0; n], e: vec![0.0; n] };
    for fold in 0..folds {
        let held: Vec<usize> = (0..n).filter(|&i| fold_of[i] == fold).collect();
        let fit: Vec<usize> = (0..n).filter(|&i| fold_of[i] != fold).collect();
        let arm = |treated: bool| fit.iter().copied().filter(|&i| rows.treated(i) == treated).collect::<Vec<_>>();
        let (control, treated) = (arm(false), arm(true));
        if control.is_empty() {
            return Err(NuisanceError::EmptyArm { arm: "control", fold });
        }
        if treated.is_empty() {
            return Err(NuisanceError::EmptyArm { arm: "treated", fold });
        }
        let held_x = design(rows, &held);
        let put = |target: &mut Vec<f64>, values: Vec<f64>| {
            for (&i, v) in held.iter().zip(values) {
                target[i] = v;
            }
        };
        let ridge = |model: &'static str, on: &[usize]| {
            ridge_predict(rows, on, &held_x).ok_or(NuisanceError::Singular { model, fold })
        };
        put(&mut out.mu0, ridge("control outcome", &control)?);
        put(&mut out.mu1, ridge("treated outcome", &treated)?);
        put(&mut out.m, ridge("pooled outcome", &fit)?);
        let t: Vec<f64> = fit.iter().map(|&i| rows.t[i]).collect();
        let p = fit_logistic(&design(rows, &fit), &t).map_err(|source| NuisanceError::Propensity { fold, source })?;
        put(&mut out.e, predict(&held_x, &p.beta).into_iter().map(|e| e.clamp(CLIP, 1.0 - CLIP)).collect());
    }
    Ok(out)
}

/// The rows' covariates with an intercept column first.
fn design(rows: &ValidationRows<'_>, which: &[usize]) -> DMatrix<f64> {
    let p = rows.n_covariates();
    DMatrix::from_fn(which.len(), p + 1, |r, c| if c == 0 { 1.0 } else { rows.x[which[r]][c - 1] })
}

/// Ridge regression of y on x over `fit` (slopes penalised by RIDGE, the
/// intercept not), predicted at the rows of `at`: (X'X + RIDGE D) b = X'y with
/// D the identity less its first entry, positive definite once `fit` has a row;
/// None where rounding defeats that (user covariates on a huge scale).
fn ridge_predict(rows: &ValidationRows<'_>, fit: &[usize], at: &DMatrix<f64>) -> Option<Vec<f64>> {
    let x = design(rows, fit);
    let y = DVector::from_iterator(fit.len(), fit.iter().map(|&i| rows.y[i]));
    let mut a = x.transpose() * &x;
    for j in 1..a.ncols() {
        a[(j, j)] += RIDGE;
    }
    let b = x.transpose() * y;
    let coef = a.cholesky()?.solve(&b);
    Some((at * coef).iter().copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ridge_on_a_line_shrinks_the_slope_by_the_penalty() {
        // y = 2x over x = -1, 0, 1: X'X = [[3, 0], [0, 2]], X'y = [0, 4];
        // with the slope penalised by 1: intercept 0, slope 4 / 3.
        let x = vec![vec![-1.0], vec![0.0], vec![1.0]];
        let (t, y) = (vec![1.0; 3], vec![-2.0, 0.0, 2.0]);
        let rows = ValidationRows::new(&x, &t, &y);
        let at = DMatrix::from_row_slice(2, 2, &[1.0, 3.0, 1.0, 0.0]);
        let p = ridge_predict(&rows, &[0, 1, 2], &at).unwrap();
        assert!((p[0] - 4.0).abs() < 1e-12 && p[1].abs() < 1e-12, "{p:?}");
    }

    #[test]
    fn every_row_is_predicted_by_models_that_did_not_see_it() {
        // A constant covariate: m is the mean outcome of the rows the model was
        // fitted on, so a row's m is the mean of the other fold's outcomes.
        let x = vec![vec![0.0]; 40];
        let t: Vec<f64> = (0..40).map(|i| (i % 2) as f64).collect();
        let y: Vec<f64> = (0..40).map(|i| i as f64).collect();
        let rows = ValidationRows::new(&x, &t, &y);
        let a = fit_nuisance(&rows, 2, &mut RunRng::seed_from_u64(1)).unwrap();
        for i in 0..40 {
            let others: Vec<f64> = (0..40).filter(|&j| a.m[j] != a.m[i]).map(|j| y[j]).collect();
            assert_eq!(others.len(), 20, "two folds of 20 rows");
            let mean = others.iter().sum::<f64>() / 20.0;
            assert!((a.m[i] - mean).abs() < 1e-9, "row {i}: m {} is not the other fold's mean {mean}", a.m[i]);
        }
        assert_eq!(
            a,
            fit_nuisance(&rows, 2, &mut RunRng::seed_from_u64(1)).unwrap(),
            "the folds come from the generator"
        );
        assert!(a.e.iter().all(|&e| (CLIP..=1.0 - CLIP).contains(&e)));
        assert_eq!(fit_nuisance(&rows, 1, &mut RunRng::seed_from_u64(1)), Err(NuisanceError::Folds(1)));
    }

    #[test]
    fn an_arm_missing_from_a_fold_is_an_error_not_a_number() {
        let x = vec![vec![0.0]; 4];
        let (t, y) = (vec![1.0, 1.0, 1.0, 0.0], vec![0.0; 4]);
        let rows = ValidationRows::new(&x, &t, &y);
        let e = fit_nuisance(&rows, 2, &mut RunRng::seed_from_u64(0)).unwrap_err();
        assert!(matches!(e, NuisanceError::EmptyArm { arm: "control", .. }), "{e}");
    }
}
