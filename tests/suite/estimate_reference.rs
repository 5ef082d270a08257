//! Reference tests of the classical estimators: closed-form answers on tiny hand
//! examples, and recovery of a known effect on simulated confounded data, with
//! tolerances that the confounded difference in means fails.

use causeway::data::{CausalData, Split, SplitFractions, Truth};
use causeway::estimate::{Estimate, Metric, Params, build, resolve, score};
use causeway::run::RunRng;
use rand::SeedableRng;
use rand_distr::{Bernoulli, Distribution, Normal};

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// x ~ N(0,1), t ~ Bernoulli(sigmoid(1.5 x)), y = 1 + (2 + h x) t + 3 x + N(0,1).
/// The true effect is 2 + h x; confounding through x biases the difference in
/// means upwards by 3 (E[x | t=1] - E[x | t=0]), about 3.3.
fn linear_scm(n: usize, h: f64, seed: u64) -> (CausalData, Split) {
    let mut rng = RunRng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).unwrap();
    let x: Vec<f64> = (0..n).map(|_| normal.sample(&mut rng)).collect();
    let t: Vec<f64> =
        x.iter().map(|&x| if Bernoulli::new(sigmoid(1.5 * x)).unwrap().sample(&mut rng) { 1.0 } else { 0.0 }).collect();
    let mu0: Vec<f64> = x.iter().map(|x| 1.0 + 3.0 * x).collect();
    let mu1: Vec<f64> = x.iter().map(|x| 3.0 + h * x + 3.0 * x).collect();
    let outcome = (0..n).map(|i| if t[i] > 0.5 { mu1[i] } else { mu0[i] } + normal.sample(&mut rng)).collect();
    let split = Split::draw(n, SplitFractions { test: 0.2, validation: 0.2 }, &mut rng);
    let data = CausalData {
        covariate_names: vec!["x".into()],
        covariates: vec![x],
        treatment: t,
        outcome,
        truth: Truth::Potential { mu0, mu1 },
    };
    (data, split)
}

fn run(kind: &str, user: Params, data: &CausalData, split: &Split, seed: u64) -> Estimate {
    let params = resolve(kind, &user).unwrap();
    build(kind, &params).unwrap().estimate(&data.observed(split), &mut RunRng::seed_from_u64(seed)).unwrap()
}

fn all_in_sample(n: usize) -> Split {
    Split { train: (0..n).collect(), validation: vec![], test: vec![] }
}

fn hand_data(x: &[f64], t: &[f64], y: &[f64]) -> CausalData {
    CausalData {
        covariate_names: vec!["x".into()],
        covariates: vec![x.to_vec()],
        treatment: t.to_vec(),
        outcome: y.to_vec(),
        truth: Truth::None,
    }
}

#[test]
fn adjusting_estimators_recover_the_effect_that_naive_misses() {
    let (data, split) = linear_scm(2000, 0.0, 11);
    let naive = run("naive", Params::new(), &data, &split, 1);
    assert!(naive.ate - 2.0 > 2.0, "naive should be confounded, got {}", naive.ate);
    for kind in ["ols", "ols_interact", "ipw", "aipw", "matching"] {
        let est = run(kind, Params::new(), &data, &split, 1);
        eprintln!("{kind}: ate {} att {:?} interval {:?}", est.ate, est.att, est.interval);
        assert!((est.ate - 2.0).abs() < 0.4, "{kind}: ate {}", est.ate);
        let att = est.att.unwrap();
        assert!((att - 2.0).abs() < 0.4, "{kind}: att {att}");
    }
}

#[test]
fn ipw_and_aipw_are_unbiased_where_naive_is_not() {
    let seeds = 0..20u64;
    let mean_ate = |kind: &str| {
        seeds
            .clone()
            .map(|s| {
                let (d, sp) = linear_scm(1000, 0.0, 100 + s);
                run(kind, Params::new(), &d, &sp, s).ate
            })
            .sum::<f64>()
            / 20.0
    };
    let (ipw, aipw, naive) = (mean_ate("ipw"), mean_ate("aipw"), mean_ate("naive"));
    eprintln!("mean over 20 seeds: ipw {ipw} aipw {aipw} naive {naive}");
    assert!((ipw - 2.0).abs() < 0.15, "ipw mean {ipw}");
    assert!((aipw - 2.0).abs() < 0.05, "aipw mean {aipw}");
    assert!(naive > 4.5, "naive mean {naive}");
}

#[test]
fn interacted_ols_recovers_heterogeneous_effects_that_plain_ols_cannot() {
    let (data, split) = linear_scm(2000, 1.0, 5);
    let pehe = |kind: &str| {
        let est = run(kind, Params::new(), &data, &split, 0);
        score(&[Metric::PeheOut], &est, &data, &split)[0].1.unwrap()
    };
    // The true effect 2 + x varies with sd 1, so a constant-effect model's PEHE is about 1.
    let (plain, interacted, aipw) = (pehe("ols"), pehe("ols_interact"), pehe("aipw"));
    eprintln!("pehe_out: ols {plain} ols_interact {interacted} aipw {aipw}");
    assert!(plain > 0.8, "ols pehe {plain}");
    assert!(interacted < 0.3, "ols_interact pehe {interacted}");
    assert!(aipw < 0.3, "aipw pehe {aipw}");
}

