//! Reference tests for the structural causal model simulator: sample moments
//! against closed-form ones (tolerance five standard errors of the statistic,
//! so a correct simulator fails with probability far below 1e-5 per check, and
//! the seeds are fixed anyway), and do() truths against hand-computed values.

use std::collections::BTreeMap;

use causeway::scm::{Equation, Missingness, Model, Simulation};
use rand::SeedableRng;

use causeway::run::RunRng;

fn model(lines: &[(&str, &str)]) -> Model {
    let equations: Vec<Equation> = lines.iter().map(|(n, e)| Equation::new(*n, *e)).collect();
    Model::compile(&equations, &BTreeMap::new()).unwrap()
}

fn simulate(lines: &[(&str, &str)], n: usize, seed: u64) -> Simulation {
    let mut rng = RunRng::seed_from_u64(seed);
    model(lines).simulate(n, "t", "y", &Missingness::None, &mut rng).unwrap()
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn cov(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum::<f64>() / (x.len() - 1) as f64
}

fn var(x: &[f64]) -> f64 {
    cov(x, x)
}

#[track_caller]
fn within(estimate: f64, truth: f64, standard_error: f64) {
    assert!(
        (estimate - truth).abs() <= 5.0 * standard_error,
        "estimate {estimate} vs truth {truth}: more than 5 standard errors ({standard_error})"
    );
}

fn col<'a>(sim: &'a Simulation, name: &str) -> &'a [f64] {
    sim.column(name).unwrap()
}

/// x ~ N(1, 2^2); z = 0.5 x + N(0, 1); t ~ Bernoulli(sigmoid(z)); a mediator
/// m = 0.5 t + N(0, 1); y = 2 + 3 t + 1.5 x + 2 m + N(0, 1).
/// Closed form: Var z = 0.25 * 4 + 1 = 2, Cov(x, z) = 0.5 * 4 = 2, and the
/// effect of t on y is 3 directly plus 2 * 0.5 through m: ATE = ATT = 4 exactly.
const LINEAR_GAUSSIAN: &[(&str, &str)] = &[
    ("x", "normal(1, 2)"),
    ("z", "0.5 * x + normal(0, 1)"),
    ("t", "bernoulli(sigmoid(z))"),
    ("m", "0.5 * t + normal(0, 1)"),
    ("y", "2 + 3 * t + 1.5 * x + 2 * m + normal(0, 1)"),
];

#[test]
fn linear_gaussian_moments_match_closed_form() {
    let n = 20_000;
    let sim = simulate(LINEAR_GAUSSIAN, n, 1);
    let (x, z) = (col(&sim, "x"), col(&sim, "z"));
    let rn = (n as f64).sqrt();
    within(mean(x), 1.0, 2.0 / rn);
    within(var(x), 4.0, 4.0 * (2.0f64).sqrt() / rn);
    within(mean(z), 0.5, 2f64.sqrt() / rn);
    within(var(z), 2.0, 2.0 * 2f64.sqrt() / rn);
    // Var of the sample covariance of a bivariate normal: (sx^2 sz^2 + cov^2) / n.
    within(cov(x, z), 2.0, (4.0f64 * 2.0 + 4.0).sqrt() / rn);
}

#[test]
fn linear_gaussian_effects_are_exact_per_row() {
    let sim = simulate(LINEAR_GAUSSIAN, 5_000, 2);
    for i in 0..sim.n_rows() {
        assert!((sim.mu1[i] - sim.mu0[i] - 4.0).abs() < 1e-12, "row {i}");
        assert!((sim.y1[i] - sim.y0[i] - 4.0).abs() < 1e-12, "row {i}");
    }
    let (t, y) = (col(&sim, "t"), col(&sim, "y"));
    // The factual outcome is the potential outcome of the factual treatment, bit for bit.
    for i in 0..sim.n_rows() {
        let y_t = if t[i] == 1.0 { sim.y1[i] } else { sim.y0[i] };
        assert_eq!(y_t.to_bits(), y[i].to_bits(), "row {i}");
    }
    // What remains after removing mu is the outcome's own N(0, 1) noise.
    let residual: Vec<f64> =
        (0..sim.n_rows()).map(|i| y[i] - if t[i] == 1.0 { sim.mu1[i] } else { sim.mu0[i] }).collect();
    let rn = (sim.n_rows() as f64).sqrt();
    within(mean(&residual), 0.0, 1.0 / rn);
    within(var(&residual), 1.0, 2f64.sqrt() / rn);
}

