//! A wrapper the factory puts around every estimator so that a diverged fit (an
//! infinite coefficient, a NaN loss carried into the effects) becomes a failed run
//! with the reason, instead of a NaN that poisons the summary tables.

use super::{Estimate, EstimateError, Estimator, Networks};
use crate::data::Observed;
use crate::rng::RunRng;

/// Runs `inner` and rejects any non-finite number in what it returns.
pub struct FiniteGuard {
    pub kind: String,
    pub inner: Box<dyn Estimator>,
}

impl Estimator for FiniteGuard {
    fn estimate(&self, data: &Observed<'_>, rng: &mut RunRng) -> Result<Estimate, EstimateError> {
        checked(&self.kind, self.inner.estimate(data, rng)?)
    }

    fn pack_group(&self) -> Option<String> {
        self.inner.pack_group()
    }

    /// The inner estimator's networks, whose finished estimate is checked the
    /// way `estimate`'s is.
    fn networks(&self, data: &Observed<'_>, rng: &mut RunRng) -> Option<Result<Networks, EstimateError>> {
        let kind = self.kind.clone();
        Some(self.inner.networks(data, rng)?.map(|n| n.then(move |est| checked(&kind, est))))
    }
}

fn checked(kind: &str, est: Estimate) -> Result<Estimate, EstimateError> {
    match first_non_finite(&est) {
        Some(what) => Err(EstimateError::failed(kind, format!("the estimate diverged: {what} is not finite"))),
        None => Ok(est),
    }
}

/// The name of the first non-finite quantity in `est`, if any. Diagnostics are
/// exempt: a diagnostic such as a final loss may legitimately report the divergence.
fn first_non_finite(est: &Estimate) -> Option<String> {
    if !est.ate.is_finite() {
        return Some("the ATE".into());
    }
    if est.att.is_some_and(|v| !v.is_finite()) {
        return Some("the ATT".into());
    }
    if est.interval.is_some_and(|(lo, hi)| !(lo.is_finite() && hi.is_finite())) {
        return Some("the interval".into());
    }
    let ite = est.ite.as_deref().unwrap_or(&[]);
    ite.iter().position(|v| !v.is_finite()).map(|row| format!("the individual effect of row {row}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{CausalData, Split};
    use rand::SeedableRng;

    struct Fixed(Estimate);

    impl Estimator for Fixed {
        fn estimate(&self, _: &Observed<'_>, _: &mut RunRng) -> Result<Estimate, EstimateError> {
            Ok(self.0.clone())
        }
    }

    fn guarded(est: Estimate) -> Result<Estimate, EstimateError> {
        let data = CausalData {
            covariate_names: vec![],
            covariates: vec![],
            treatment: vec![],
            outcome: vec![],
            truth: crate::data::Truth::None,
        };
        let split = Split { train: vec![], validation: vec![], test: vec![] };
        let guard = FiniteGuard { kind: "fixed".into(), inner: Box::new(Fixed(est)) };
        guard.estimate(&data.observed(&split), &mut RunRng::seed_from_u64(0))
    }

    #[test]
    fn finite_estimates_pass_through() {
        let est = Estimate {
            ite: Some(vec![1.0]),
            ate: 1.0,
            diagnostics: vec![("loss".into(), f64::NAN)],
            ..Default::default()
        };
        assert_eq!(guarded(est.clone()).map(|e| e.ite), Ok(est.ite));
    }

    #[test]
    fn non_finite_numbers_fail_the_run() {
        let nan_ite = Estimate { ite: Some(vec![0.0, f64::NAN]), ..Default::default() };
        assert_eq!(
            guarded(nan_ite).unwrap_err().to_string(),
            "fixed: the estimate diverged: the individual effect of row 1 is not finite"
        );
        let inf_ate = Estimate { ate: f64::INFINITY, ..Default::default() };
        assert_eq!(guarded(inf_ate).unwrap_err().to_string(), "fixed: the estimate diverged: the ATE is not finite");
    }
}
