//! The plug-in front-door estimator, for effects that no backdoor set identifies
//! because the treatment and the outcome share a latent cause, but a set of
//! mediators M intercepts every directed path from T to Y, is not confounded with
//! T, and has its confounding with Y blocked by T (Pearl 2009, Causality, 2nd ed.,
//! section 3.3.2).
//!
//! The covariates it receives are the mediators (the runner hands it the graph's
//! front-door set). Pearl's eq. 3.29,
//!   E[Y | do(t)] = sum_m P(m | t) sum_t' P(t') E[Y | m, t'],
//! is estimated with an OLS outcome model g(m, t') = E[Y | M = m, T = t'] on
//! [1, t, M, t * M] and the empirical distributions of T and of M within each arm:
//!   E[Y | do(t)] = mean over in-sample rows i with T_i = t of sum_t' p(t') g(M_i, t').
//! The effect on the treated uses Shpitser and Pearl's front-door ETT,
//!   E[Y_t | T = 1] = sum_m P(m | t) E[Y | m, T = 1],
//! so ATT = mean over treated of g(M_i, 1) - mean over controls of g(M_i, 1).
//! Nothing about M given T is modelled, so the estimate is exact whenever g is
//! right; with discrete mediators coded as indicators the design is saturated
//! and the estimate equals the nonparametric front-door formula.
//!
//! The front-door identifies population effects only, so there are no individual
//! effects. The interval is a percentile bootstrap over in-sample rows (Efron and
//! Tibshirani 1993, ch. 13), resampled with the run's RNG.

use nalgebra::DVector;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::linalg::{FitError, least_squares};
use super::ols::treatment_design;
use super::sample::{Arms, mean, variance};
use crate::data::Observed;
use crate::estimate::params::Hyper;
use crate::estimate::{Estimate, EstimateError, Estimator};
use crate::rng::RunRng;

const KIND: &str = "frontdoor";

/// Fewer bootstrap replicates than this put the 2.5% and 97.5% percentiles at
/// the extremes of the sample, which is no interval at all.
const MIN_BOOTSTRAP: usize = 20;

/// Hyperparameters of `frontdoor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FrontDoorParams {
    /// Bootstrap replicates for the 95% percentile interval of the ATE; 0 disables
    /// the interval, otherwise at least 20. Default 200.
    pub bootstrap: usize,
}

impl Default for FrontDoorParams {
    fn default() -> Self {
        FrontDoorParams { bootstrap: 200 }
    }
}

impl Hyper for FrontDoorParams {
    fn validate(&self) -> Result<(), String> {
        if self.bootstrap == 0 || self.bootstrap >= MIN_BOOTSTRAP {
            Ok(())
        } else {
            Err(format!("`bootstrap` must be 0 (no interval) or at least {MIN_BOOTSTRAP}, got {}", self.bootstrap))
        }
    }
}

/// The plug-in front-door estimator of the ATE and the ATT.
#[derive(Debug, Clone, Default)]
pub struct FrontDoor {
    pub params: FrontDoorParams,
}

/// Point estimates on one sample of rows.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Effects {
    /// E[Y | do(1)] and E[Y | do(0)].
    do1: f64,
    do0: f64,
    att: f64,
}

impl Effects {
    fn ate(&self) -> f64 {
        self.do1 - self.do0
    }
}

impl Estimator for FrontDoor {
    fn estimate(&self, data: &Observed<'_>, rng: &mut RunRng) -> Result<Estimate, EstimateError> {
        let split = data.split();
        if data.n_covariates() == 0 {
            return Err(EstimateError::failed(
                KIND,
                "no mediators: the front-door estimator needs the front-door set as its covariates \
                 (declare the graph so that the runner can find one)",
            ));
        }
        let arms = Arms::of(KIND, data, split.in_sample())?;
        let point = effects(data, &arms).map_err(|e| EstimateError::failed(KIND, format!("outcome model: {e}")))?;
        let mut diagnostics = vec![("y_do1".into(), point.do1), ("y_do0".into(), point.do0)];
        let mut interval = None;
        if self.params.bootstrap > 0 {
            let boot = bootstrap(data, &arms.rows, self.params.bootstrap, rng);
            interval = boot.interval();
            diagnostics.push(("se".into(), boot.standard_error()));
            diagnostics.push(("bootstrap_failed".into(), boot.failed as f64));
        }
        Ok(Estimate {
            ite: None,
            ate: point.ate(),
            att: Some(point.att),
            interval,
            diagnostics,
            ovb: None,
            potential: None,
        })
    }
}

