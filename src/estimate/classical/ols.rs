//! Regression adjustment by ordinary least squares, in the two forms the papers'
//! tables list: OLS/LR-1, one model y ~ t + X with a constant effect, and
//! OLS/LR-2, with treatment-covariate interactions so each arm has its own slopes.
//!
//! The interacted form regresses y on t, centred covariates X - mean(X) and
//! t * (X - mean(X)) (Lin 2013, "Agnostic notes on regression adjustments to
//! experimental data"). Its fitted values equal separate fits per arm, and because
//! the covariates are centred on the in-sample mean, the coefficient of t is
//! exactly the in-sample mean of the predicted individual effects, so the HC1
//! robust standard error of that one coefficient gives the ATE its interval.

use nalgebra::{DMatrix, DVector};

use super::linalg::{hc1_standard_error, least_squares};
use super::sample::{Arms, mean, normal_interval};
use crate::data::Observed;
use crate::estimate::{Estimate, EstimateError, Estimator};
use crate::rng::RunRng;

/// OLS regression adjustment; `interact` selects OLS/LR-2.
#[derive(Debug, Clone, Default)]
pub struct Ols {
    pub interact: bool,
}

impl Ols {
    fn kind(&self) -> &'static str {
        if self.interact { "ols_interact" } else { "ols" }
    }
}

impl Estimator for Ols {
    fn estimate(&self, data: &Observed<'_>, _rng: &mut RunRng) -> Result<Estimate, EstimateError> {
        let split = data.split();
        let arms = Arms::of(self.kind(), data, split.in_sample())?;
        let centre: Vec<f64> = data.covariates.iter().map(|col| mean(arms.rows.iter().map(|&i| col[i]))).collect();
        let x = self.design(data, &arms.rows, &centre);
        let y = DVector::from_iterator(arms.rows.len(), arms.rows.iter().map(|&i| data.outcome(i)));
        let fit = least_squares(&x, &y, &self.column_names(data))
            .map_err(|e| EstimateError::failed(self.kind(), e.to_string()))?;
        let ate = fit.coef[1];
        let se = hc1_standard_error(&x, &fit, 1);
        let ite = self.individual_effects(data, &fit.coef, &centre);
        let att = mean(arms.treated.iter().map(|&i| ite[i]));
        Ok(Estimate {
            ite: Some(ite),
            ate,
            att: Some(att),
            interval: Some(normal_interval(ate, se)),
            diagnostics: vec![("se".into(), se), ("residual_sd".into(), residual_sd(&fit.residuals, x.ncols()))],
            ovb: None,
            potential: None,
        })
    }
}

impl Ols {
    fn design(&self, data: &Observed<'_>, rows: &[usize], centre: &[f64]) -> DMatrix<f64> {
        treatment_design(data, rows, centre, self.interact)
    }

    fn column_names(&self, data: &Observed<'_>) -> Vec<String> {
        let mut names = vec!["intercept".to_string(), "treatment".to_string()];
        names.extend(data.covariate_names.iter().cloned());
        if self.interact {
            names.extend(data.covariate_names.iter().map(|n| format!("treatment:{n}")));
        }
        names
    }

    /// tau + gamma . (x - centre) for every row; just tau without interactions.
    fn individual_effects(&self, data: &Observed<'_>, coef: &DVector<f64>, centre: &[f64]) -> Vec<f64> {
        let p = data.n_covariates();
        (0..data.n_rows())
            .map(|i| {
                let slopes = (0..p).filter(|_| self.interact);
                coef[1] + slopes.map(|j| coef[2 + p + j] * (data.covariates[j][i] - centre[j])).sum::<f64>()
            })
            .collect()
    }
}

/// sqrt(RSS / (n - p)), a diagnostic of fit quality.
fn residual_sd(residuals: &DVector<f64>, params: usize) -> f64 {
    let n = residuals.len();
    if n <= params { 0.0 } else { (residuals.norm_squared() / (n - params) as f64).sqrt() }
}

/// Columns: intercept, t, centred covariates, then (when `interact`) t times each
/// centred covariate. Shared by OLS/LR-2 and the front-door outcome model.
pub(super) fn treatment_design(data: &Observed<'_>, rows: &[usize], centre: &[f64], interact: bool) -> DMatrix<f64> {
    let p = data.n_covariates();
    let width = if interact { 2 + 2 * p } else { 2 + p };
    DMatrix::from_fn(rows.len(), width, |r, j| {
        let i = rows[r];
        let t = data.treatment[i];
        match j {
            0 => 1.0,
            1 => t,
            j if j < 2 + p => data.covariates[j - 2][i] - centre[j - 2],
            j => t * (data.covariates[j - 2 - p][i] - centre[j - 2 - p]),
        }
    })
}

/// `Build` of both OLS kinds: `ols_interact` gives each arm its own slopes.
fn build_ols(kind: &str, p: &crate::estimate::Params) -> Result<Box<dyn Estimator>, EstimateError> {
    crate::estimate::params::parse::<crate::estimate::params::NoParams>(kind, p)?;
    Ok(Box::new(Ols { interact: kind == "ols_interact" }))
}

/// The `ols` kind (OLS/LR-1 of the papers' tables), for the estimator registry.
pub static OLS: crate::estimate::registry::Kind = crate::estimate::registry::Kind {
    name: "ols",
    summary: "Regression adjustment y ~ t + X by least squares, a constant effect (OLS/LR-1 of Shalit et al. 2017), HC1 standard error.",
    role: crate::estimate::registry::Role::Backdoor,
    version: 1,
    uses_libtorch: false,
    resolve: crate::estimate::registry::resolve_hyper::<crate::estimate::params::NoParams>,
    late_defaults: crate::estimate::registry::no_late_defaults,
    build: build_ols,
};

/// The `ols_interact` kind (OLS/LR-2), for the estimator registry.
pub static OLS_INTERACT: crate::estimate::registry::Kind = crate::estimate::registry::Kind {
    name: "ols_interact",
    summary: "Regression adjustment with treatment-covariate interactions, each arm its own slopes (OLS/LR-2 of Shalit et al. 2017).",
    build: build_ols,
    ..OLS
};
