//! Sensitivity of an OLS estimate to an omitted confounder, after Cinelli and
//! Hazlett (2020), "Making sense of sensitivity: extending omitted variable
//! bias", JRSS-B, as implemented by `sensemakr` (R) and PySensemakr.
//!
//! Everything follows from the treatment coefficient's estimate, its classical
//! (homoskedastic) standard error and the residual degrees of freedom of the
//! regression y ~ 1 + d + X: the partial R² of the treatment, the robustness
//! values RV_q and RV_{q,α}, the estimate and interval adjusted for a confounder
//! Z of a given strength (R²_{D~Z|X}, R²_{Y~Z|D,X}), and the strength implied by
//! a confounder k times as strong as an observed covariate (the benchmark
//! bounds, §4.4 of the paper). The classical standard error, not HC1, because the
//! bias formula is exact for it (the paper's Eq. 11); the OLS estimator's own
//! interval stays robust.

use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::estimate::classical::linalg::{FitError, least_squares};

/// The treatment coefficient of y ~ 1 + d + X with its classical standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coefficient {
    pub estimate: f64,
    pub se: f64,
    /// Residual degrees of freedom n - p of the regression.
    pub dof: f64,
}

impl Coefficient {
    pub fn t(&self) -> f64 {
        self.estimate / self.se
    }
}

/// Partial R² of a regressor with t-statistic `t` in a regression with `dof`
/// residual degrees of freedom: t² / (t² + dof).
pub fn partial_r2(t: f64, dof: f64) -> f64 {
    t * t / (t * t + dof)
}

/// |quantile of Student's t at `p`| with `dof` degrees of freedom.
fn t_critical(p: f64, dof: f64) -> f64 {
    StudentsT::new(0.0, 1.0, dof).map(|d| d.inverse_cdf(p).abs()).unwrap_or(f64::NAN)
}

/// The robustness value RV_{q,α}: the equal partial R² with treatment and
/// outcome that a confounder needs to reduce the estimate by 100q% (α = 1), or
/// to make the reduced estimate's 1 - α interval reach it (α < 1). Includes the
/// case sensemakr added in 0.1.4 where the constraint does not bind
/// (f_q > 1 / f_crit, so that R²_{Y~Z|D,X} = 1 suffices).
pub fn robustness_value(t: f64, dof: f64, q: f64, alpha: f64) -> f64 {
    let fq = q * (t / dof.sqrt()).abs();
    let f_crit = if alpha >= 1.0 { 0.0 } else { t_critical(alpha / 2.0, dof - 1.0) / (dof - 1.0).sqrt() };
    let fqa = fq - f_crit;
    if fqa <= 0.0 {
        0.0
    } else if f_crit > 0.0 && fq > 1.0 / f_crit {
        (fq * fq - f_crit * f_crit) / (1.0 + fq * fq)
    } else {
        0.5 * ((fqa.powi(4) + 4.0 * fqa * fqa).sqrt() - fqa * fqa)
    }
}

/// A hypothetical confounder's strength, in partial R².
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Strength {
    /// R²_{D~Z|X}: of the treatment's residual variance.
    pub r2dz_x: f64,
    /// R²_{Y~Z|D,X}: of the outcome's residual variance.
    pub r2yz_dx: f64,
}

/// The estimate after adjusting for a confounder of a given strength.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adjusted {
    pub estimate: f64,
    pub se: f64,
    pub t: f64,
    pub low: f64,
    pub high: f64,
}

