//! DoWhy's refutation tests (`dowhy/causal_refuters/`), with DoWhy's
//! definitions, on the run's prepared data: each refuter refits the estimator on
//! a changed copy of the data a declared number of times, and compares a
//! value with the distribution of the refitted estimates.
//!
//! - placebo (permute): the treatment permuted over the rows; tested value 0;
//! - placebo (random): a Bernoulli(0.5) treatment (DoWhy's placebo of a binary
//!   treatment; its float placebo is N(0, 0), every value 0, which cannot be
//!   fitted: a DoWhy bug, moot here since treatments are 0/1); tested value 0;
//! - random common cause: a N(0, 1) covariate added; tested value the estimate;
//! - data subset: a share of the in-sample rows drawn without replacement;
//!   tested value the estimate;
//! - bootstrap with noise: the in-sample rows resampled, and every covariate
//!   perturbed: a 0/1 column flipped with probability `noise`, any other
//!   column plus N(0, 1) · noise · its sd (DoWhy perturbs float columns only,
//!   because `('float' or 'int') in dtype` tests 'float' alone; integer-coded
//!   confounders get noise here; and given an integer `random_state`, DoWhy
//!   hands the same seed to every resample, so all its simulations draw the
//!   same rows, where here each has its own stream); tested value the estimate;
//! - dummy outcome: the outcome replaced by N(0, 1) noise (DoWhy's default
//!   transformations `zero` then `noise`); tested value 0.
//!
//! The p-value is DoWhy's: with 100 simulations or more, the two-sided
//! percentile p = 2 min(h, 1 - h), h = mean(x > v) + mean(x = v) / 2; with
//! fewer, the z-score of v against the simulations' mean and (population) sd.
//! DoWhy's z-test is one-sided (the tail on the estimate's side) while its
//! percentile test is two-sided; here both are two-sided, p = 2 (1 - Φ(|z|)),
//! so that the verdict does not change its level at 100 simulations. A refuter
//! passes (finds no problem) when p > 0.05, DoWhy's default level.
//!
//! Every refit contributes its estimate of the experiment's estimand
//! (`robustness.estimand`, `Estimate::effect`): the ATE, or the ATT over the
//! changed copy's own treated rows; the tested values are the same, of it.
//!
//! Training rows stay training rows and validation rows validation rows in
//! every changed copy, and test rows are kept as they are. Simulation s of
//! refuter r draws from streams of the run's seed of its own, so results are
//! byte-stable and independent of the other refuters. A network's simulations
//! of one refuter share their shapes and train as members of packs
//! (`refit.rs`), with the bytes each has alone.

use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand_distr::{Distribution, StandardNormal};

use super::bootstrap::{resample, rows};
use super::pipeline::stream;
use super::refit::{Copy, finite_effects, refit_all};
use crate::data::{CausalData, Split, Truth};
use crate::estimate::neural::pack::PackLimit;
use crate::estimate::{Estimand, Estimator};
use crate::rng::RunRng;
use crate::spec::{Refuter, Refuters};

/// Above the bootstrap streams (`bootstrap.rs`); refuter r uses 2^24 of them.
const REFUTE_STREAM: u64 = 1 << 40;

/// One refuter's outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Refutation {
    /// The mean of the refitted estimates (DoWhy's "new effect").
    pub estimate: f64,
    pub p_value: f64,
    pub passes: bool,
}

