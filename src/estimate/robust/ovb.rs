//! Omitted-variable-bias bounds for the AIPW estimate, after Chernozhukov,
//! Cinelli, Newey, Sharma and Syrgkanis (2022), "Long story short: omitted
//! variable bias in causal machine learning", as DoubleML's
//! `sensitivity_analysis` implements them for the ATE of the interactive
//! regression model.
//!
//! A confounder that explains a share `cf_y` of the outcome's residual variance
//! and makes the Riesz representer vary by a share `cf_d` (so that
//! C_D² = cf_d / (1 - cf_d)), with correlation `rho` between the two errors,
//! moves the estimate by at most
//!   bias = |rho| √(cf_y cf_d / (1 - cf_d)) √(σ² ν²),
//! σ² = E[(y - g(t, x))²] the outcome regression's residual variance and
//! ν² = E[2 (1/e + 1/(1 - e)) - α²], α = t/e - (1 - t)/(1 - e), the Riesz
//! representer's second moment (DoubleML's debiased form). The bounds are
//! θ ± bias, and their interval widens each by the quantile times the standard
//! error of ψ ∓ ψ_bias, ψ_bias = c (σ² ψ_ν² + ν² ψ_σ²) / (2 √(σ² ν²)) with c the
//! confounding strength and ψ_σ², ψ_ν² the centred elements. The robustness
//! value RV is the cf_y = cf_d at which the bound reaches 0; RVa the one at
//! which the interval's limit does. Each end of the interval is one-sided at
//! the level, as DoubleML's.
//!
//! The ATT (DoubleML's score `ATTE`) has its own representer: with p the share
//! of treated rows, α = t/p - (1 - t) e / (p (1 - e)) (DoubleML's weights t/p and
//! weights_bar e/p), ν² = E[2 t / (p² (1 - e)) - α²] (its m(W, α)
//! = (t/p)(e/p)(1/e + 1/(1 - e))), σ² the same residual variance, and the
//! influence function ψ = ψ_b - (t/p) θ, ψ_b = (t/p)(g1 - g0) + α-weighted
//! residuals; the bounds, RV and the benchmarks are then the same algebra.

use crate::estimate::Estimand;

/// What an estimate must supply: its point, its row count and the moments of
/// its influence function and sensitivity elements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OvbElements {
    pub theta: f64,
    pub n: f64,
    pub sigma2: f64,
    pub nu2: f64,
    /// mean(ψ²), ψ the centred influence function of θ.
    pub psi_psi: f64,
    /// mean(ψ φ), φ = (σ² ψ_ν² + ν² ψ_σ²) / (2 √(σ² ν²)).
    pub psi_phi: f64,
    /// mean(φ²).
    pub phi_phi: f64,
}

/// The elements of both estimands of one fit, for an estimator that brings its
/// own Riesz representer (`aipw`, DragonNet).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OvbPair {
    pub ate: OvbElements,
    pub att: OvbElements,
}

impl OvbPair {
    /// The elements of `estimand`.
    pub fn of(&self, estimand: Estimand) -> OvbElements {
        match estimand {
            Estimand::Ate => self.ate,
            Estimand::Att => self.att,
        }
    }
}

impl OvbElements {
    /// The elements of an estimate from per-row influence values `psi` (uncentred:
    /// θ is their mean), residuals² `sigma2_el` and Riesz elements `nu2_el`.
    pub fn from_rows(psi: &[f64], sigma2_el: &[f64], nu2_el: &[f64]) -> OvbElements {
        let n = psi.len() as f64;
        let theta = psi.iter().sum::<f64>() / n;
        let centred: Vec<f64> = psi.iter().map(|p| p - theta).collect();
        OvbElements::from_influence(theta, &centred, sigma2_el, nu2_el)
    }