/// Randomised t with a heterogeneous effect 2 + x: ATE = 2 + E x = 3, and the
/// difference in means estimates it with SE sqrt(Var(y|t=1)/n1 + Var(y|t=0)/n0).
#[test]
fn randomised_difference_in_means_recovers_the_ate() {
    let lines = [("x", "normal(1, 2)"), ("t", "bernoulli(0.3)"), ("y", "t * (2 + x) + normal(0, 1)")];
    let sim = simulate(&lines, 20_000, 3);
    let (t, y) = (col(&sim, "t"), col(&sim, "y"));
    let treated: Vec<f64> = y.iter().zip(t).filter(|(_, t)| **t == 1.0).map(|(y, _)| *y).collect();
    let control: Vec<f64> = y.iter().zip(t).filter(|(_, t)| **t == 0.0).map(|(y, _)| *y).collect();
    within(treated.len() as f64 / sim.n_rows() as f64, 0.3, (0.3f64 * 0.7 / sim.n_rows() as f64).sqrt());
    let se = (var(&treated) / treated.len() as f64 + var(&control) / control.len() as f64).sqrt();
    within(mean(&treated) - mean(&control), 3.0, se);
    let ite: Vec<f64> = sim.mu1.iter().zip(&sim.mu0).map(|(a, b)| a - b).collect();
    within(mean(&ite), 3.0, 2.0 / (sim.n_rows() as f64).sqrt());
}

/// Nonlinear model with a mediator: mu0 = x^2 and mu1 = (2 + x)^2 + 3 by hand,
/// and y0 - mu0 = y1 - mu1 = the row's outcome noise (held fixed across worlds).
#[test]
fn do_truths_match_hand_computation() {
    let lines =
        [("x", "normal(0, 1)"), ("t", "if(x > 0, 1, 0)"), ("m", "2 * t + x"), ("y", "m^2 + 3 * t + normal(0, 1)")];
    let sim = simulate(&lines, 200, 4);
    let (x, t, y) = (col(&sim, "x"), col(&sim, "t"), col(&sim, "y"));
    for i in 0..200 {
        assert!((sim.mu0[i] - x[i] * x[i]).abs() < 1e-12);
        assert!((sim.mu1[i] - ((2.0 + x[i]).powi(2) + 3.0)).abs() < 1e-12);
        let noise = y[i] - if t[i] == 1.0 { sim.mu1[i] } else { sim.mu0[i] };
        assert!((sim.y0[i] - sim.mu0[i] - noise).abs() < 1e-12);
        assert!((sim.y1[i] - sim.mu1[i] - noise).abs() < 1e-12);
    }
}

/// A binary mediator m ~ Bernoulli(0.2 + 0.5 t) with its uniform noise held
/// fixed: m can only switch on under do(t = 1), and does so with probability 0.5.
#[test]
fn binary_mediator_is_coupled_monotonically() {
    let lines = [("t", "bernoulli(0.5)"), ("m", "bernoulli(0.2 + 0.5 * t)"), ("y", "m + normal(0, 1)")];
    let sim = simulate(&lines, 10_000, 5);
    let effect: Vec<f64> = sim.y1.iter().zip(&sim.y0).map(|(a, b)| a - b).collect();
    assert!(effect.iter().all(|&d| d.abs() < 1e-12 || (d - 1.0).abs() < 1e-12));
    within(mean(&effect), 0.5, 0.5 / (sim.n_rows() as f64).sqrt());
    assert_eq!(sim.mu1.iter().zip(&sim.y1).filter(|(mu, y)| mu != y).count(), sim.n_rows());
}

/// Sample moments of every distribution against their textbook values.
#[test]
fn draws_have_their_textbook_moments() {
    let lines = [
        ("t", "bernoulli(0.3)"),
        ("u", "uniform(2, 6)"),
        ("p", "poisson(3)"),
        ("q", "poisson(60)"),
        ("c", "categorical(1, 2, 1)"),
        ("s", "student_t(5)"),
        ("y", "normal(-1, 0.5)"),
    ];
    let n = 20_000;
    let sim = simulate(&lines, n, 6);
    let rn = (n as f64).sqrt();
    within(mean(col(&sim, "t")), 0.3, (0.21f64).sqrt() / rn);
    within(mean(col(&sim, "u")), 4.0, (16.0f64 / 12.0).sqrt() / rn);
    within(var(col(&sim, "u")), 16.0 / 12.0, 1.0 / rn);
    within(mean(col(&sim, "p")), 3.0, 3f64.sqrt() / rn);
    within(var(col(&sim, "p")), 3.0, 3.0 * 2.5 / rn);
    within(mean(col(&sim, "q")), 60.0, 60f64.sqrt() / rn);
    within(var(col(&sim, "q")), 60.0, 60.0 * 1.5 / rn);
    let c = col(&sim, "c");
    for (k, p) in [(0.0, 0.25), (1.0, 0.5), (2.0, 0.25)] {
        let share = c.iter().filter(|&&v| v == k).count() as f64 / n as f64;
        within(share, p, (p * (1.0 - p)).sqrt() / rn);
    }
    // t(5): variance 5/3; the variance of its sample variance is large (kurtosis 9).
    within(var(col(&sim, "s")), 5.0 / 3.0, 5.0 / 3.0 * 3.0 / rn);
    within(mean(col(&sim, "y")), -1.0, 0.5 / rn);
    assert!(col(&sim, "p").iter().all(|v| v.fract() == 0.0 && *v >= 0.0));
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let bits = |sim: &Simulation| -> Vec<u64> {
        sim.columns
            .iter()
            .flat_map(|(_, c)| c.iter().map(|v| v.to_bits()))
            .chain(sim.mu1.iter().map(|v| v.to_bits()))
            .collect()
    };
    let (a, b, c) =
        (simulate(LINEAR_GAUSSIAN, 300, 9), simulate(LINEAR_GAUSSIAN, 300, 9), simulate(LINEAR_GAUSSIAN, 300, 10));
    assert_eq!(bits(&a), bits(&b));
    assert_ne!(bits(&a), bits(&c));
}