/// The front-door plug-in on the rows of `arms` (a bootstrap sample may repeat rows).
fn effects(data: &Observed<'_>, arms: &Arms) -> Result<Effects, FitError> {
    let g = OutcomeModel::fit(data, &arms.rows)?;
    let p1 = arms.treated.len() as f64 / arms.rows.len() as f64;
    let averaged = |i: usize| (1.0 - p1) * g.predict(data, i, 0.0) + p1 * g.predict(data, i, 1.0);
    let do1 = mean(arms.treated.iter().map(|&i| averaged(i)));
    let do0 = mean(arms.control.iter().map(|&i| averaged(i)));
    let att = mean(arms.treated.iter().map(|&i| g.predict(data, i, 1.0)))
        - mean(arms.control.iter().map(|&i| g.predict(data, i, 1.0)));
    Ok(Effects { do1, do0, att })
}

/// g(m, t) = a + b t + c . (m - centre) + d . t (m - centre), by OLS. Centring the
/// mediators on their sample mean changes no fitted value; it keeps the
/// intercept and treatment columns from being nearly collinear with the
/// interactions when the mediators sit far from zero.
struct OutcomeModel {
    coef: DVector<f64>,
    centre: Vec<f64>,
}

impl OutcomeModel {
    fn fit(data: &Observed<'_>, rows: &[usize]) -> Result<OutcomeModel, FitError> {
        let centre: Vec<f64> = data.covariates.iter().map(|col| mean(rows.iter().map(|&i| col[i]))).collect();
        let x = treatment_design(data, rows, &centre, true);
        let y = DVector::from_iterator(rows.len(), rows.iter().map(|&i| data.outcome(i)));
        let coef = least_squares(&x, &y, &column_names(data))?.coef;
        Ok(OutcomeModel { coef, centre })
    }

    /// g(M_i, t) for row i's mediators and treatment value `t`.
    fn predict(&self, data: &Observed<'_>, i: usize, t: f64) -> f64 {
        let p = data.n_covariates();
        let slopes: f64 = (0..p)
            .map(|j| (self.coef[2 + j] + t * self.coef[2 + p + j]) * (data.covariates[j][i] - self.centre[j]))
            .sum();
        self.coef[0] + t * self.coef[1] + slopes
    }
}

fn column_names(data: &Observed<'_>) -> Vec<String> {
    let mut names = vec!["intercept".to_string(), "treatment".to_string()];
    names.extend(data.covariate_names.iter().cloned());
    names.extend(data.covariate_names.iter().map(|n| format!("treatment:{n}")));
    names
}

/// The ATEs of the bootstrap replicates that could be fitted, and how many could not.
struct Bootstrap {
    ates: Vec<f64>,
    failed: usize,
}

/// Resample `rows` with replacement `replicates` times and re-estimate. A
/// replicate that draws an empty arm or a singular design is skipped and counted:
/// dropping it conditions the bootstrap on estimability, which the point
/// estimate is conditioned on too.
fn bootstrap(data: &Observed<'_>, rows: &[usize], replicates: usize, rng: &mut RunRng) -> Bootstrap {
    let mut boot = Bootstrap { ates: Vec::with_capacity(replicates), failed: 0 };
    for _ in 0..replicates {
        let sample: Vec<usize> = (0..rows.len()).map(|_| rows[rng.random_range(0..rows.len())]).collect();
        let estimate = Arms::of(KIND, data, sample).ok().and_then(|arms| effects(data, &arms).ok());
        match estimate {
            Some(e) => boot.ates.push(e.ate()),
            None => boot.failed += 1,
        }
    }
    boot
}

impl Bootstrap {
    /// The 2.5% and 97.5% percentiles; none unless at least 20 replicates and
    /// more than half of them succeeded (otherwise the successes no longer
    /// describe the sampling distribution).
    fn interval(&self) -> Option<(f64, f64)> {
        if self.ates.len() < MIN_BOOTSTRAP.max(self.failed + 1) {
            return None;
        }
        let mut sorted = self.ates.clone();
        sorted.sort_by(f64::total_cmp);
        Some((quantile(&sorted, 0.025), quantile(&sorted, 0.975)))
    }