    /// The elements of an estimate θ from the per-row values of its influence
    /// function `psi` (mean zero), residuals² `sigma2_el` and Riesz elements `nu2_el`.
    pub fn from_influence(theta: f64, psi: &[f64], sigma2_el: &[f64], nu2_el: &[f64]) -> OvbElements {
        let n = psi.len() as f64;
        let mean = |v: &[f64]| v.iter().sum::<f64>() / n;
        let (sigma2, nu2) = (mean(sigma2_el), mean(nu2_el));
        let scale = 2.0 * (sigma2 * nu2).sqrt();
        let (mut pp, mut pf, mut ff) = (0.0, 0.0, 0.0);
        for i in 0..psi.len() {
            let p = psi[i];
            let f = (sigma2 * (nu2_el[i] - nu2) + nu2 * (sigma2_el[i] - sigma2)) / scale;
            pp += p * p;
            pf += p * f;
            ff += f * f;
        }
        OvbElements { theta, n, sigma2, nu2, psi_psi: pp / n, psi_phi: pf / n, phi_phi: ff / n }
    }

    /// The elements of an outcome model g(t, x) = t mu1 + (1 - t) mu0 with the
    /// Riesz representer of the ATE built from a propensity `e` (already clipped):
    /// per row the score ψ = mu1 - mu0 + α (y - g), α = t/e - (1 - t)/(1 - e),
    /// the squared residual (y - g)² and 2 (1/e + 1/(1 - e)) - α², as DoubleML's
    /// IRM. Rows are the slices' common positions.
    pub fn from_outcome_model(y: &[f64], t: &[f64], mu0: &[f64], mu1: &[f64], e: &[f64]) -> OvbElements {
        let n = y.len();
        let (mut psi, mut sigma2, mut nu2) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            let g = t[i] * mu1[i] + (1.0 - t[i]) * mu0[i];
            let alpha = t[i] / e[i] - (1.0 - t[i]) / (1.0 - e[i]);
            psi.push(mu1[i] - mu0[i] + alpha * (y[i] - g));
            sigma2.push((y[i] - g).powi(2));
            nu2.push(2.0 * (1.0 / e[i] + 1.0 / (1.0 - e[i])) - alpha * alpha);
        }
        OvbElements::from_rows(&psi, &sigma2, &nu2)
    }

    /// The elements of the ATT of an outcome model g(t, x) = t mu1 + (1 - t) mu0
    /// with a propensity `e` (already clipped), as DoubleML's IRM with score
    /// `ATTE` (module doc): θ is the mean of the score ψ_b (DoubleML's J is -1),
    /// the influence function ψ_b - (t/p) θ. Rows are the slices' common positions.
    pub fn from_outcome_model_att(y: &[f64], t: &[f64], mu0: &[f64], mu1: &[f64], e: &[f64]) -> OvbElements {
        let n = y.len();
        let p = t.iter().sum::<f64>() / n as f64;
        let (mut psi_b, mut sigma2, mut nu2) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            let (w, w_bar) = (t[i] / p, e[i] / p);
            let (u0, u1) = (y[i] - mu0[i], y[i] - mu1[i]);
            psi_b.push(w * (mu1[i] - mu0[i]) + w_bar * (t[i] * u1 / e[i] - (1.0 - t[i]) * u0 / (1.0 - e[i])));
            sigma2.push((y[i] - t[i] * mu1[i] - (1.0 - t[i]) * mu0[i]).powi(2));
            let alpha = w_bar * (t[i] / e[i] - (1.0 - t[i]) / (1.0 - e[i]));
            let m_alpha = w * w_bar * (1.0 / e[i] + 1.0 / (1.0 - e[i]));
            nu2.push(2.0 * m_alpha - alpha * alpha);
        }
        let theta = psi_b.iter().sum::<f64>() / n as f64;
        let psi: Vec<f64> = psi_b.iter().zip(t).map(|(b, t)| b - t / p * theta).collect();
        OvbElements::from_influence(theta, &psi, &sigma2, &nu2)
    }

    /// The same elements with the bounds centred on `theta` (an estimator's own
    /// estimate in place of the debiased score's mean); the spreads stay.
    pub fn centred_at(self, theta: f64) -> OvbElements {
        OvbElements { theta, ..self }
    }
}

