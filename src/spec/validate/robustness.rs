//! Validation of `robustness:`: the estimand (declared, or decided from the
//! metrics), ranges of q, α, the multiples and the
//! hypothetical confounders' partial R², that a sensitivity analysis has an
//! `ols` estimator to analyse, the refuters' names and settings, the OVB
//! benchmark groups, and that `refit` names entries of `estimators:`.

use super::{Result, invalid};
use crate::estimate::Metric;
use crate::spec::experiment::EstimatorDecl;
use crate::spec::load::Loaded;
use crate::spec::raw::{RawGroup, RawOvb, RawRefuters, RawRobustness};
use crate::spec::robustness::{
    Estimand, OVB_KINDS, Ovb, Refuter, Refuters, Robustness, SENSITIVITY_KIND, Sensitivity, default_estimand,
};

pub(super) fn check_robustness(
    loaded: &Loaded,
    raw: Option<&RawRobustness>,
    estimators: &[EstimatorDecl],
    metrics: &[Metric],
) -> Result<Robustness> {
    let Some(raw) = raw else {
        return Ok(Robustness { estimand: default_estimand(metrics), ..Robustness::default() });
    };
    let estimand = match &raw.estimand {
        None => default_estimand(metrics),
        Some(name) => Estimand::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Estimand::ALL.iter().map(|e| e.name()).collect();
            invalid(loaded, "robustness.estimand", format!("unknown estimand `{name}`")).with_help(
                crate::suggest::did_you_mean(name, known.iter().copied()).map_or_else(
                    || format!("estimands: {} (the effect over every row, or over the treated rows)", known.join(", ")),
                    |s| crate::suggest::help(&s),
                ),
            )
        })?,
    };
    let sensitivity = match &raw.sensitivity {
        None => None,
        Some(s) => {
            let path = "robustness.sensitivity";
            if !estimators.iter().any(|d| d.kind == SENSITIVITY_KIND) {
                return Err(invalid(
                    loaded,
                    path,
                    "the sensitivity analysis describes `ols` estimates, and no estimator is `ols`",
                )
                .with_help("add `- ols` to `estimators:`, or remove `robustness.sensitivity`"));
            }
            let q = s.q.unwrap_or(1.0);
            if !(q > 0.0 && q.is_finite()) {
                return Err(invalid(
                    loaded,
                    &format!("{path}.q"),
                    format!("q must be a positive share of the estimate, found {q}"),
                )
                .with_help("q = 1 asks what would remove the whole estimate, 0.5 half of it"));
            }
            let alpha = s.alpha.unwrap_or(0.05);
            if !(alpha > 0.0 && alpha < 1.0) {
                return Err(invalid(
                    loaded,
                    &format!("{path}.alpha"),
                    format!("alpha must lie strictly between 0 and 1, found {alpha}"),
                ));
            }
            let kd = s.kd.clone().unwrap_or_else(|| vec![1.0]);
            for (i, k) in kd.iter().enumerate() {
                if !(*k > 0.0 && k.is_finite()) {
                    return Err(invalid(
                        loaded,
                        &format!("{path}.kd[{i}]"),
                        format!("a multiple must be positive, found {k}"),
                    ));
                }
            }
            let ky = match &s.ky {
                None => kd.clone(),
                Some(ky) if ky.len() == kd.len() => ky.clone(),
                Some(ky) => {
                    return Err(invalid(
                        loaded,
                        &format!("{path}.ky"),
                        format!("ky lists {} multiples and kd {}", ky.len(), kd.len()),
                    )
                    .with_help("give one ky per kd, or leave ky out to use kd for both"));
                }
            };
            for (i, k) in ky.iter().enumerate() {
                if !(*k > 0.0 && k.is_finite()) {
                    return Err(invalid(
                        loaded,
                        &format!("{path}.ky[{i}]"),
                        format!("a multiple must be positive, found {k}"),
                    ));
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
    let refuters = raw.refuters.as_ref().map(|r| check_refuters(loaded, r)).transpose()?;
    let ovb = raw.ovb.as_ref().map(|o| check_ovb(loaded, o, estimators)).transpose()?;
    let refit = raw.refit.as_ref().map(|labels| check_refit(loaded, labels, estimators)).transpose()?;
    Ok(Robustness { estimand, evalue: raw.evalue, sensitivity, refuters, ovb, refit })
}

fn check_refit(loaded: &Loaded, labels: &[String], estimators: &[EstimatorDecl]) -> Result<Vec<String>> {
    for (i, label) in labels.iter().enumerate() {
        let path = format!("robustness.refit[{i}]");
        if !estimators.iter().any(|d| &d.label == label) {
            let known = estimators.iter().map(|d| d.label.as_str());
            return Err(invalid(loaded, &path, format!("no estimator entry is labelled `{label}`")).with_help(
                crate::suggest::did_you_mean(label, known.clone()).map_or_else(
                    || format!("entries: {}", known.collect::<Vec<_>>().join(", ")),
                    |s| crate::suggest::help(&s),
                ),
            ));
        }
        if labels[..i].contains(label) {
            return Err(invalid(loaded, &path, format!("`{label}` is listed twice")));
        }
    }
    Ok(labels.to_vec())
}

fn check_ovb(loaded: &Loaded, raw: &RawOvb, estimators: &[EstimatorDecl]) -> Result<Ovb> {
    let path = "robustness.ovb";
    if !estimators.iter().any(|d| OVB_KINDS.contains(&d.kind.as_str())) {
        return Err(invalid(
            loaded,
            path,
            "the OVB bounds describe estimates with an outcome model, and no estimator has one",
        )
        .with_help(format!("add one of {} to `estimators:`, or remove `robustness.ovb`", OVB_KINDS.join(", "))));
    }
    let rho = raw.rho.unwrap_or(1.0);
    if !(-1.0..=1.0).contains(&rho) {
        return Err(invalid(loaded, &format!("{path}.rho"), format!("rho is a correlation in [-1, 1], found {rho}")));
    }
    let level = raw.level.unwrap_or(0.95);
    if !(level > 0.0 && level < 1.0) {
        return Err(invalid(
            loaded,
            &format!("{path}.level"),
            format!("level must lie strictly between 0 and 1, found {level}"),
        ));
    }
    let mut confounders = Vec::new();
    for (i, c) in raw.confounders.iter().enumerate() {
        for (name, v) in [("cf_y", c.cf_y), ("cf_d", c.cf_d)] {
            if !(0.0..1.0).contains(&v) {
                return Err(invalid(
                    loaded,
                    &format!("{path}.confounders[{i}].{name}"),
                    format!("{name} must lie in [0, 1), found {v}"),
                ));
            }
        }
        confounders.push((c.cf_y, c.cf_d));
    }
    let mut benchmarks: Vec<Vec<String>> = Vec::new();
    for (i, g) in raw.benchmarks.iter().enumerate() {
        let group = match g {
            RawGroup::One(name) => vec![name.clone()],
            RawGroup::Many(names) => names.clone(),
        };
        let at = format!("{path}.benchmarks[{i}]");
        if group.is_empty() || group.iter().any(|n| n.is_empty()) {
            return Err(invalid(loaded, &at, "a benchmark group names at least one covariate, and no empty name"));
        }
        if benchmarks.contains(&group) {
            return Err(invalid(loaded, &at, format!("the group `{}` is listed twice", Ovb::group_name(&group))));
        }
        benchmarks.push(group);
    }
    Ok(Ovb { rho, level, confounders, benchmarks })
}

/// The most refits a refuter may ask for.
const MAX_SIMULATIONS: i64 = 100_000;

fn check_refuters(loaded: &Loaded, raw: &RawRefuters) -> Result<Refuters> {
    let path = "robustness.refuters";
    let simulations = raw.simulations.unwrap_or(100);
    if !(2..=MAX_SIMULATIONS).contains(&simulations) {
        return Err(invalid(
            loaded,
            &format!("{path}.simulations"),
            format!("simulations must be a whole number from 2 to {MAX_SIMULATIONS}, found {simulations}"),
        )
        .with_help("DoWhy's default is 100 (from 100 on, the p-value is a percentile test)"));
    }
    let tests = match &raw.tests {
        None => Refuter::ALL.to_vec(),
        Some(names) => {
            let mut chosen = Vec::new();
            for (i, name) in names.iter().enumerate() {
                let Some(r) = Refuter::from_name(name) else {
                    let known: Vec<&str> = Refuter::ALL.iter().map(|r| r.name()).collect();
                    return Err(invalid(loaded, &format!("{path}.tests[{i}]"), format!("unknown refuter `{name}`"))
                        .with_help(
                            crate::suggest::did_you_mean(name, known.iter().copied()).map_or_else(
                                || format!("refuters: {}", known.join(", ")),
                                |s| crate::suggest::help(&s),
                            ),
                        ));
                };
                if chosen.contains(&r) {
                    return Err(invalid(
                        loaded,
                        &format!("{path}.tests[{i}]"),
                        format!("refuter `{name}` is listed twice"),
                    ));
                }
                chosen.push(r);
            }
            Refuter::ALL.into_iter().filter(|r| chosen.contains(r)).collect()
        }
    };
    let subset_fraction = raw.subset_fraction.unwrap_or(0.8);
    if !(subset_fraction > 0.0 && subset_fraction < 1.0) {
        return Err(invalid(
            loaded,
            &format!("{path}.subset_fraction"),
            format!("subset_fraction must lie strictly between 0 and 1, found {subset_fraction}"),
        ));
    }
    let noise = raw.noise.unwrap_or(0.1);
    if !(noise > 0.0 && noise <= 1.0) {
        return Err(invalid(loaded, &format!("{path}.noise"), format!("noise must lie in (0, 1], found {noise}"))
            .with_help("it is a flip probability for 0/1 covariates and a share of the sd for the others"));
    }
    Ok(Refuters { simulations: simulations as usize, tests, subset_fraction, noise })
}
