//! Reference test of the omitted-variable-bias bounds against DoubleML 0.11.4's
//! `sensitivity_analysis` of an IRM (ATE score) fitted on given nuisance
//! predictions. tests/fixtures/doubleml_irm_sensitivity.csv holds, for 400
//! simulated rows (x ~ N(0, 1), t ~ Bernoulli(sigmoid(0.8 x)),
//! y = t + x + N(0, 1), numpy `default_rng(7)`), the outcome, the treatment and the
//! predictions handed to DoubleML as `external_predictions`: g0 = 0.9 x + 0.05,
//! g1 = 0.9 x + 1.1, m = sigmoid(0.7 x) clipped to [0.02, 0.98]. DoubleML then
//! printed, for cf_y = 0.04, cf_d = 0.03, rho = 1, level 0.95:
//! θ = 1.050442984654768, σ² = 0.95835803, ν² = 4.64880762,
//! bounds [0.97620273, 1.12468324], interval [0.80861157, 1.29301449],
//! RV = 0.38900574, RVa = 0.33804326.
//!
//! θ, σ², ν² and the bounds are reproduced to DoubleML's digits, RV to its
//! solver's tolerance. The interval
//! pairs the standard errors of the two bounds the other way round from DoubleML
//! (see `estimate/robust/ovb.rs`): DoubleML's lower end is θ - bias minus z times
//! the standard error of θ + bias, which is exactly how far causeway's upper end
//! lies above θ + bias, so the test checks DoubleML's numbers through that
//! identity, and RVa to the difference the pairing makes.

use causeway::estimate::robust::ovb::{OvbElements, bounds, robustness_values};

fn elements() -> OvbElements {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doubleml_irm_sensitivity.csv"))
            .unwrap();
    let (mut psi, mut sigma2, mut nu2) = (Vec::new(), Vec::new(), Vec::new());
    for line in text.lines().skip(1) {
        let v: Vec<f64> = line.split(',').map(|c| c.parse().unwrap()).collect();
        let (y, t, g0, g1, m) = (v[0], v[1], v[2], v[3], v[4]);
        psi.push(g1 - g0 + t * (y - g1) / m - (1.0 - t) * (y - g0) / (1.0 - m));
        sigma2.push((y - (t * g1 + (1.0 - t) * g0)).powi(2));
        let alpha = t / m - (1.0 - t) / (1.0 - m);
        nu2.push(2.0 * (1.0 / m + 1.0 / (1.0 - m)) - alpha * alpha);
    }
    assert_eq!(psi.len(), 400);
    OvbElements::from_rows(&psi, &sigma2, &nu2)
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol, "{what}: {got} vs DoubleML {want}");
}

#[test]
fn bounds_and_robustness_value_match_doubleml() {
    let el = elements();
    close(el.theta, 1.050442984654768, 1e-12, "theta");
    close(el.sigma2, 0.95835803, 5e-9, "sigma2");
    close(el.nu2, 4.64880762, 5e-9, "nu2");
    let b = bounds(&el, 0.04, 0.03, 1.0, 0.95);
    close(b.lower, 0.97620273, 5e-9, "theta lower");
    close(b.upper, 1.12468324, 5e-9, "theta upper");
    // DoubleML's interval through the pairing identity (module doc).
    close(b.lower - (b.ci_upper - b.upper), 0.80861157, 5e-9, "ci lower (DoubleML pairing)");
    close(b.upper + (b.lower - b.ci_lower), 1.29301449, 5e-9, "ci upper (DoubleML pairing)");
    // DoubleML finds RV by minimising the squared bound with scipy's bounded
    // `minimize_scalar` (absolute tolerance 1e-5); here it is the closed-form root.
    let (rv, rva) = robustness_values(&el, 1.0, 0.95);
    close(rv, 0.38900574, 1e-6, "rv");
    assert!(bounds(&el, rv, rv, 1.0, 0.95).lower.abs() < 1e-12);
    // RVa: causeway's is where its interval's lower end reaches 0; DoubleML's,
    // where DoubleML's lower end (the pairing identity) does, found here by
    // bisection and compared to its solver's tolerance. The pairing moves RVa
    // by 0.0025 on these data.
    assert!(bounds(&el, rva, rva, 1.0, 0.95).ci_lower.abs() < 1e-9);
    let doubleml_lower = |r: f64| {
        let b = bounds(&el, r, r, 1.0, 0.95);
        b.lower - (b.ci_upper - b.upper)
    };
    let (mut lo, mut hi) = (0.0, 0.9999);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if doubleml_lower(mid) > 0.0 { lo = mid } else { hi = mid }
    }
    close(0.5 * (lo + hi), 0.33804326, 1e-5, "rva (DoubleML pairing)");
    close(rva, 0.33804326, 3e-3, "rva");
}
