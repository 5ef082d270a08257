//! The E-value of VanderWeele and Ding (2017), "Sensitivity analysis in
//! observational research: introducing the E-value", Annals of Internal
//! Medicine: the minimum strength of association, on the risk-ratio scale, that
//! an unmeasured confounder would need with both treatment and outcome to
//! explain away an estimate, for the point estimate and for the confidence
//! limit closer to the null. Conventions follow the R package `EValue`
//! (`evalues.RR`, `evalues.MD`, `evalues.OLS`): a continuous outcome's
//! difference d in standard deviations becomes RR ≈ exp(0.91 d) with interval
//! exp(0.91 d ± 1.78 se_d).

/// The E-value of a risk ratio: RR + √(RR (RR - 1)), after taking 1/RR below 1.
pub fn evalue_of_rr(rr: f64) -> f64 {
    let rr = if rr < 1.0 { 1.0 / rr } else { rr };
    rr + (rr * (rr - 1.0)).sqrt()
}

/// E-values of a risk ratio and its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EValues {
    /// The estimate on the risk-ratio scale and its interval, where there is one.
    pub rr: f64,
    pub rr_interval: Option<(f64, f64)>,
    /// The E-value of the point estimate.
    pub point: f64,
    /// The E-value of the interval limit closer to the null; 1 when the interval
    /// contains the null.
    pub limit: Option<f64>,
}

/// `evalues.RR(est, lo, hi)`: None unless the risk ratio is positive.
pub fn evalues_rr(rr: f64, interval: Option<(f64, f64)>) -> Option<EValues> {
    if !(rr > 0.0 && rr.is_finite()) {
        return None;
    }
    let limit = interval.map(|(lo, hi)| {
        if rr >= 1.0 {
            if lo <= 1.0 { 1.0 } else { evalue_of_rr(lo) }
        } else if hi >= 1.0 || hi <= 0.0 {
            1.0
        } else {
            evalue_of_rr(hi)
        }
    });
    Some(EValues { rr, rr_interval: interval, point: evalue_of_rr(rr), limit })
}

/// `evalues.MD(d, se)`: a standardized mean difference (Cohen's d) with its
/// standard error, through RR ≈ exp(0.91 d) and interval exp(0.91 d ± 1.78 se).
pub fn evalues_md(d: f64, se: Option<f64>) -> Option<EValues> {
    let interval = se.map(|se| ((0.91 * d - 1.78 * se).exp(), (0.91 * d + 1.78 * se).exp()));
    evalues_rr((0.91 * d).exp(), interval)
}

/// The outcome's scale, which decides how an average effect becomes a risk ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutcomeScale {
    /// A 0/1 outcome: `p0` is the mean outcome of the in-sample untreated rows,
    /// and an effect δ is the risk ratio (p0 + δ) / p0.
    Binary { p0: f64 },
    /// A continuous outcome with (in-sample) standard deviation `sd`: an effect δ
    /// is the standardized difference δ / sd (`evalues.OLS` with delta 1 and
    /// sd = SD(Y), the package's conservative choice).
    Continuous { sd: f64 },
}

/// The E-values of an average effect `ate` with standard error `se` and interval
/// `interval` (either may be absent) on `scale`.
pub fn evalues_of_effect(
    ate: f64,
    se: Option<f64>,
    interval: Option<(f64, f64)>,
    scale: OutcomeScale,
) -> Option<EValues> {
    match scale {
        OutcomeScale::Binary { p0 } if p0 > 0.0 => {
            let rr = |effect: f64| (p0 + effect) / p0;
            evalues_rr(rr(ate), interval.map(|(lo, hi)| (rr(lo), rr(hi))))
        }
        OutcomeScale::Binary { .. } => None,
        OutcomeScale::Continuous { sd } if sd > 0.0 => {
            // The interval's half-width stands in for 1.96 se where the method reports no se.
            let se = se.or_else(|| interval.map(|(lo, hi)| (hi - lo) / (2.0 * crate::estimate::classical::Z_975)));
            evalues_md(ate / sd, se.map(|se| se / sd))
        }
        OutcomeScale::Continuous { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 5e-7, "{a} vs {b}");
    }

    #[test]
    fn evalues_rr_leukemia_example() {
        // EValue's documentation: evalues.RR(0.80, 0.71, 0.91) gives E-values
        // 1.809017 (point) and 1.428571 (upper limit, the one closer to 1).
        let e = evalues_rr(0.80, Some((0.71, 0.91))).unwrap();
        close(e.point, 1.809017);
        close(e.limit.unwrap(), 1.428571);
        // "demonstrate symmetry": evalues.RR(1 / 0.80) has the same E-value.
        close(evalues_rr(1.0 / 0.80, None).unwrap().point, 1.809017);
        assert_eq!(evalues_rr(0.80, None).unwrap().limit, None);
    }

    #[test]
    fn evalues_md_documentation_example() {
        // EValue's documentation: evalues.MD(.5, .25) gives RR 1.576173
        // [1.010050, 2.459603] and E-values 2.529142 (point), 1.110803 (lower).
        let e = evalues_md(0.5, Some(0.25)).unwrap();
        close(e.rr, 1.576173);
        let (lo, hi) = e.rr_interval.unwrap();
        close(lo, 1.010050);
        close(hi, 2.459603);
        close(e.point, 2.529142);
        close(e.limit.unwrap(), 1.110803);
    }

    #[test]
    fn evalues_ols_documentation_rr_to_evalue() {
        // evalues.OLS's lead example: RR 1.015465 has E-value 1.140780 and an
        // interval [0.9952602, 1.03608] that crosses the null, whose E-value is 1.
        // The printed RR is rounded to 7 digits, and near 1 the E-value moves ~5
        // times as fast as the RR (dE/dRR = 1 + (2RR - 1) / (2 √(RR(RR - 1)))), so
        // the printed E-value is reproduced to 3e-6, not to its last digit.
        let e = evalues_rr(1.015465, Some((0.9952602, 1.03608))).unwrap();
        assert!((e.point - 1.140780).abs() < 3e-6, "{}", e.point);
        assert_eq!(e.limit, Some(1.0));
    }

    #[test]
    fn continuous_effect_uses_the_standardized_difference() {
        let from_effect = evalues_of_effect(1.0, Some(0.5), None, OutcomeScale::Continuous { sd: 2.0 }).unwrap();
        assert_eq!(from_effect, evalues_md(0.5, Some(0.25)).unwrap());
    }

    #[test]
    fn binary_effect_is_a_risk_ratio_over_the_control_risk() {
        let e = evalues_of_effect(-0.04, None, Some((-0.06, -0.02)), OutcomeScale::Binary { p0: 0.2 }).unwrap();
        close(e.rr, 0.8);
        let (lo, hi) = e.rr_interval.unwrap();
        close(lo, 0.7);
        close(hi, 0.9);
        close(e.limit.unwrap(), evalue_of_rr(0.9));
        assert_eq!(evalues_of_effect(-0.3, None, None, OutcomeScale::Binary { p0: 0.2 }), None);
    }
}
