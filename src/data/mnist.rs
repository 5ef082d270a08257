//! The image design: 5,000 MNIST digits (500 per class, 14x14) with a treatment
//! and an outcome simulated from each digit's class, in the spirit of CEMNIST
//! (Jesson et al. 2020): the confounder and the effect modifier are the class,
//! which no covariate states, so only a model that reads the image can adjust
//! for it, and the potential outcomes are known exactly.
//!
//! For a digit of class c, with score s = (c - 4.5) / 4.5 in [-1, 1]:
//! propensity e = sigmoid(2 gamma s), mu0 = 3 s, mu1 = mu0 + 1 + c / 4.5
//! (an effect from 1 for zeros to 3 for nines, 2 on average over the balanced
//! set), t ~ Bernoulli(e), y = mu_t + N(0, 1). gamma is `confounding`: 0 is a
//! randomized trial; at 1 a nine is treated with odds e^4 ≈ 55 times a zero's.
//! Because high classes are both treated more and have higher outcomes and
//! effects, the difference in means overstates the effect.
//!
//! Covariates: the 196 pixels `px1..px196` (row-major, scaled to [0, 1]) and a
//! classical summary of them, the ink profiles `row1..row14` and `col1..col14`
//! (the mean of each pixel row and column), which linear baselines can use where
//! 196 pixels, some blank in every image, would make a singular design.

use rand::Rng;
use rand_distr::StandardNormal;

use super::csv::Table;
use super::error::DataError;
use super::{CausalData, Truth};
use crate::rng::RunRng;

/// Side of the (square) images in `mnist/mnist_14x14.csv`.
pub const SIDE: usize = 14;
/// The confounding strength when `confounding` is not given.
pub const DEFAULT_CONFOUNDING: f64 = 1.0;

/// Pixels, ink profiles and every digit's class: what every replication shares.
pub(crate) struct Design {
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
    digits: Vec<u8>,
}

/// Read the 14x14 digits table (`digit,px1..px196`, pixels 0-255).
pub(crate) fn design(table: &Table) -> Result<Design, DataError> {
    let digit_column = table.numeric("digit")?;
    let mut digits = Vec::with_capacity(digit_column.len());
    for (row, d) in digit_column.iter().enumerate() {
        if !(d.fract() == 0.0 && (0.0..=9.0).contains(d)) {
            return Err(DataError::BadOption {
                name: "mnist".into(),
                message: format!("line {}: digit `{d}` is not a class 0-9", table.line(row)),
            });
        }
        digits.push(*d as u8);
    }
    let mut names = Vec::new();
    let mut columns = Vec::new();
    for k in 1..=SIDE * SIDE {
        names.push(format!("px{k}"));
        columns.push(table.numeric(&format!("px{k}"))?.into_iter().map(|v| v / 255.0).collect::<Vec<f64>>());
    }
    let pixel = |i: usize, j: usize| &columns[i * SIDE + j];
    let mean_of = |cells: Vec<&Vec<f64>>| -> Vec<f64> {
        (0..digits.len()).map(|r| cells.iter().map(|c| c[r]).sum::<f64>() / SIDE as f64).collect()
    };
    let rows: Vec<Vec<f64>> = (0..SIDE).map(|i| mean_of((0..SIDE).map(|j| pixel(i, j)).collect())).collect();
    let cols: Vec<Vec<f64>> = (0..SIDE).map(|j| mean_of((0..SIDE).map(|i| pixel(i, j)).collect())).collect();
    for (prefix, profile) in [("row", rows), ("col", cols)] {
        for (k, column) in profile.into_iter().enumerate() {
            names.push(format!("{prefix}{}", k + 1));
            columns.push(column);
        }
    }
    Ok(Design { names, columns, digits })
}

/// The class score s = (c - 4.5) / 4.5.
fn score(digit: u8) -> f64 {
    (f64::from(digit) - 4.5) / 4.5
}

/// Noiseless potential outcomes of a digit: (mu0, mu1).
pub(crate) fn potential(digit: u8) -> (f64, f64) {
    let mu0 = 3.0 * score(digit);
    (mu0, mu0 + 1.0 + f64::from(digit) / 4.5)
}

/// The probability that a digit is treated at confounding strength `gamma`.
pub(crate) fn propensity(digit: u8, gamma: f64) -> f64 {
    1.0 / (1.0 + (-2.0 * gamma * score(digit)).exp())
}

/// One replication: treatment, outcome and truth drawn over the shared design.
pub(crate) fn simulate(design: &Design, gamma: f64, rng: &mut RunRng) -> Result<CausalData, DataError> {
    if !gamma.is_finite() {
        return Err(DataError::BadOption {
            name: "mnist".into(),
            message: format!("confounding must be a finite number, found {gamma}"),
        });
    }
    let n = design.digits.len();
    let (mut treatment, mut outcome) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut mu0, mut mu1) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for &digit in &design.digits {
        let treated = rng.random::<f64>() < propensity(digit, gamma);
        let noise: f64 = rng.sample(StandardNormal);
        let (m0, m1) = potential(digit);
        treatment.push(if treated { 1.0 } else { 0.0 });
        outcome.push(if treated { m1 } else { m0 } + noise);
        mu0.push(m0);
        mu1.push(m1);
    }
    Ok(CausalData {
        covariate_names: design.names.clone(),
        covariates: design.columns.clone(),
        treatment,
        outcome,
        truth: Truth::Potential { mu0, mu1 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn effect_and_confounding_follow_the_class() {
        assert_eq!(potential(0), (-3.0, -2.0));
        assert_eq!(potential(9), (3.0, 6.0));
        // Over the balanced classes the effect averages 2.
        let ate: f64 = (0..10).map(|d| potential(d).1 - potential(d).0).sum::<f64>() / 10.0;
        assert!((ate - 2.0).abs() < 1e-12, "{ate}");
        assert_eq!(propensity(3, 0.0), 0.5);
        assert!(propensity(9, 1.0) > 0.85 && propensity(0, 1.0) < 0.15);
    }

    #[test]
    fn simulate_draws_from_the_propensity_and_keeps_truth_exact() {
        let design = Design { names: vec!["px1".into()], columns: vec![vec![0.0; 4000]], digits: vec![9; 4000] };
        let data = simulate(&design, 1.0, &mut RunRng::seed_from_u64(3)).unwrap();
        let share = data.treatment.iter().sum::<f64>() / 4000.0;
        // e = sigmoid(2) = 0.881; 4 standard errors at n = 4000 is about 0.02.
        assert!((share - 0.8808).abs() < 0.021, "{share}");
        let Truth::Potential { mu0, mu1 } = &data.truth else { panic!("no truth") };
        assert!(mu0.iter().all(|m| *m == 3.0) && mu1.iter().all(|m| *m == 6.0));
        assert!(simulate(&design, f64::NAN, &mut RunRng::seed_from_u64(3)).is_err());
    }
}