/// The bias-adjusted estimate, standard error, t and 1 - α interval, for a
/// confounder that moves the estimate towards zero (sensemakr's `reduce = TRUE`):
/// bias = se √(dof R²_yz R²_dz / (1 - R²_dz)), se' = se √((1 - R²_yz)/(1 - R²_dz) dof/(dof - 1)).
/// The interval uses Student's t with `dof` degrees of freedom, as sensemakr does.
pub fn adjust(c: &Coefficient, z: Strength, alpha: f64) -> Adjusted {
    let bias = (z.r2yz_dx * z.r2dz_x / (1.0 - z.r2dz_x)).sqrt() * c.se * c.dof.sqrt();
    let estimate = c.estimate.signum() * (c.estimate.abs() - bias);
    let se = ((1.0 - z.r2yz_dx) / (1.0 - z.r2dz_x)).sqrt() * c.se * (c.dof / (c.dof - 1.0)).sqrt();
    let half = t_critical(alpha / 2.0, c.dof) * se;
    Adjusted { estimate, se, t: estimate / se, low: estimate - half, high: estimate + half }
}

/// Why a benchmark gives no bound.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BoundError {
    #[error("a confounder {kd} times as strong as the benchmark would explain all of the treatment (R²_dz ≥ 1)")]
    Impossible { kd: f64 },
}

/// The strength of a confounder `kd` times as strongly associated with the
/// treatment and `ky` times with the outcome as a covariate whose partial R²
/// with the treatment (given the other covariates) is `r2dxj_x` and with the
/// outcome (given treatment and the other covariates) is `r2yxj_dx`
/// (Cinelli and Hazlett 2020, Eq. 18 and Appendix B; R²_yz is capped at 1).
pub fn benchmark_bound(r2dxj_x: f64, r2yxj_dx: f64, kd: f64, ky: f64) -> Result<Strength, BoundError> {
    let r2dz_x = kd * r2dxj_x / (1.0 - r2dxj_x);
    if r2dz_x >= 1.0 {
        return Err(BoundError::Impossible { kd });
    }
    let r2zxj_xd = kd * r2dxj_x * r2dxj_x / ((1.0 - kd * r2dxj_x) * (1.0 - r2dxj_x));
    if r2zxj_xd >= 1.0 {
        return Err(BoundError::Impossible { kd });
    }
    let root = (ky.sqrt() + r2zxj_xd.sqrt()) / (1.0 - r2zxj_xd).sqrt();
    let r2yz_dx = (root * root * r2yxj_dx / (1.0 - r2yxj_dx)).min(1.0);
    Ok(Strength { r2dz_x, r2yz_dx })
}

/// The two regressions sensemakr reads: the outcome on 1, d and X (the
/// treatment's coefficient and each covariate's t), and the treatment on 1 and X
/// (each covariate's t), with classical standard errors.
#[derive(Debug, Clone)]
pub struct Regressions {
    pub treatment: Coefficient,
    /// Per covariate: (t in the outcome regression, its dof; t in the treatment regression, its dof).
    pub covariate_t: Vec<((f64, f64), (f64, f64))>,
}

impl Regressions {
    /// Fit both regressions on the rows given; `x[j]` is covariate `j` of those rows.
    pub fn fit(y: &[f64], d: &[f64], x: &[Vec<f64>], names: &[String]) -> Result<Regressions, FitError> {
        let n = y.len();
        let p = x.len();
        let outcome_design = DMatrix::from_fn(n, p + 2, |i, j| match j {
            0 => 1.0,
            1 => d[i],
            j => x[j - 2][i],
        });
        let treatment_design = DMatrix::from_fn(n, p + 1, |i, j| if j == 0 { 1.0 } else { x[j - 1][i] });
        let mut outcome_names = vec!["intercept".to_string(), "treatment".to_string()];
        outcome_names.extend(names.iter().cloned());
        let outcome = classical(&outcome_design, &DVector::from_column_slice(y), &outcome_names)?;
        let treatment = classical(
            &treatment_design,
            &DVector::from_column_slice(d),
            &outcome_names[..1].iter().chain(names).cloned().collect::<Vec<_>>(),
        )?;
        let covariate_t = (0..p)
            .map(|j| {
                let (yo, to) = (outcome[j + 2], treatment[j + 1]);
                ((yo.t(), yo.dof), (to.t(), to.dof))
            })
            .collect();
        Ok(Regressions { treatment: outcome[1], covariate_t })
    }

