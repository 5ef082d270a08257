//! Reference test of the OVB benchmark (cf_y, cf_d, ρ implied by leaving an
//! observed covariate group out) against DoubleML 0.11.4's
//! `sensitivity_benchmark` of an IRM fitted on given nuisance predictions.
//! tests/fixtures/doubleml_irm_benchmark.csv holds 500 simulated rows and the
//! long (x1, x2) and short (x1 only) models' predictions handed to DoubleML;
//! tests/fixtures/doubleml_irm_benchmark.py wrote it and printed (numpy 2.4.6):
//! θ_long = 0.7908543902594309, σ²_long = 0.9827931960909955,
//! ν²_long = 5.411525094996656; benchmark of {x2}: cf_y = 0.9347343672551912,
//! cf_d = 0.294126038997127, ρ = 0.7885237480235341,
//! Δθ = 0.838162528672107.

use causeway::estimate::robust::ovb::{OvbElements, benchmark};

fn fixture() -> (OvbElements, OvbElements, f64) {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/doubleml_irm_benchmark.csv"))
            .unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); header.len()];
    for line in lines {
        for (j, c) in line.split(',').enumerate() {
            cols[j].push(c.parse().unwrap());
        }
    }
    let col = |name: &str| cols[header.iter().position(|h| *h == name).unwrap()].clone();
    let (y, t) = (col("y"), col("t"));
    assert_eq!(y.len(), 500);
    let long = OvbElements::from_outcome_model(&y, &t, &col("g0"), &col("g1"), &col("m"));
    let short = OvbElements::from_outcome_model(&y, &t, &col("g0s"), &col("g1s"), &col("ms"));
    let mean = y.iter().sum::<f64>() / 500.0;
    let var_y = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 500.0;
    (long, short, var_y)
}

fn close(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() <= 1e-12 * (1.0 + want.abs()), "{what}: {got} vs DoubleML {want}");
}

#[test]
fn benchmark_matches_doubleml() {
    let (long, short, var_y) = fixture();
    close(long.theta, 0.7908543902594309, "theta");
    close(long.sigma2, 0.9827931960909955, "sigma2");
    close(long.nu2, 5.411525094996656, "nu2");
    let b = benchmark(&long, &short, var_y);
    close(b.cf_y, 0.9347343672551912, "cf_y");
    close(b.cf_d, 0.294126038997127, "cf_d");
    close(b.rho, 0.7885237480235341, "rho");
    close(b.delta_theta, 0.838162528672107, "delta_theta");
}

#[test]
fn a_group_that_explains_nothing_implies_no_confounding() {
    let (long, _, var_y) = fixture();
    let b = benchmark(&long, &long, var_y);
    assert_eq!((b.cf_y, b.cf_d, b.rho, b.delta_theta), (0.0, 0.0, 0.0, 0.0));
    // Swapping long and short: the "short" model fits better, which clips cf_y
    // and cf_d to 0, and ρ to ±1 (no positive variance gap), DoubleML's rule.
    let (long, short, var_y) = fixture();
    let b = benchmark(&short, &long, var_y);
    assert_eq!((b.cf_y, b.cf_d, b.rho), (0.0, 0.0, -1.0));
}
