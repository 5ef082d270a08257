//! Difference in means: the estimate that ignores confounding, and so the
//! baseline every other estimator has to beat.

use super::sample::{Arms, mean, normal_interval, variance};
use crate::data::Observed;
use crate::estimate::{Estimate, EstimateError, Estimator};
use crate::rng::RunRng;

/// mean(y | t = 1) - mean(y | t = 0) over the in-sample rows, reported as both the
/// ATE and the ATT (they coincide only under randomization), with Welch's
/// unequal-variance normal interval. No individual effects.
#[derive(Debug, Clone, Default)]
pub struct Naive;

impl Estimator for Naive {
    fn estimate(&self, data: &Observed<'_>, _rng: &mut RunRng) -> Result<Estimate, EstimateError> {
        let split = data.split();
        let arms = Arms::of("naive", data, split.in_sample())?;
        let y1: Vec<f64> = arms.treated.iter().map(|&i| data.outcome(i)).collect();
        let y0: Vec<f64> = arms.control.iter().map(|&i| data.outcome(i)).collect();
        let ate = mean(y1.iter().copied()) - mean(y0.iter().copied());
        let se = (variance(&y1) / y1.len() as f64 + variance(&y0) / y0.len() as f64).sqrt();
        Ok(Estimate {
            ite: None,
            ate,
            att: Some(ate),
            interval: Some(normal_interval(ate, se)),
            diagnostics: vec![
                ("se".into(), se),
                ("n_treated".into(), y1.len() as f64),
                ("n_control".into(), y0.len() as f64),
            ],
            ovb: None,
            potential: None,
        })
    }
}

/// The `naive` kind, for the estimator registry.
pub static NAIVE: crate::estimate::registry::Kind = crate::estimate::registry::Kind {
    name: "naive",
    summary: "Difference in means between the arms: ignores confounding, the baseline every adjustment must beat.",
    role: crate::estimate::registry::Role::None,
    version: 1,
    uses_libtorch: false,
    resolve: crate::estimate::registry::resolve_hyper::<crate::estimate::params::NoParams>,
    late_defaults: crate::estimate::registry::no_late_defaults,
    build: |kind, p| {
        crate::estimate::params::parse::<crate::estimate::params::NoParams>(kind, p)?;
        Ok(Box::new(Naive))
    },
};
