//! The Riesz representers of the ATE and the ATT for estimators whose outcome
//! model comes without one (the networks), so that their estimates get the
//! omitted-variable-bias bounds of `robust::ovb` as `aipw`'s do.
//!
//! The representer of the ATE is α(t, x) = t/m(x) - (1 - t)/(1 - m(x)), m the
//! propensity, and that of the ATT α(t, x) = t/p - (1 - t) m(x) / (p (1 - m(x))),
//! p the share of treated rows; rather than learn α directly (Chernozhukov et
//! al.'s RieszNet), m is the logistic propensity model of `aipw`, cross-fitted
//! over K folds of the in-sample rows dealt from the run's own stream, so that
//! no row's α saw its own treatment. It is clipped to [0.01, 0.99] for the ATE
//! (DoubleML's default trimming) and to at most 0.99 for the ATT, whose weights
//! stay bounded as m -> 0 (`overlap`; DoubleML clips both ends for either score,
//! which on LaLonde's CPS controls, m down to 4e-6, would inflate ν² with
//! weights the ATT does not have). DragonNet brings its own propensity head and
//! uses that instead.
//! The outcome model g is the estimator's mu0/mu1: unlike DoubleML's, it is
//! fitted on the training rows, not cross-fitted (docs/experiment-format.md).

use super::aipw::deal_folds;
use super::overlap::{self, Estimand};
use super::sample::propensity;
use crate::data::Observed;
use crate::estimate::robust::ovb::{OvbElements, OvbPair};
use crate::rng::RunRng;

/// Folds of the cross-fitted propensity.
pub const RIESZ_FOLDS: usize = 5;
/// Propensities are clipped to [RIESZ_CLIP, 1 - RIESZ_CLIP].
pub const RIESZ_CLIP: f64 = 0.01;

/// The logistic propensity of each of `rows` (in their order), fitted on the
/// other folds; None where a fold's fit fails (an arm empty in its training folds).
pub fn cross_fitted_propensity(data: &Observed<'_>, rows: &[usize], rng: &mut RunRng) -> Option<Vec<f64>> {
    if rows.len() < RIESZ_FOLDS {
        return None;
    }
    let folds = deal_folds(rows, RIESZ_FOLDS, rng);
    let mut e = vec![f64::NAN; data.n_rows()];
    for (f, held_out) in folds.iter().enumerate() {
        let training: Vec<usize> =
            folds.iter().enumerate().filter(|(g, _)| *g != f).flat_map(|(_, r)| r.iter().copied()).collect();
        let treated = training.iter().filter(|&&i| data.is_treated(i)).count();
        if treated == 0 || treated == training.len() {
            return None;
        }
        let fitted = propensity(data, &training, held_out).ok()?;
        for (&i, &s) in held_out.iter().zip(&fitted.scores) {
            e[i] = s;
        }
    }
    Some(rows.iter().map(|&i| e[i]).collect())
}

/// The OVB elements of the outcome model (`mu0`, `mu1`: every row of `data`)
/// over `rows`, with `e` their propensities (unclipped, in the order of
/// `rows`): the ATE's centred on the estimator's own estimate `theta`, the
/// ATT's on its score's mean (`run::ovb` centres it on the estimator's ATT).
pub fn outcome_model_elements(
    data: &Observed<'_>,
    rows: &[usize],
    (mu0, mu1): (&[f64], &[f64]),
    e: &[f64],
    theta: f64,
) -> OvbPair {
    let y: Vec<f64> = rows.iter().map(|&i| data.outcome(i)).collect();
    let t: Vec<f64> = rows.iter().map(|&i| data.treatment[i]).collect();
    outcome_model_elements_of(&y, &t, rows, (mu0, mu1), e, theta)
}

