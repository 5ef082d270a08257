//! The omitted-variable-bias elements of a run (`robustness.ovb`) and the
//! benchmarks of cf_y, cf_d and ρ on observed covariate groups.
//!
//! The elements are those of the experiment's estimand (`robustness.estimand`):
//! the ATE's or the ATT's Riesz representer, the bounds centred on the
//! estimator's own estimate of it (`Estimate::effect`). `aipw` and DragonNet
//! bring the elements of both with their estimate; the other networks bring an
//! outcome model (mu0, mu1) and get the Riesz representers of
//! `estimate::classical::riesz`, whose folds come from the run's stream
//! `OVB_STREAM`. A benchmark (DoubleML's `sensitivity_benchmark`) refits the
//! estimator without the group's columns, on the same rows, from the same
//! estimator stream (DoubleML's short model keeps the long model's sample
//! splits; here `aipw` deals the same folds) and the same Riesz folds, and
//! compares the short model's elements with the long one's.

use super::pipeline::{ESTIMATOR_STREAM, stream};
use crate::data::{CausalData, Observed, Split, Truth};
use crate::estimate::classical::riesz::{cross_fitted_propensity, outcome_model_elements};
use crate::estimate::robust::ovb::{Benchmark, OvbElements, benchmark, bounds};
use crate::estimate::{Estimand, Estimate, Estimator};
use crate::spec::Ovb;

/// Above the refuter streams (`refute.rs`).
const OVB_STREAM: u64 = 1 << 48;

/// The run's OVB elements of `estimand`: the estimate's own, or those of its
/// outcome model with the cross-fitted Riesz representer, centred on the
/// estimate of `estimand`; None without an outcome model or such an estimate,
/// or where a fold's propensity cannot be fitted.
pub fn elements(data: &Observed<'_>, est: &Estimate, seed: u64, estimand: Estimand) -> Option<OvbElements> {
    let theta = est.effect(estimand, &treated_in_sample(data))?;
    // The ATE's elements come centred on `est.ate` already (`aipw`'s θ is the
    // mean of its score, its ATE); they are left as they are.
    let centre = |el: OvbElements| if estimand == Estimand::Ate { el } else { el.centred_at(theta) };
    if let Some(pair) = est.ovb {
        return Some(centre(pair.of(estimand)));
    }
    let (mu0, mu1) = est.potential.as_ref()?;
    let rows = data.split().in_sample();
    let e = cross_fitted_propensity(data, &rows, &mut stream(seed, OVB_STREAM))?;
    Some(centre(outcome_model_elements(data, &rows, (mu0, mu1), &e, est.ate).of(estimand)))
}

/// The in-sample treated rows of `data`, over which an ATT averages.
pub fn treated_in_sample(data: &Observed<'_>) -> Vec<usize> {
    data.split().in_sample().into_iter().filter(|&i| data.is_treated(i)).collect()
}

/// `data` without the columns named in `group`; None where it has none of them.
fn without(data: &CausalData, group: &[String]) -> Option<CausalData> {
    let keep: Vec<usize> =
        (0..data.covariate_names.len()).filter(|&j| !group.contains(&data.covariate_names[j])).collect();
    if keep.len() == data.covariate_names.len() {
        return None;
    }
    Some(CausalData {
        covariate_names: keep.iter().map(|&j| data.covariate_names[j].clone()).collect(),
        covariates: keep.iter().map(|&j| data.covariates[j].clone()).collect(),
        treatment: data.treatment.clone(),
        outcome: data.outcome.clone(),
        truth: Truth::None,
    })
}

/// The benchmark of one group: None where the run does not adjust for any of
/// its covariates, or the short refit fails or has no elements.
fn benchmark_of(
    group: &[String],
    estimator: &dyn Estimator,
    data: &CausalData,
    split: &Split,
    long: &OvbElements,
    seed: u64,
    estimand: Estimand,
) -> Option<Benchmark> {
    let short_data = without(data, group)?;
    let observed = short_data.observed(split);
    let est = estimator.estimate(&observed, &mut stream(seed, ESTIMATOR_STREAM)).ok()?;
    if !est.ate.is_finite() {
        return None;
    }
    let short = elements(&observed, &est, seed, estimand)?;
    let rows = split.in_sample();
    let n = rows.len() as f64;
    let mean = rows.iter().map(|&i| data.outcome[i]).sum::<f64>() / n;
    let var_y = rows.iter().map(|&i| (data.outcome[i] - mean).powi(2)).sum::<f64>() / n;
    Some(benchmark(long, &short, var_y))
}

/// The table columns of the benchmarks `groups` of a run: per group the
/// implied cf_y, cf_d, ρ and Δθ = θ_short - θ_long, and the bounds and their
/// interval at that strength.
#[allow(clippy::too_many_arguments)]
pub fn benchmark_values(
    ovb: &Ovb,
    groups: &[Vec<String>],
    estimator: &dyn Estimator,
    data: &CausalData,
    split: &Split,
    long: Option<&OvbElements>,
    seed: u64,
    estimand: Estimand,
) -> Vec<(String, Option<f64>)> {
    let mut out = Vec::new();
    for group in groups {
        let b = long.and_then(|long| benchmark_of(group, estimator, data, split, long, seed, estimand));
        let at = long.zip(b).map(|(el, b)| bounds(el, b.cf_y, b.cf_d, b.rho, ovb.level));
        let finite = |v: f64| Some(v).filter(|v| v.is_finite());
        let name = format!("ovb_bench[{}]", Ovb::group_name(group));
        out.extend([
            (format!("{name}_cf_y"), b.map(|b| b.cf_y)),
            (format!("{name}_cf_d"), b.map(|b| b.cf_d)),
            (format!("{name}_rho"), b.map(|b| b.rho)),
            (format!("{name}_delta_theta"), b.map(|b| b.delta_theta)),
            (format!("{name}_lower"), at.and_then(|a| finite(a.lower))),
            (format!("{name}_upper"), at.and_then(|a| finite(a.upper))),
            (format!("{name}_ci_lower"), at.and_then(|a| finite(a.ci_lower))),
            (format!("{name}_ci_upper"), at.and_then(|a| finite(a.ci_upper))),
        ]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_drops_its_columns_and_an_absent_group_is_none() {
        let d = CausalData {
            covariate_names: vec!["a".into(), "b".into(), "c".into()],
            covariates: vec![vec![1.0], vec![2.0], vec![3.0]],
            treatment: vec![1.0],
            outcome: vec![0.5],
            truth: Truth::None,
        };
        let short = without(&d, &["a".into(), "c".into()]).unwrap();
        assert_eq!(short.covariate_names, vec!["b".to_string()]);
        assert_eq!(short.covariates, vec![vec![2.0]]);
        assert_eq!(without(&d, &["z".into()]), None);
    }
}