/// DoWhy's p-value of `value` against `simulations` (see the module doc).
pub fn p_value(value: f64, simulations: &[f64]) -> f64 {
    let n = simulations.len() as f64;
    if simulations.len() >= 100 {
        let h = simulations
            .iter()
            .map(|&x| {
                if x > value {
                    1.0
                } else if x == value {
                    0.5
                } else {
                    0.0
                }
            })
            .sum::<f64>()
            / n;
        2.0 * h.min(1.0 - h)
    } else {
        let mean = simulations.iter().sum::<f64>() / n;
        let sd = (simulations.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        // Refits that do not vary (an estimator that ignores what the refuter
        // changed, such as `naive` and a random common cause) have a spread of
        // rounding error: the value is in their distribution exactly when it
        // equals them, where DoWhy's z-score would divide rounding by rounding.
        let scale = 1e-9 * (1.0 + mean.abs());
        if sd <= scale {
            return if (value - mean).abs() <= scale { 1.0 } else { 0.0 };
        }
        // 2 (1 - Φ(|z|)) = erfc(|z| / √2).
        let z = (value - mean) / sd;
        libm::erfc(z.abs() / std::f64::consts::SQRT_2)
    }
}

fn with_columns(covariates: Vec<Vec<f64>>, names: Vec<String>, treatment: Vec<f64>, outcome: Vec<f64>) -> CausalData {
    CausalData { covariate_names: names, covariates, treatment, outcome, truth: Truth::None }
}

/// The changed copy of simulation `rng` of `refuter`, and the value it tests.
fn changed(
    refuter: Refuter,
    cfg: &Refuters,
    data: &CausalData,
    split: &Split,
    estimate: f64,
    rng: &mut RunRng,
) -> (CausalData, Split, f64) {
    let n = data.n_rows();
    let normal = |rng: &mut RunRng, k: usize| -> Vec<f64> { (0..k).map(|_| StandardNormal.sample(rng)).collect() };
    match refuter {
        Refuter::PlaceboPermute => {
            let mut treatment = data.treatment.clone();
            treatment.shuffle(rng);
            let d =
                with_columns(data.covariates.clone(), data.covariate_names.clone(), treatment, data.outcome.clone());
            (d, split.clone(), 0.0)
        }
        Refuter::PlaceboRandom => {
            let treatment = (0..n).map(|_| if rng.random_bool(0.5) { 1.0 } else { 0.0 }).collect();
            let d =
                with_columns(data.covariates.clone(), data.covariate_names.clone(), treatment, data.outcome.clone());
            (d, split.clone(), 0.0)
        }
        Refuter::RandomCommonCause => {
            let mut covariates = data.covariates.clone();
            covariates.push(normal(rng, n));
            let mut names = data.covariate_names.clone();
            names.push("w_random".into());
            (with_columns(covariates, names, data.treatment.clone(), data.outcome.clone()), split.clone(), estimate)
        }
        Refuter::DataSubset => {
            let (d, s) = rows(data, split, |part| {
                let keep = (cfg.subset_fraction * part.len() as f64).round() as usize;
                let mut chosen: Vec<usize> = part.choose_multiple(rng, keep).copied().collect();
                chosen.sort_unstable();
                chosen
            });
            (d, s, estimate)
        }
        Refuter::BootstrapNoise => {
            let (mut d, s) = rows(data, split, |part| resample(part, rng));
            for column in &mut d.covariates {
                if column.iter().all(|&v| v == 0.0 || v == 1.0) {
                    for v in column.iter_mut() {
                        if rng.random_bool(cfg.noise) {
                            *v = 1.0 - *v;
                        }
                    }
                } else {
                    let k = column.len() as f64;
                    let mean = column.iter().sum::<f64>() / k;
                    let sd = (column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0)).sqrt();
                    for v in column.iter_mut() {
                        let z: f64 = StandardNormal.sample(rng);
                        *v += z * cfg.noise * sd;
                    }
                }
            }
            (d, s, estimate)
        }
        Refuter::DummyOutcome => {
            let outcome = normal(rng, n);
            let d =
                with_columns(data.covariates.clone(), data.covariate_names.clone(), data.treatment.clone(), outcome);
            (d, split.clone(), 0.0)
        }
    }
}

/// Run `refuter` `cfg.simulations` times, a network's refits in packs within
/// `limit`, each contributing its estimate of `estimand` (`Estimate::effect`),
/// `estimate` the run's; None when fewer than two refits give a finite estimate.
#[allow(clippy::too_many_arguments)]
pub fn refute(
    refuter: Refuter,
    cfg: &Refuters,
    estimator: &dyn Estimator,
    data: &CausalData,
    split: &Split,
    estimand: Estimand,
    estimate: f64,
    seed: u64,
    limit: PackLimit,
) -> Option<Refutation> {
    let base = REFUTE_STREAM + ((refuter as u64) << 24);
    let mut tested = 0.0;
    let fits = refit_all(estimator, cfg.simulations, limit, |s| {
        let (data, split, value) = changed(refuter, cfg, data, split, estimate, &mut stream(seed, base + 2 * s));
        tested = value;
        Copy { data, split, rng: stream(seed, base + 2 * s + 1) }
    });
    let simulations = finite_effects(&fits, estimand);
    if simulations.len() < 2 {
        return None;
    }
    let p = p_value(tested, &simulations);
    Some(Refutation {
        estimate: simulations.iter().sum::<f64>() / simulations.len() as f64,
        p_value: p,
        passes: p > 0.05,
    })
}

/// The named values of every declared refuter, in `Refuter::ALL` order:
/// `refute_<name>_estimate`, `_p` and `_passes` (1 or 0).
#[allow(clippy::too_many_arguments)]
pub fn refutation_values(
    cfg: &Refuters,
    estimator: &dyn Estimator,
    data: &CausalData,
    split: &Split,
    estimand: Estimand,
    estimate: f64,
    seed: u64,
    limit: PackLimit,
) -> Vec<(String, Option<f64>)> {
    let mut out = Vec::new();
    for &r in &cfg.tests {
        let result = refute(r, cfg, estimator, data, split, estimand, estimate, seed, limit);
        let name = format!("refute_{}", r.name());
        out.extend([
            (format!("{name}_estimate"), result.map(|x| x.estimate)),
            (format!("{name}_p"), result.map(|x| x.p_value)),
            (format!("{name}_passes"), result.map(|x| if x.passes { 1.0 } else { 0.0 })),
        ]);
    }
    out
}