    /// The partial R² of covariate `j` with the treatment (given the other
    /// covariates) and with the outcome (given the treatment and the others).
    pub fn benchmark_r2(&self, j: usize) -> (f64, f64) {
        let ((ty, dofy), (td, dofd)) = self.covariate_t[j];
        (partial_r2(td, dofd), partial_r2(ty, dofy))
    }
}

/// Every coefficient of y ~ X with its classical standard error σ̂ √((X'X)⁻¹_jj).
fn classical(x: &DMatrix<f64>, y: &DVector<f64>, names: &[String]) -> Result<Vec<Coefficient>, FitError> {
    let fit = least_squares(x, y, names)?;
    let (n, p) = x.shape();
    if n <= p {
        return Err(FitError::TooFewRows { rows: n, params: p + 1 });
    }
    let dof = (n - p) as f64;
    let sigma2 = fit.residuals.norm_squared() / dof;
    Ok((0..p).map(|j| Coefficient { estimate: fit.coef[j], se: (sigma2 * fit.xtx_inv[(j, j)]).sqrt(), dof }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    // sensemakr's published Darfur statistics (PySensemakr tests/test_darfur.py,
    // `test_darfur_sensemakr_manually` and the R package's vignette).
    const DARFUR: Coefficient = Coefficient { estimate: 0.09731582, se: 0.02325654, dof: 783.0 };

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b}");
    }

    #[test]
    fn darfur_statistics_from_the_summary_numbers() {
        close(DARFUR.t(), 4.18445, 1e-5);
        close(partial_r2(DARFUR.t(), DARFUR.dof), 0.02187309, 1e-7);
        close(robustness_value(DARFUR.t(), DARFUR.dof, 1.0, 1.0), 0.1387764, 1e-6);
        close(robustness_value(DARFUR.t(), DARFUR.dof, 1.0, 0.05), 0.07625797, 1e-6);
    }

    #[test]
    fn adjustment_at_the_robustness_value_removes_the_estimate() {
        // sensemakr's own identities: at RV_1 the adjusted estimate is zero, at
        // RV_{1/2} it is half the estimate, at RV_{1,0.05} the adjusted t is ~1.96.
        let t = DARFUR.t();
        let rv = robustness_value(t, DARFUR.dof, 1.0, 1.0);
        close(adjust(&DARFUR, Strength { r2dz_x: rv, r2yz_dx: rv }, 0.05).estimate, 0.0, 1e-12);
        let half = robustness_value(t, DARFUR.dof, 0.5, 1.0);
        close(adjust(&DARFUR, Strength { r2dz_x: half, r2yz_dx: half }, 0.05).estimate, DARFUR.estimate / 2.0, 1e-12);
        let rva = robustness_value(t, DARFUR.dof, 1.0, 0.05);
        close(adjust(&DARFUR, Strength { r2dz_x: rva, r2yz_dx: rva }, 0.05).t, 1.96, 1e-2);
    }

    #[test]
    fn adjusted_estimate_of_a_hypothetical_confounder() {
        // PySensemakr's bias_functions doctest: r2dz_x = r2yz_dx = 0.05.
        let a = adjust(&DARFUR, Strength { r2dz_x: 0.05, r2yz_dx: 0.05 }, 0.05);
        close(a.estimate, 0.06393, 1e-5);
        close(a.se, 0.02327, 1e-5);
        close(a.t, 2.74724, 1e-5);
    }

    #[test]
    fn rv_is_zero_when_the_estimate_is_not_significant() {
        assert_eq!(robustness_value(1.0, 100.0, 1.0, 0.05), 0.0);
        assert!(robustness_value(1.0, 100.0, 1.0, 1.0) > 0.0);
    }

    #[test]
    fn impossible_benchmark_is_an_error() {
        assert_eq!(benchmark_bound(0.6, 0.1, 1.0, 1.0), Err(BoundError::Impossible { kd: 1.0 }));
    }
}