/// [`outcome_model_elements`] from the rows' own outcomes `y` and treatments
/// `t` (in the order of `rows`), for an estimate finished after the data it
/// was fitted on is gone (a packed network's).
pub fn outcome_model_elements_of(
    y: &[f64],
    t: &[f64],
    rows: &[usize],
    (mu0, mu1): (&[f64], &[f64]),
    e: &[f64],
    theta: f64,
) -> OvbPair {
    let treated: Vec<bool> = t.iter().map(|&t| t > 0.5).collect();
    let (e_ate, _) = overlap::clip(e, &treated, RIESZ_CLIP, Estimand::Ate);
    let (e_att, _) = overlap::clip(e, &treated, RIESZ_CLIP, Estimand::Att);
    let pick = |v: &[f64]| -> Vec<f64> { rows.iter().map(|&i| v[i]).collect() };
    let (mu0, mu1) = (pick(mu0), pick(mu1));
    OvbPair {
        ate: OvbElements::from_outcome_model(y, t, &mu0, &mu1, &e_ate).centred_at(theta),
        att: OvbElements::from_outcome_model_att(y, t, &mu0, &mu1, &e_att),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{CausalData, Split, Truth};
    use rand::{Rng, SeedableRng};

    /// 400 rows, x ~ U(-2, 2), t ~ Bernoulli(sigmoid(x)), y = 2 t + x.
    fn data() -> (CausalData, Split) {
        let mut rng = RunRng::seed_from_u64(3);
        let x: Vec<f64> = (0..400).map(|_| rng.random_range(-2.0..2.0)).collect();
        let t: Vec<f64> = x.iter().map(|&x| f64::from(rng.random_bool(1.0 / (1.0 + (-x).exp())))).collect();
        let y: Vec<f64> = x.iter().zip(&t).map(|(x, t)| 2.0 * t + x).collect();
        let d = CausalData {
            covariate_names: vec!["x".into()],
            covariates: vec![x],
            treatment: t,
            outcome: y,
            truth: Truth::None,
        };
        (d, Split { train: (0..300).collect(), validation: (300..400).collect(), test: vec![] })
    }

    #[test]
    fn propensity_is_cross_fitted_and_seeded() {
        let (d, split) = data();
        let obs = d.observed(&split);
        let rows = split.in_sample();
        let e = cross_fitted_propensity(&obs, &rows, &mut RunRng::seed_from_u64(1)).unwrap();
        assert_eq!(e, cross_fitted_propensity(&obs, &rows, &mut RunRng::seed_from_u64(1)).unwrap());
        assert_ne!(e, cross_fitted_propensity(&obs, &rows, &mut RunRng::seed_from_u64(2)).unwrap());
        // Rising in x, as the design's sigmoid(x), and a probability.
        let x = &d.covariates[0];
        let (lo, hi) =
            (rows.iter().position(|&i| x[i] < -1.5).unwrap(), rows.iter().position(|&i| x[i] > 1.5).unwrap());
        assert!(e[lo] < 0.3 && e[hi] > 0.7, "{} {}", e[lo], e[hi]);
        assert!(e.iter().all(|&p| p > 0.0 && p < 1.0));
        // A fold's training rows with one arm only: no propensity.
        let one_arm = CausalData { treatment: vec![1.0; 400], ..d.clone() };
        assert_eq!(cross_fitted_propensity(&one_arm.observed(&split), &rows, &mut RunRng::seed_from_u64(1)), None);
    }

    #[test]
    fn a_perfect_outcome_model_has_no_residual_and_is_centred_on_theta() {
        let (d, split) = data();
        let obs = d.observed(&split);
        let rows = split.in_sample();
        let mu0 = d.covariates[0].clone();
        let mu1: Vec<f64> = mu0.iter().map(|x| x + 2.0).collect();
        let e = vec![0.5; rows.len()];
        let el = outcome_model_elements(&obs, &rows, (&mu0, &mu1), &e, 1.9).ate;
        assert_eq!(el.theta, 1.9);
        assert_eq!(el.sigma2, 0.0);
        // e = 1/2: α = ±2, 2 (2 + 2) - 4 = 4 on every row; ψ = 2 on every row.
        assert!((el.nu2 - 4.0).abs() < 1e-12 && el.psi_psi.abs() < 1e-20);
        // Clipping: a propensity of 0 acts as 0.01 (an imperfect model, so
        // that σ² > 0; ν² may then be negative, DoubleML's debiased form).
        let off: Vec<f64> = mu1.iter().map(|m| m - 0.5).collect();
        let mut e0 = e.clone();
        e0[0] = 0.0;
        let clipped = outcome_model_elements(&obs, &rows, (&mu0, &off), &e0, 1.9).ate;
        let mut e1 = e;
        e1[0] = RIESZ_CLIP;
        let at_clip = outcome_model_elements(&obs, &rows, (&mu0, &off), &e1, 1.9).ate;
        assert!(clipped.sigma2 > 0.0 && clipped.nu2.is_finite() && clipped.psi_psi.is_finite());
        assert_eq!((clipped.sigma2, clipped.nu2, clipped.psi_psi), (at_clip.sigma2, at_clip.nu2, at_clip.psi_psi));
    }
}