/// AIPW's 95% interval should cover the true ATE in about 95% of replications;
/// over 40 seeds, fewer than 32 covers (80%) has probability below 1e-3.
#[test]
fn aipw_interval_covers_in_most_seeds() {
    let covered: f64 = (0..40u64)
        .map(|s| {
            let (data, split) = linear_scm(400, 0.0, 1000 + s);
            let est = run("aipw", Params::new(), &data, &split, s);
            score(&[Metric::Coverage], &est, &data, &split)[0].1.unwrap()
        })
        .sum();
    eprintln!("aipw covered {covered} of 40");
    assert!((32.0..=40.0).contains(&covered), "covered {covered} of 40");
}

#[test]
fn aipw_is_a_pure_function_of_its_seed() {
    let (data, split) = linear_scm(300, 0.5, 3);
    let a = run("aipw", Params::new(), &data, &split, 9);
    let b = run("aipw", Params::new(), &data, &split, 9);
    let c = run("aipw", Params::new(), &data, &split, 10);
    assert_eq!(a, b);
    assert_ne!(a.ate.to_bits(), c.ate.to_bits(), "another seed deals other folds");
}

/// Hand example. With design columns (1, t, x), the normal equations are
///   X'X = [[8, 4, 16], [4, 4, 10], [16, 10, 44]],  X'y = (41, 29, 105),
/// whose exact solution is beta = (33/40, 14/5, 29/20): the effect is 14/5. The
/// HC1 variance of the t coefficient, (X'X)^-1 X' diag(e^2) X (X'X)^-1 * n/(n-p),
/// worked in exact fractions, is 3383/25000.
#[test]
fn ols_equals_the_normal_equation_answer() {
    let data = hand_data(
        &[0., 1., 2., 3., 1., 2., 3., 4.],
        &[0., 0., 0., 0., 1., 1., 1., 1.],
        &[1., 2., 4., 5., 5., 6., 9., 9.],
    );
    let est = run("ols", Params::new(), &data, &all_in_sample(8), 0);
    assert!((est.ate - 2.8).abs() < 1e-12, "{}", est.ate);
    assert_eq!(est.att, Some(est.ate));
    assert!(est.ite.unwrap().iter().all(|v| (v - 2.8).abs() < 1e-12));
    let se = (3383.0f64 / 25000.0).sqrt();
    let (lo, hi) = est.interval.unwrap();
    assert!((hi - lo - 2.0 * 1.959963984540054 * se).abs() < 1e-9, "{lo} {hi}");
}

/// Same data, separate lines per arm: control y = 9/10 + 7/5 x, treated
/// y = 7/2 + 3/2 x (each the textbook simple-regression slope and intercept), so
/// the effect is 13/5 + x/10, its mean over the rows 14/5 and over the treated
/// 57/20. The HC1 variance of the t coefficient in Lin's centred, interacted
/// regression, in exact fractions, is 98/625.
#[test]
fn interacted_ols_equals_separate_fits_per_arm() {
    let x = [0., 1., 2., 3., 1., 2., 3., 4.];
    let data = hand_data(&x, &[0., 0., 0., 0., 1., 1., 1., 1.], &[1., 2., 4., 5., 5., 6., 9., 9.]);
    let est = run("ols_interact", Params::new(), &data, &all_in_sample(8), 0);
    assert!((est.ate - 2.8).abs() < 1e-12, "{}", est.ate);
    assert!((est.att.unwrap() - 2.85).abs() < 1e-12);
    for (v, x) in est.ite.unwrap().iter().zip(x) {
        assert!((v - (2.6 + x / 10.0)).abs() < 1e-12);
    }
    let (lo, hi) = est.interval.unwrap();
    assert!((hi - lo - 2.0 * 1.959963984540054 * (98.0f64 / 625.0).sqrt()).abs() < 1e-9);
}

/// Hand example. With one covariate the logit propensity is a + b x, so nearest
/// in the matching score is nearest in x. Treated x = 1 (y 10) and 3 (y 20);
/// controls x = -2 (y 1), 0 (y 4), 2.1 (y 7). Treated 1 matches 0 and treated 3
/// matches 2.1: ATT = ((10 - 4) + (20 - 7)) / 2 = 9.5. The controls match
/// treated 1, 1 and 3: effects 9, 6, 13, so ATE = (6 + 13 + 9 + 6 + 13) / 5 = 9.4.
#[test]
fn matching_att_on_a_hand_example() {
    let data = hand_data(&[1., 3., -2., 0., 2.1], &[1., 1., 0., 0., 0.], &[10., 20., 1., 4., 7.]);
    let est = run("matching", Params::new(), &data, &all_in_sample(5), 0);
    assert!((est.att.unwrap() - 9.5).abs() < 1e-12, "{:?}", est.att);
    assert!((est.ate - 9.4).abs() < 1e-12, "{}", est.ate);
    assert_eq!(est.interval, None);
}

/// The caliper is in sd units of the logit score, a + b x, so in x units it is
/// caliper * sd(x); sd(x) = sqrt(15.048 / 4) = 1.9396, and 0.5 sd = 0.9698 keeps
/// only the pairs (3, 2.1) at distance 0.9: ATT = ATE = 20 - 7 = 13.
#[test]
fn matching_caliper_drops_distant_pairs() {
    let data = hand_data(&[1., 3., -2., 0., 2.1], &[1., 1., 0., 0., 0.], &[10., 20., 1., 4., 7.]);
    let mut user = Params::new();
    user.insert("caliper".into(), 0.5.into());
    let est = run("matching", user, &data, &all_in_sample(5), 0);
    assert!((est.att.unwrap() - 13.0).abs() < 1e-12, "{:?}", est.att);
    assert!((est.ate - 13.0).abs() < 1e-12, "{}", est.ate);
    assert!(est.diagnostics.contains(&("unmatched".to_string(), 3.0)), "{:?}", est.diagnostics);
}