/// What a benchmark covariate group implies (DoubleML's `sensitivity_benchmark`,
/// from the long model and the short one refitted without the group).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Benchmark {
    pub cf_y: f64,
    pub cf_d: f64,
    pub rho: f64,
    /// θ_short - θ_long.
    pub delta_theta: f64,
}

/// The confounding strength that omitting the group stands for, `var_y` the
/// outcome's variance over the same rows (population form, numpy's `var`):
///   cf_y = (R²_long - R²_short) / (1 - R²_long), R² = 1 - σ² / var_y,
///   cf_d = (1 - R²_α) / R²_α, R²_α = ν²_short / ν²_long,
///   ρ = sign(Δθ) min(1, |Δθ| / √((σ²_short - σ²_long)(ν²_long - ν²_short))),
/// cf_y and cf_d clipped to [0, 1]; ρ is ±1 where a variance gap is not positive.
pub fn benchmark(long: &OvbElements, short: &OvbElements, var_y: f64) -> Benchmark {
    let (r2_long, r2_short) = (1.0 - long.sigma2 / var_y, 1.0 - short.sigma2 / var_y);
    let r2_riesz = short.nu2 / long.nu2;
    let cf_y = ((r2_long - r2_short) / (1.0 - r2_long)).clamp(0.0, 1.0);
    let cf_d = ((1.0 - r2_riesz) / r2_riesz).clamp(0.0, 1.0);
    let delta_theta = short.theta - long.theta;
    let (var_g, var_riesz) = (short.sigma2 - long.sigma2, long.nu2 - short.nu2);
    let ratio = if var_g > 0.0 && var_riesz > 0.0 { delta_theta.abs() / (var_g * var_riesz).sqrt() } else { 1.0 };
    let rho = delta_theta.signum() * ratio.clamp(0.0, 1.0);
    // numpy's sign(0) is 0.
    let rho = if delta_theta == 0.0 { 0.0 } else { rho };
    Benchmark { cf_y, cf_d, rho, delta_theta }
}

/// The bounds of θ under a confounder of strength (cf_y, cf_d, rho).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OvbBounds {
    pub lower: f64,
    pub upper: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
}

fn strength(cf_y: f64, cf_d: f64, rho: f64) -> f64 {
    rho.abs() * (cf_y * cf_d / (1.0 - cf_d)).sqrt()
}

/// DoubleML's bounds and their interval: each end one-sided at `level`
/// (DoubleML's `norm.ppf(level)`), so [ci_lower, ci_upper] covers the set of
/// bounds at `level`.
///
/// The standard error of θ - bias is that of its influence function ψ - c φ
/// (the delta method), and of θ + bias that of ψ + c φ. DoubleML pairs them the
/// other way round: its `scaled_psi` is ψ / J with J = -1 for the ATE score,
/// that is -ψ, and `psi_lower = scaled_psi - c psi_max_bias` is then -(ψ + c φ).
/// Here they are paired as the delta method says; the two differ by the sign of
/// the covariance term, small next to mean(ψ²) (tests/suite/robustness_ovb_doubleml.rs
/// pins both against DoubleML 0.11.4).
pub fn bounds(el: &OvbElements, cf_y: f64, cf_d: f64, rho: f64, level: f64) -> OvbBounds {
    let c = strength(cf_y, cf_d, rho);
    let bias = c * (el.sigma2 * el.nu2).sqrt();
    let z = normal_quantile(level);
    let var = |sign: f64| ((el.psi_psi + sign * 2.0 * c * el.psi_phi + c * c * el.phi_phi) / el.n).max(0.0);
    let (se_lower, se_upper) = (var(-1.0).sqrt(), var(1.0).sqrt());
    OvbBounds {
        lower: el.theta - bias,
        upper: el.theta + bias,
        ci_lower: el.theta - bias - z * se_lower,
        ci_upper: el.theta + bias + z * se_upper,
    }
}

