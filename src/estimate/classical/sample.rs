//! What every classical estimator does first: check that the data can be fitted
//! at all, split the in-sample rows by arm, build design matrices, and fit the
//! propensity model.
//!
//! The checks turn the usual ways a run goes wrong (an empty arm, a NaN left by
//! preprocessing) into a failed run with the reason, before any algebra sees them.

use nalgebra::DMatrix;

use super::linalg::FitError;
use super::logistic::{RidgeReason, fit_logistic, predict};
use crate::data::Observed;
use crate::estimate::EstimateError;

/// The in-sample rows (train and validation) split by treatment arm.
#[derive(Debug, Clone)]
pub struct Arms {
    pub rows: Vec<usize>,
    pub treated: Vec<usize>,
    pub control: Vec<usize>,
}

impl Arms {
    /// Split `rows` by arm, failing when either arm is empty or any value the
    /// estimator will read is not finite.
    pub fn of(kind: &str, data: &Observed<'_>, rows: Vec<usize>) -> Result<Arms, EstimateError> {
        check_finite(kind, data, &rows)?;
        let (treated, control): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&i| data.is_treated(i));
        if treated.is_empty() || control.is_empty() {
            let missing = if treated.is_empty() { "treated" } else { "control" };
            return Err(EstimateError::failed(
                kind,
                format!("no {missing} rows in the sample; the effect is not estimable"),
            ));
        }
        Ok(Arms { rows, treated, control })
    }
}

fn check_finite(kind: &str, data: &Observed<'_>, rows: &[usize]) -> Result<(), EstimateError> {
    for &i in rows {
        if !data.outcome(i).is_finite() || !data.treatment[i].is_finite() {
            return Err(EstimateError::failed(
                kind,
                format!("row {i} has a missing or non-finite outcome or treatment"),
            ));
        }
    }
    for (name, col) in data.covariate_names.iter().zip(data.covariates.iter()) {
        if let Some(i) = col.iter().position(|v| !v.is_finite()) {
            return Err(EstimateError::failed(
                kind,
                format!("covariate `{name}` is missing or non-finite in row {i}; impute it in `preprocess`"),
            ));
        }
    }
    Ok(())
}

/// Design matrix of `rows`: an intercept column, then every covariate.
pub fn covariate_design(data: &Observed<'_>, rows: &[usize]) -> DMatrix<f64> {
    DMatrix::from_fn(
        rows.len(),
        data.n_covariates() + 1,
        |r, j| if j == 0 { 1.0 } else { data.covariates[j - 1][rows[r]] },
    )
}

/// Column names of `covariate_design`, for error messages.
pub fn covariate_design_names(data: &Observed<'_>) -> Vec<String> {
    std::iter::once("intercept".to_string()).chain(data.covariate_names.iter().cloned()).collect()
}

/// Fitted propensity scores, unclipped (each estimator clips or trims them for
/// its estimand, `overlap`).
#[derive(Debug, Clone)]
pub struct Propensity {
    pub scores: Vec<f64>,
    /// Why the logistic fit needed a ridge, if it did.
    pub ridge: Option<RidgeReason>,
}

/// Propensity scores for `predict_rows` from a logistic model fitted on `fit_rows`.
pub fn propensity(data: &Observed<'_>, fit_rows: &[usize], predict_rows: &[usize]) -> Result<Propensity, FitError> {
    let t: Vec<f64> = fit_rows.iter().map(|&i| data.treatment[i]).collect();
    let fit = fit_logistic(&covariate_design(data, fit_rows), &t)?;
    Ok(Propensity { scores: predict(&covariate_design(data, predict_rows), &fit.beta), ridge: fit.ridge })
}

/// Mean of `values`; callers guarantee at least one value.
pub fn mean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, n) = values.into_iter().fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    sum / n as f64
}

/// Sample variance with the n - 1 denominator (0 for fewer than two values).
pub fn variance(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let m = mean(values.iter().copied());
    values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64
}

/// The 97.5% standard normal quantile, for 95% intervals.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// The 95% normal interval estimate ± Z_975 * se.
pub fn normal_interval(estimate: f64, se: f64) -> (f64, f64) {
    (estimate - Z_975 * se, estimate + Z_975 * se)
}

/// Smallest and largest of `values` (NaN-free by the finiteness checks).
pub fn range(values: &[f64]) -> (f64, f64) {
    values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}