/// Pins the simulated numbers themselves: if this snapshot changes, bump
/// `scm::ALGORITHM_VERSION` so cached runs are not reused.
#[test]
fn golden_rows_pin_the_algorithm_version() {
    let lines = [
        ("x", "normal(0, 1) + student_t(4)"),
        ("k", "categorical(1, 1, 2) + poisson(2) + uniform(0, 1)"),
        ("t", "bernoulli(sigmoid(x))"),
        ("y", "t * k + normal(x, 1)"),
    ];
    let sim = simulate(&lines, 3, 2024);
    let mut shown = format!("algorithm version {}\n", causeway::scm::ALGORITHM_VERSION);
    for (name, column) in &sim.columns {
        shown.push_str(&format!("{name}: {column:?}\n"));
    }
    shown.push_str(&format!("mu0: {:?}\nmu1: {:?}\ny0: {:?}\ny1: {:?}\n", sim.mu0, sim.mu1, sim.y0, sim.y1));
    insta::assert_snapshot!(shown);
}

#[test]
fn missingness_spares_treatment_outcome_and_driver() {
    let lines = [("a", "normal(0, 1)"), ("b", "normal(0, 1)"), ("t", "bernoulli(0.5)"), ("y", "a + t + normal(0, 1)")];
    let m = model(&lines);
    let n = 20_000;
    let mut rng = RunRng::seed_from_u64(11);
    let sim = m.simulate(n, "t", "y", &Missingness::Mcar { rate: 0.2 }, &mut rng).unwrap();
    for name in ["a", "b"] {
        let share = col(&sim, name).iter().filter(|v| v.is_nan()).count() as f64 / n as f64;
        within(share, 0.2, (0.16f64 / n as f64).sqrt());
    }
    let untouched = |sim: &Simulation| {
        ["t", "y"].iter().all(|c| col(sim, c).iter().all(|v| v.is_finite()))
            && sim.mu0.iter().chain(&sim.mu1).all(|v| v.is_finite())
    };
    assert!(untouched(&sim));

    let mar = Missingness::Mar { driver: "a".into(), rate: 0.3 };
    let sim = m.simulate(n, "t", "y", &mar, &mut rng).unwrap();
    assert!(untouched(&sim) && col(&sim, "a").iter().all(|v| v.is_finite()));
    let (a, b) = (col(&sim, "a"), col(&sim, "b"));
    let missing_share = |high: bool| {
        let rows: Vec<usize> = (0..n).filter(|&i| (a[i] > 0.0) == high).collect();
        rows.iter().filter(|&&i| b[i].is_nan()).count() as f64 / rows.len() as f64
    };
    // Linear in rank from 0 to 0.6: the lower half averages 0.15, the upper 0.45.
    within(missing_share(false), 0.15, (0.15f64 * 0.85 / (n as f64 / 2.0)).sqrt() + 0.01);
    within(missing_share(true), 0.45, (0.45f64 * 0.55 / (n as f64 / 2.0)).sqrt() + 0.01);
}

#[test]
fn into_causal_data_carries_truth_and_covariates() {
    let sim = simulate(LINEAR_GAUSSIAN, 50, 12);
    let mu1 = sim.mu1.clone();
    let data = sim.clone().into_causal_data("t", "y").unwrap();
    assert_eq!(data.covariate_names, ["x", "z", "m"]);
    assert_eq!(data.covariates[1], col(&sim, "z"));
    assert_eq!(data.treatment, col(&sim, "t"));
    assert_eq!(data.true_ite().unwrap().len(), 50);
    assert!(matches!(&data.truth, causeway::data::Truth::Potential { mu1: m, .. } if *m == mu1));
    let subset = sim.into_causal_data_with("t", "y", &["z".to_string()]).unwrap();
    assert_eq!(subset.covariate_names, ["z"]);
}