/// (RV, RVa): the cf_y = cf_d at which the bound nearer 0, and then its
/// interval's limit, reaches 0 (0 where the interval already contains 0).
/// NaN (no value) where σ² or ν² is negative: the debiased ν² is, with a
/// propensity model poor enough (a DragonNet head near 1 on controls), and
/// then there are no bounds either (DoubleML refuses such elements).
pub fn robustness_values(el: &OvbElements, rho: f64, level: f64) -> (f64, f64) {
    if !(el.sigma2 >= 0.0 && el.nu2 >= 0.0) {
        return (f64::NAN, f64::NAN);
    }
    let s = (el.sigma2 * el.nu2).sqrt();
    // |rho| r / √(1 - r) s = |θ|  ⇔  r² + k r - k = 0, k = (θ / (rho s))².
    let k = (el.theta / (rho.abs() * s)).powi(2);
    let rv = if k.is_finite() { (-k + (k * k + 4.0 * k).sqrt()) / 2.0 } else { 1.0 };
    // The interval limit towards 0 as a function of r = cf_y = cf_d.
    let limit = |r: f64| {
        let b = bounds(el, r, r, rho, level);
        if el.theta >= 0.0 { b.ci_lower } else { -b.ci_upper }
    };
    let rva = if limit(0.0) <= 0.0 {
        0.0
    } else {
        // The limit falls as r grows; bisect on [0, 1).
        let (mut lo, mut hi) = (0.0, 1.0 - 1e-12);
        if limit(hi) > 0.0 {
            return (rv, 1.0);
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if limit(mid) > 0.0 { lo = mid } else { hi = mid }
        }
        0.5 * (lo + hi)
    };
    (rv, rva)
}

