//! The sensitivity analyses a run adds to its estimate (`robustness:`), on the
//! estimator's own view of the data (in-sample rows, no truth), each of the
//! experiment's estimand (`robustness.estimand`, the ATE or the ATT): the E-value of
//! every estimate, the bootstrap interval an entry declares, for `aipw` the
//! omitted-variable-bias bounds and, for `ols`, the Cinelli-Hazlett statistics, the adjusted
//! estimates of the declared hypothetical confounders and the bounds from the
//! benchmark covariates. Each value is named here, once, in a fixed order; the
//! tables show the names as columns.

use super::bootstrap::Bootstrap;
use crate::data::Observed;
use crate::estimate::robust::evalue::{OutcomeScale, evalues_of_effect};
use crate::estimate::robust::ovb::{OvbElements, bounds as ovb_bounds, robustness_values as robustness_values_ovb};
use crate::estimate::robust::sensitivity::{
    Coefficient, Regressions, Strength, adjust, benchmark_bound, partial_r2, robustness_value,
};
use crate::estimate::{Estimand, Estimate};
use crate::spec::{Ovb, Robustness, Sensitivity};

type Values = Vec<(String, Option<f64>)>;

/// What the run computed of its estimand (`robustness.estimand`): its estimate
/// (None: an ATT the method does not estimate), the bootstrap, Some where the
/// entry declares one (Some(None): too few resamples gave an estimate), and
/// the OVB elements, where the bounds apply and could be computed.
pub struct Described<'a> {
    pub effect: Option<f64>,
    pub boot: Option<&'a Option<Bootstrap>>,
    pub ovb: Option<&'a OvbElements>,
}

/// Every robustness value of a run of `kind` with estimate `est` on `data`,
/// of the estimand `described`.
pub fn robustness_values(
    robustness: &Robustness,
    kind: &str,
    described: &Described<'_>,
    data: &Observed<'_>,
    est: &Estimate,
) -> Values {
    let mut out = Values::new();
    if let Some(b) = described.boot {
        let b = b.as_ref();
        out.extend([
            ("boot_se".to_string(), b.map(|b| b.se)),
            ("boot_low".to_string(), b.map(|b| b.percentile.0)),
            ("boot_high".to_string(), b.map(|b| b.percentile.1)),
            ("boot_normal_low".to_string(), b.map(|b| b.normal.0)),
            ("boot_normal_high".to_string(), b.map(|b| b.normal.1)),
            ("boot_failed".to_string(), b.map(|b| b.failed as f64)),
        ]);
    }
    if robustness.evalue {
        // The ATE's interval is the run's (its own, or the bootstrap's); the
        // ATT's the bootstrap's where declared: the methods' own intervals are of the ATE.
        let (se, interval) = match robustness.estimand {
            Estimand::Ate => (est.diagnostics.iter().find(|(n, _)| n == "se").map(|(_, v)| *v), est.interval),
            Estimand::Att => (None, described.boot.and_then(|b| b.as_ref()).map(|b| b.percentile)),
        };
        evalue_values(data, described.effect, se, interval, &mut out);
    }
    if let Some(s) = robustness.sensitivity_for(kind) {
        sensitivity_values(s, data, &mut out);
    }
    if let Some(o) = robustness.ovb_for(kind) {
        ovb_values(o, described.ovb, &mut out);
    }
    out
}

fn ovb_values(o: &Ovb, el: Option<&OvbElements>, out: &mut Values) {
    let rv = el.map(|el| robustness_values_ovb(el, o.rho, o.level));
    out.extend([
        ("ovb_sigma2".to_string(), el.map(|e| e.sigma2)),
        ("ovb_nu2".to_string(), el.map(|e| e.nu2)),
        ("ovb_rv".to_string(), rv.map(|r| r.0)),
        ("ovb_rva".to_string(), rv.map(|r| r.1)),
    ]);
    for &(cf_y, cf_d) in &o.confounders {
        let name = format!("ovb[{},{}]", k_text(cf_y), k_text(cf_d));
        let b = el.map(|el| ovb_bounds(el, cf_y, cf_d, o.rho, o.level));
        out.extend([
            (format!("{name}_lower"), b.map(|b| b.lower)),
            (format!("{name}_upper"), b.map(|b| b.upper)),
            (format!("{name}_ci_lower"), b.map(|b| b.ci_lower)),
            (format!("{name}_ci_upper"), b.map(|b| b.ci_upper)),
        ]);
    }
}