/// The names of `refutation_values`, every value None: a run without an
/// estimate of the estimand (an ATT the method does not estimate).
pub fn no_refutation_values(cfg: &Refuters) -> Vec<(String, Option<f64>)> {
    cfg.tests
        .iter()
        .flat_map(|r| ["estimate", "p", "passes"].map(|v| (format!("refute_{}_{v}", r.name()), None)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::classical::Naive;

    #[test]
    fn percentile_p_value_is_two_sided() {
        let sims: Vec<f64> = (0..100).map(|i| i as f64).collect();
        // 10 of 100 above 89.5: h = 0.1, p = 0.2.
        assert!((p_value(89.5, &sims) - 0.2).abs() < 1e-12);
        assert!((p_value(9.5, &sims) - 0.2).abs() < 1e-12);
        // A value equal to a simulation counts half.
        assert!((p_value(50.0, &sims) - 2.0 * (0.49_f64 + 0.005).min(1.0 - 0.495)).abs() < 1e-12);
        assert_eq!(p_value(1000.0, &sims), 0.0);
    }

    #[test]
    fn z_test_below_100_simulations() {
        let sims = [-1.0, 1.0]; // mean 0, population sd 1
        assert!((p_value(1.959963984540054, &sims) - 0.05).abs() < 1e-9);
        assert!((p_value(0.0, &sims) - 1.0).abs() < 1e-12);
        // No spread: in the distribution exactly when equal (up to rounding).
        let flat = [2.0, 2.0 + 4e-16, 2.0];
        assert_eq!(p_value(2.0, &flat), 1.0);
        assert_eq!(p_value(2.1, &flat), 0.0);
    }

    fn confounded(n: usize) -> CausalData {
        let mut rng = stream(5, 0);
        let x: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
        let t: Vec<f64> =
            x.iter().map(|&x| if rng.random_bool(if x > 0.0 { 0.8 } else { 0.2 }) { 1.0 } else { 0.0 }).collect();
        let y: Vec<f64> = x
            .iter()
            .zip(&t)
            .map(|(&x, &t)| {
                let e: f64 = StandardNormal.sample(&mut rng);
                2.0 * t + 3.0 * x + e
            })
            .collect();
        CausalData {
            covariate_names: vec!["x".into()],
            covariates: vec![x],
            treatment: t,
            outcome: y,
            truth: Truth::None,
        }
    }

    #[test]
    fn placebo_and_dummy_outcome_pass_and_are_byte_stable() {
        let d = confounded(400);
        let split = Split { train: (0..400).collect(), validation: vec![], test: vec![] };
        let est = Naive.estimate(&d.observed(&split), &mut stream(1, 2)).unwrap().ate;
        let cfg = Refuters { simulations: 50, tests: Refuter::ALL.to_vec(), subset_fraction: 0.8, noise: 0.1 };
        for r in [Refuter::PlaceboPermute, Refuter::PlaceboRandom, Refuter::DummyOutcome] {
            let a = refute(r, &cfg, &Naive, &d, &split, Estimand::Ate, est, 9, PackLimit::ALONE).unwrap();
            assert!(a.passes && a.estimate.abs() < 0.5, "{r:?}: {a:?}");
            assert_eq!(Some(a), refute(r, &cfg, &Naive, &d, &split, Estimand::Ate, est, 9, PackLimit::ALONE));
        }
        // The naive estimate is badly confounded, yet the data-based refuters pass:
        // they cannot see confounding.
        for r in [Refuter::RandomCommonCause, Refuter::DataSubset, Refuter::BootstrapNoise] {
            let a = refute(r, &cfg, &Naive, &d, &split, Estimand::Ate, est, 9, PackLimit::ALONE).unwrap();
            assert!(a.passes, "{r:?}: {a:?}");
        }
        assert!(est > 4.0, "{est}");
    }

    /// Of the ATT, `naive` refutes as of the ATE (its ATT is its difference in
    /// means, a placebo's over the placebo's treated rows); a run without an
    /// estimate of the estimand has every refuter's columns, empty.
    #[test]
    fn the_att_refutation_of_naive_is_its_ate_refutation() {
        let d = confounded(200);
        let split = Split { train: (0..200).collect(), validation: vec![], test: vec![] };
        let est = Naive.estimate(&d.observed(&split), &mut stream(1, 2)).unwrap().ate;
        let cfg = Refuters { simulations: 10, tests: Refuter::ALL.to_vec(), subset_fraction: 0.8, noise: 0.1 };
        let values = |estimand| refutation_values(&cfg, &Naive, &d, &split, estimand, est, 9, PackLimit::ALONE);
        let att = values(Estimand::Att);
        assert_eq!(att, values(Estimand::Ate));
        let empty = no_refutation_values(&cfg);
        assert_eq!(empty.iter().map(|(n, _)| n).collect::<Vec<_>>(), att.iter().map(|(n, _)| n).collect::<Vec<_>>());
        assert!(empty.iter().all(|(_, v)| v.is_none()) && att.iter().all(|(_, v)| v.is_some()));
    }
}