/// Φ⁻¹(p) via statrs.
fn normal_quantile(p: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::new(0.0, 1.0).map(|d| d.inverse_cdf(p)).unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elements() -> OvbElements {
        OvbElements { theta: 2.0, n: 1000.0, sigma2: 1.5, nu2: 4.0, psi_psi: 9.0, psi_phi: 0.5, phi_phi: 2.0 }
    }

    #[test]
    fn bias_is_strength_times_scale() {
        let el = elements();
        let b = bounds(&el, 0.04, 0.03, 1.0, 0.95);
        let bias = (0.04f64 * 0.03 / 0.97).sqrt() * (1.5f64 * 4.0).sqrt();
        assert!((b.upper - 2.0 - bias).abs() < 1e-12 && (2.0 - b.lower - bias).abs() < 1e-12);
        // No confounder: the bounds collapse to θ and the interval to θ ± z √(mean ψ² / n),
        // z the one-sided quantile (1.96 at level 0.975).
        let none = bounds(&el, 0.0, 0.0, 1.0, 0.975);
        assert_eq!((none.lower, none.upper), (2.0, 2.0));
        assert!((none.ci_upper - 2.0 - 1.959963984540054 * (9.0f64 / 1000.0).sqrt()).abs() < 1e-9);
        // rho scales the bias; rho = 0 removes it.
        assert_eq!(bounds(&el, 0.04, 0.03, 0.0, 0.95).upper, 2.0);
    }

    #[test]
    fn robustness_values_reach_zero() {
        let el = elements();
        let (rv, rva) = robustness_values(&el, 1.0, 0.95);
        assert!(bounds(&el, rv, rv, 1.0, 0.95).lower.abs() < 1e-9, "rv {rv}");
        assert!(bounds(&el, rva, rva, 1.0, 0.95).ci_lower.abs() < 1e-9, "rva {rva}");
        assert!(0.0 < rva && rva < rv && rv < 1.0);
        // A negative ν² has neither bounds nor robustness values.
        let (rv_bad, rva_bad) = robustness_values(&OvbElements { nu2: -1.0, ..el }, 1.0, 0.95);
        assert!(
            rv_bad.is_nan()
                && rva_bad.is_nan()
                && bounds(&OvbElements { nu2: -1.0, ..el }, 0.1, 0.1, 1.0, 0.95).lower.is_nan()
        );
        let negative = OvbElements { theta: -2.0, psi_phi: -0.5, ..el };
        let (rv_n, rva_n) = robustness_values(&negative, 1.0, 0.95);
        assert!((rv_n - rv).abs() < 1e-12 && (rva_n - rva).abs() < 1e-9);
    }

    /// Three covariate cells with their treated shares as propensities: the
    /// ATT's representer balances any f(t, x) exactly, mean(α f) =
    /// mean((t/p)(f(1, x) - f(0, x))), so that with a useless outcome model
    /// (0 everywhere) θ is still the true ATT of y = f(t, x); and ν² = mean(α²).
    #[test]
    fn the_att_representer_balances_and_its_nu2_is_its_second_moment() {
        let cells = [(0.0, 3, 9), (1.0, 5, 5), (2.0, 8, 2)]; // (x, treated, controls)
        let (mut x, mut t) = (Vec::new(), Vec::new());
        for &(xv, n1, n0) in &cells {
            for k in 0..n1 + n0 {
                x.push(xv);
                t.push(if k < n1 { 1.0 } else { 0.0 });
            }
        }
        let e: Vec<f64> = x
            .iter()
            .map(|&xv| {
                let &(_, n1, n0) = cells.iter().find(|c| c.0 == xv).unwrap();
                n1 as f64 / (n1 + n0) as f64
            })
            .collect();
        let f = |t: f64, x: f64| 1.0 + 2.0 * x + t * (3.0 + x * x);
        let y: Vec<f64> = x.iter().zip(&t).map(|(&x, &t)| f(t, x)).collect();
        let zero = vec![0.0; y.len()];
        let el = OvbElements::from_outcome_model_att(&y, &t, &zero, &zero, &e);
        let (n1, n) = (t.iter().sum::<f64>(), t.len() as f64);
        let true_att = x.iter().zip(&t).map(|(&x, &t)| t * (f(1.0, x) - f(0.0, x))).sum::<f64>() / n1;
        assert!((el.theta - true_att).abs() < 1e-12, "{} vs {true_att}", el.theta);
        let p = n1 / n;
        let alpha2 =
            t.iter().zip(&e).map(|(&t, &e)| (t / p - (1.0 - t) * e / (p * (1.0 - e))).powi(2)).sum::<f64>() / n;
        assert!((el.nu2 - alpha2).abs() < 1e-12 * alpha2, "{} vs {alpha2}", el.nu2);
        // A perfect outcome model leaves no residual; θ is the same ATT, and the
        // influence function has mean zero.
        let (mu0, mu1): (Vec<f64>, Vec<f64>) = x.iter().map(|&x| (f(0.0, x), f(1.0, x))).unzip();
        let perfect = OvbElements::from_outcome_model_att(&y, &t, &mu0, &mu1, &e);
        assert_eq!(perfect.sigma2, 0.0);
        assert!((perfect.theta - true_att).abs() < 1e-12);
        let pair = OvbPair { ate: elements(), att: el };
        assert_eq!((pair.of(Estimand::Ate), pair.of(Estimand::Att)), (elements(), el));
    }

    #[test]
    fn elements_from_rows() {
        let psi = [1.0, 3.0];
        let el = OvbElements::from_rows(&psi, &[1.0, 3.0], &[2.0, 6.0]);
        assert_eq!((el.theta, el.sigma2, el.nu2, el.psi_psi), (2.0, 2.0, 4.0, 1.0));
        // φ = (2 · (∓2) + 4 · (∓1)) / (2 √8) = ∓8 / (2 √8) = ∓√2.
        assert!((el.phi_phi - 2.0).abs() < 1e-12 && (el.psi_phi - 2f64.sqrt()).abs() < 1e-12);
    }
}