fn evalue_values(
    data: &Observed<'_>,
    effect: Option<f64>,
    se: Option<f64>,
    interval: Option<(f64, f64)>,
    out: &mut Values,
) {
    let rows = data.split().in_sample();
    let y: Vec<f64> = rows.iter().map(|&i| data.outcome(i)).collect();
    let scale = if y.iter().all(|&v| v == 0.0 || v == 1.0) {
        let control: Vec<f64> = rows.iter().filter(|&&i| !data.is_treated(i)).map(|&i| data.outcome(i)).collect();
        OutcomeScale::Binary { p0: control.iter().sum::<f64>() / control.len() as f64 }
    } else {
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        let var = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (y.len() as f64 - 1.0);
        OutcomeScale::Continuous { sd: var.sqrt() }
    };
    let e = effect.and_then(|effect| evalues_of_effect(effect, se, interval, scale));
    out.extend([
        ("evalue_rr".to_string(), e.map(|e| e.rr)),
        ("evalue_rr_low".to_string(), e.and_then(|e| e.rr_interval.map(|i| i.0))),
        ("evalue_rr_high".to_string(), e.and_then(|e| e.rr_interval.map(|i| i.1))),
        ("evalue".to_string(), e.map(|e| e.point)),
        ("evalue_ci".to_string(), e.and_then(|e| e.limit)),
    ]);
}

/// A number as a name part: `1`, `2.5`, `0.05`.
fn k_text(k: f64) -> String {
    format!("{k}")
}

fn sensitivity_values(s: &Sensitivity, data: &Observed<'_>, out: &mut Values) {
    let rows = data.split().in_sample();
    let y: Vec<f64> = rows.iter().map(|&i| data.outcome(i)).collect();
    let d: Vec<f64> = rows.iter().map(|&i| data.treatment[i]).collect();
    let x: Vec<Vec<f64>> = data.covariates.iter().map(|c| rows.iter().map(|&i| c[i]).collect()).collect();
    let fit = Regressions::fit(&y, &d, &x, data.covariate_names).ok();
    let c: Option<Coefficient> = fit.as_ref().map(|f| f.treatment);
    let stat = |f: &dyn Fn(&Coefficient) -> f64| c.as_ref().map(f);
    out.extend([
        ("sens_estimate".to_string(), stat(&|c| c.estimate)),
        ("sens_se".to_string(), stat(&|c| c.se)),
        ("sens_t".to_string(), stat(&|c| c.t())),
        ("sens_dof".to_string(), stat(&|c| c.dof)),
        ("sens_r2yd_x".to_string(), stat(&|c| partial_r2(c.t(), c.dof))),
        ("sens_rv_q".to_string(), stat(&|c| robustness_value(c.t(), c.dof, s.q, 1.0))),
        ("sens_rv_qa".to_string(), stat(&|c| robustness_value(c.t(), c.dof, s.q, s.alpha))),
    ]);
    for &(r2dz_x, r2yz_dx) in &s.confounders {
        let name = format!("sens_z[{},{}]", k_text(r2dz_x), k_text(r2yz_dx));
        let a = c.map(|c| adjust(&c, Strength { r2dz_x, r2yz_dx }, s.alpha));
        out.extend([
            (format!("{name}_estimate"), a.map(|a| a.estimate)),
            (format!("{name}_low"), a.map(|a| a.low)),
            (format!("{name}_high"), a.map(|a| a.high)),
        ]);
    }
    for benchmark in &s.benchmarks {
        // A benchmark this run does not adjust for (another `adjust`) has no bound.
        let j = data.covariate_names.iter().position(|n| n == benchmark);
        for &(kd, ky) in &s.multiples {
            let name = if kd == ky {
                format!("sens_{benchmark}_{}x", k_text(kd))
            } else {
                format!("sens_{benchmark}_{}x{}x", k_text(kd), k_text(ky))
            };
            let bound = match (&fit, j) {
                (Some(f), Some(j)) => {
                    let (r2dxj_x, r2yxj_dx) = f.benchmark_r2(j);
                    benchmark_bound(r2dxj_x, r2yxj_dx, kd, ky).ok()
                }
                _ => None,
            };
            let a = bound.zip(c).map(|(z, c)| adjust(&c, z, s.alpha));
            out.extend([
                (format!("{name}_r2dz_x"), bound.map(|z| z.r2dz_x)),
                (format!("{name}_r2yz_dx"), bound.map(|z| z.r2yz_dx)),
                (format!("{name}_estimate"), a.map(|a| a.estimate)),
                (format!("{name}_se"), a.map(|a| a.se)),
                (format!("{name}_t"), a.map(|a| a.t)),
                (format!("{name}_low"), a.map(|a| a.low)),
                (format!("{name}_high"), a.map(|a| a.high)),
            ]);
        }
    }
}
