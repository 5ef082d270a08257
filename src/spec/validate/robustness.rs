//! Validation of `robustness:`: ranges of q, α, the multiples and the
//! hypothetical confounders' partial R², and that a sensitivity analysis has an
//! `ols` estimator to analyse.

use super::{Result, invalid};
use crate::spec::experiment::EstimatorDecl;
use crate::spec::load::Loaded;
use crate::spec::raw::RawRobustness;
use crate::spec::robustness::{Robustness, SENSITIVITY_KIND, Sensitivity};

pub(super) fn check_robustness(
    loaded: &Loaded,
    raw: Option<&RawRobustness>,
    estimators: &[EstimatorDecl],
) -> Result<Robustness> {
    let Some(raw) = raw else { return Ok(Robustness::default()) };
    let sensitivity = match &raw.sensitivity {
        None => None,
        Some(s) => {
            let path = "robustness.sensitivity";
            if !estimators.iter().any(|d| d.kind == SENSITIVITY_KIND) {
                return Err(invalid(loaded, path, "the sensitivity analysis describes `ols` estimates, and no estimator is `ols`")
                    .with_help("add `- ols` to `estimators:`, or remove `robustness.sensitivity`"));
            }
            let q = s.q.unwrap_or(1.0);
            if !(q > 0.0 && q.is_finite()) {
                return Err(invalid(loaded, &format!("{path}.q"), format!("q must be a positive share of the estimate, found {q}"))
                    .with_help("q = 1 asks what would remove the whole estimate, 0.5 half of it"));
            }
            let alpha = s.alpha.unwrap_or(0.05);
            if !(alpha > 0.0 && alpha < 1.0) {
                return Err(invalid(loaded, &format!("{path}.alpha"), format!("alpha must lie strictly between 0 and 1, found {alpha}")));
            }
            let kd = s.kd.clone().unwrap_or_else(|| vec![1.0]);
            for (i, k) in kd.iter().enumerate() {
                if !(*k > 0.0 && k.is_finite()) {
                    return Err(invalid(loaded, &format!("{path}.kd[{i}]"), format!("a multiple must be positive, found {k}")));
                }
            }
            let ky = match &s.ky {
                None => kd.clone(),
                Some(ky) if ky.len() == kd.len() => ky.clone(),
                Some(ky) => {
                    return Err(invalid(loaded, &format!("{path}.ky"), format!("ky lists {} multiples and kd {}", ky.len(), kd.len()))
                        .with_help("give one ky per kd, or leave ky out to use kd for both"));
                }
            };
            for (i, k) in ky.iter().enumerate() {
                if !(*k > 0.0 && k.is_finite()) {
                    return Err(invalid(loaded, &format!("{path}.ky[{i}]"), format!("a multiple must be positive, found {k}")));
                }
            }
            let mut confounders = Vec::new();
            for (i, c) in s.confounders.iter().enumerate() {
                for (name, v) in [("r2dz_x", c.r2dz_x), ("r2yz_dx", c.r2yz_dx)] {
                    if !(0.0..1.0).contains(&v) {
                        return Err(invalid(
                            loaded,
                            &format!("{path}.confounders[{i}].{name}"),
                            format!("a partial R² must lie in [0, 1), found {v}"),
                        ));
                    }
                }
                confounders.push((c.r2dz_x, c.r2yz_dx));
            }
            Some(Sensitivity {
                q,
                alpha,
                benchmarks: s.benchmarks.clone(),
                multiples: kd.into_iter().zip(ky).collect(),
                confounders,
            })
        }
    };
    Ok(Robustness { evalue: raw.evalue, sensitivity })
}