    fn standard_error(&self) -> f64 {
        variance(&self.ates).sqrt()
    }
}

/// Quantile `q` of ascending `sorted` (non-empty) by linear interpolation between
/// order statistics (Hyndman and Fan 1996, definition 7).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = q * (sorted.len() - 1) as f64;
    let (lo, frac) = (h.floor() as usize, h - h.floor());
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + frac * (sorted[hi] - sorted[lo])
}

/// The `frontdoor` kind, for the estimator registry.
pub static FRONTDOOR: crate::estimate::registry::Kind = crate::estimate::registry::Kind {
    name: "frontdoor",
    summary: "The plug-in front-door estimator through the graph's mediators (Pearl 2009, section 3.3.2), bootstrap interval.",
    role: crate::estimate::registry::Role::FrontDoor,
    version: 1,
    uses_libtorch: false,
    resolve: crate::estimate::registry::resolve_hyper::<FrontDoorParams>,
    late_defaults: crate::estimate::registry::no_late_defaults,
    build: |kind, p| Ok(Box::new(FrontDoor { params: crate::estimate::params::parse(kind, p)? })),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{CausalData, Split, Truth};
    use rand::SeedableRng;

    #[test]
    fn quantile_interpolates_between_order_statistics() {
        let v = [1.0, 2.0, 4.0, 8.0, 16.0];
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 16.0);
        assert_eq!(quantile(&v, 0.5), 4.0);
        assert_eq!(quantile(&v, 0.625), 6.0);
        assert_eq!(quantile(&[3.0], 0.975), 3.0);
    }

    /// A binary mediator and four cells (t, m) with y equal to the cell value, so
    /// g is exact and the formula can be done by hand:
    /// controls: m = 0, 0, 1 (y 1, 1, 3); treated: m = 0, 1, 1, 1 (y 2, 6, 6, 6).
    /// p(t=1) = 4/7; P(m=1 | t=0) = 1/3, P(m=1 | t=1) = 3/4;
    /// sum_t' p(t') E[y | m, t'] = 3/7 * 1 + 4/7 * 2 = 11/7 at m = 0, 3/7 * 3 + 4/7 * 6 = 33/7 at m = 1;
    /// do(1) = 1/4 * 11/7 + 3/4 * 33/7 = 110/28, do(0) = 2/3 * 11/7 + 1/3 * 33/7 = 55/21;
    /// ATT = (1/4 * 2 + 3/4 * 6) - (2/3 * 2 + 1/3 * 6) = 5 - 10/3 = 5/3.
    #[test]
    fn hand_computed_front_door_formula() {
        let data = CausalData {
            covariate_names: vec!["m".into()],
            covariates: vec![vec![0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0]],
            treatment: vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0],
            outcome: vec![1.0, 1.0, 3.0, 2.0, 6.0, 6.0, 6.0],
            truth: Truth::None,
        };
        let split = Split { train: (0..7).collect(), validation: vec![], test: vec![] };
        let fd = FrontDoor { params: FrontDoorParams { bootstrap: 0 } };
        let est = fd.estimate(&data.observed(&split), &mut RunRng::seed_from_u64(0)).unwrap();
        assert!((est.ate - (110.0 / 28.0 - 55.0 / 21.0)).abs() < 1e-12, "ate {}", est.ate);
        assert!((est.att.unwrap() - 5.0 / 3.0).abs() < 1e-12, "att {:?}", est.att);
        assert_eq!(est.interval, None);
        assert_eq!(est.ite, None);
    }

    #[test]
    fn bootstrap_size_is_validated() {
        assert!(FrontDoorParams { bootstrap: 0 }.validate().is_ok());
        assert!(FrontDoorParams { bootstrap: 20 }.validate().is_ok());
        assert!(FrontDoorParams { bootstrap: 19 }.validate().is_err());
    }

    #[test]
    fn mostly_failed_bootstraps_give_no_interval() {
        let ok = Bootstrap { ates: (0..40).map(f64::from).collect(), failed: 39 };
        assert!(ok.interval().is_some());
        let bad = Bootstrap { ates: (0..40).map(f64::from).collect(), failed: 40 };
        assert_eq!(bad.interval(), None);
    }
}
