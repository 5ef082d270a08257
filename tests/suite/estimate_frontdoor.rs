//! Reference tests of the front-door estimator: recovery of a known effect that
//! a latent confounder hides from every backdoor estimator, exact agreement with
//! the nonparametric front-door formula on discrete mediators (Pearl 2009,
//! Causality, eq. 3.29, by brute-force cell counts), bootstrap coverage, the
//! failures a user can cause, and the smoking scenario end to end.

use std::path::PathBuf;

use causeway::app::{self, RunArgs};
use causeway::data::{CausalData, Split, SplitFractions, Truth};
use causeway::estimate::{Estimate, EstimateError, Metric, Params, build, resolve, score};
use causeway::report::ProgressMode;
use causeway::run::RunRng;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_distr::{Bernoulli, Distribution, Normal, Uniform};

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

fn bootstrap(b: usize) -> Params {
    let mut p = Params::new();
    p.insert("bootstrap".into(), b.into());
    p
}

fn try_run(kind: &str, user: Params, data: &CausalData, split: &Split, seed: u64) -> Result<Estimate, EstimateError> {
    let params = resolve(kind, &user)?;
    build(kind, &params)?.estimate(&data.observed(split), &mut RunRng::seed_from_u64(seed))
}

fn run(kind: &str, user: Params, data: &CausalData, split: &Split, seed: u64) -> Estimate {
    try_run(kind, user, data, split, seed).unwrap_or_else(|e| panic!("{kind}: {e}"))
}

fn all_in_sample(n: usize) -> Split {
    Split { train: (0..n).collect(), validation: vec![], test: vec![] }
}

/// U ~ N(0,1) latent; T ~ Bernoulli(sigmoid(1.5 U)); M = 0.5 + 2 T + N(0,1);
/// Y = 1 + 0.8 M + 3 U + N(0,1). The effect runs only through M, so the ATE is
/// the product of the path coefficients, 2 * 0.8 = 1.6, for every row. The
/// covariate handed to estimators is M alone: U is never observed.
fn linear_front_door(n: usize, seed: u64) -> (CausalData, Split) {
    let mut rng = RunRng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).unwrap();
    let u: Vec<f64> = (0..n).map(|_| normal.sample(&mut rng)).collect();
    let t: Vec<f64> =
        u.iter().map(|&u| f64::from(Bernoulli::new(sigmoid(1.5 * u)).unwrap().sample(&mut rng))).collect();
    let m: Vec<f64> = t.iter().map(|t| 0.5 + 2.0 * t + normal.sample(&mut rng)).collect();
    let outcome = (0..n).map(|i| 1.0 + 0.8 * m[i] + 3.0 * u[i] + normal.sample(&mut rng)).collect();
    let mu0: Vec<f64> = u.iter().map(|u| 1.0 + 0.8 * 0.5 + 3.0 * u).collect();
    let mu1: Vec<f64> = mu0.iter().map(|v| v + 1.6).collect();
    let split = Split::draw(n, SplitFractions { test: 0.1, validation: 0.2 }, &mut rng);
    let data = CausalData {
        covariate_names: vec!["m".into()],
        covariates: vec![m],
        treatment: t,
        outcome,
        truth: Truth::Potential { mu0, mu1 },
    };
    (data, split)
}

#[test]
fn front_door_recovers_the_effect_that_backdoor_estimators_miss() {
    let (data, split) = linear_front_door(4000, 3);
    let naive = run("naive", Params::new(), &data, &split, 0);
    // Regressing on T and M blocks the causal path and keeps the confounding:
    // its T coefficient is 3 (E[U | T=1] - E[U | T=0]), about 3, not 1.6.
    let ols = run("ols", Params::new(), &data, &split, 0);
    let fd = run("frontdoor", Params::new(), &data, &split, 0);
    eprintln!("naive {} ols {} frontdoor {} att {:?} interval {:?}", naive.ate, ols.ate, fd.ate, fd.att, fd.interval);
    assert!(naive.ate - 1.6 > 2.0, "naive {}", naive.ate);
    assert!((ols.ate - 1.6).abs() > 1.0, "ols with the mediator {}", ols.ate);
    assert!((fd.ate - 1.6).abs() < 0.3, "frontdoor {}", fd.ate);
    assert!((fd.att.unwrap() - 1.6).abs() < 0.3, "frontdoor att {:?}", fd.att);
    let (lo, hi) = fd.interval.unwrap();
    assert!(lo < 1.6 && 1.6 < hi && hi - lo < 0.8, "interval ({lo}, {hi})");
    assert_eq!(fd.ite, None);
}

#[test]
fn front_door_is_unbiased_over_replications() {
    let mean_ate = |kind: &str| {
        let total: f64 = (0..20u64)
            .map(|s| {
                let (data, split) = linear_front_door(1000, 200 + s);
                run(kind, bootstrap(0), &data, &split, s).ate
            })
            .sum();
        total / 20.0
    };
    let fd = mean_ate("frontdoor");
    eprintln!("mean frontdoor ate over 20 seeds: {fd}");
    // One estimate has sd about 0.2 at n = 1000, so the mean of 20 has sd about 0.045.
    assert!((fd - 1.6).abs() < 0.15, "mean frontdoor ate {fd}");
}

/// The percentile interval should cover the true in-sample ATE in about 95% of
/// replications; fewer than 32 of 40 has probability below 1e-3 if it does. The
/// width bound keeps an interval that covers by being huge from passing.
#[test]
fn bootstrap_interval_covers_in_most_seeds() {
    let (mut covered, mut width) = (0.0, 0.0);
    for s in 0..40u64 {
        let (data, split) = linear_front_door(1000, 5000 + s);
        let est = run("frontdoor", Params::new(), &data, &split, s);
        covered += score(&[Metric::Coverage], &est, &data, &split)[0].1.unwrap();
        let (lo, hi) = est.interval.unwrap();
        width += (hi - lo) / 40.0;
    }
    eprintln!("frontdoor covered {covered} of 40, mean width {width}");
    assert!((32.0..=40.0).contains(&covered), "covered {covered} of 40");
    assert!(width < 1.5, "mean interval width {width}");
}

#[test]
fn the_bootstrap_is_a_pure_function_of_the_run_seed() {
    let (data, split) = linear_front_door(500, 9);
    let a = run("frontdoor", Params::new(), &data, &split, 1);
    assert_eq!(a, run("frontdoor", Params::new(), &data, &split, 1));
    let b = run("frontdoor", Params::new(), &data, &split, 2);
    assert_eq!(a.ate, b.ate, "the point estimate does not resample");
    assert_ne!(a.interval, b.interval, "another seed draws other replicates");
    assert_eq!(run("frontdoor", bootstrap(0), &data, &split, 1).interval, None);
}

/// P(M = m | T = t) for m = 0, 1, 2. Treatment leaves the mediator's mean at 1
/// and spreads it out: E[M^2] goes from 1.2 to 1.9.
const M_GIVEN_T: [[f64; 3]; 2] = [[0.1, 0.8, 0.1], [0.45, 0.1, 0.45]];

/// A mediator with three levels and an outcome nonlinear in it and modified by
/// the latent U: Y = M^2 + M U + 3 U + N(0,1), with U ~ N(0,1) confounding T as
/// above and M | T drawn from `M_GIVEN_T`. Row i's potential outcomes are
/// mu_t = sum_m P(m | t) (m^2 + m U_i) + 3 U_i, so tau_i = 1.9 - 1.2 = 0.7.
/// `one_hot` codes M as indicators of M = 1 and M = 2 (a saturated design);
/// otherwise M is one numeric column, on which a linear g is misspecified.
fn discrete_front_door(n: usize, seed: u64, one_hot: bool) -> CausalData {
    let mut rng = RunRng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).unwrap();
    let uniform = Uniform::new(0.0, 1.0).unwrap();
    let u: Vec<f64> = (0..n).map(|_| normal.sample(&mut rng)).collect();
    let t: Vec<f64> =
        u.iter().map(|&u| f64::from(Bernoulli::new(sigmoid(1.5 * u)).unwrap().sample(&mut rng))).collect();
    let m: Vec<f64> = t.iter().map(|&t| draw_level(&M_GIVEN_T[t as usize], uniform.sample(&mut rng))).collect();
    let outcome = (0..n).map(|i| m[i] * m[i] + m[i] * u[i] + 3.0 * u[i] + normal.sample(&mut rng)).collect();
    let expected = |arm: usize, u: f64| {
        (0..3).map(|l| M_GIVEN_T[arm][l] * (l * l) as f64 + M_GIVEN_T[arm][l] * l as f64 * u).sum::<f64>() + 3.0 * u
    };
    let mu0 = u.iter().map(|&u| expected(0, u)).collect();
    let mu1 = u.iter().map(|&u| expected(1, u)).collect();
    let (covariate_names, covariates) = if one_hot {
        let indicator = |level: f64| m.iter().map(|&v| f64::from(v == level)).collect::<Vec<f64>>();
        (vec!["m1".into(), "m2".into()], vec![indicator(1.0), indicator(2.0)])
    } else {
        (vec!["m".into()], vec![m])
    };
    CausalData { covariate_names, covariates, treatment: t, outcome, truth: Truth::Potential { mu0, mu1 } }
}

fn draw_level(probs: &[f64; 3], r: f64) -> f64 {
    if r < probs[0] {
        0.0
    } else if r < probs[0] + probs[1] {
        1.0
    } else {
        2.0
    }
}

/// The level of a discrete mediator from its indicator columns (0 when none is set).
fn level(data: &CausalData, i: usize) -> usize {
    (0..data.n_covariates()).find(|&j| data.covariates[j][i] > 0.5).map_or(0, |j| j + 1)
}

/// Oracle: eq. 3.29 and the front-door ETT from cell counts and cell means,
/// (ATE, ATT); None when a (t, m) cell is empty.
fn brute_force_front_door(data: &CausalData, levels: usize) -> Option<(f64, f64)> {
    let n = data.n_rows() as f64;
    let (mut count, mut sum) = (vec![[0.0; 2]; levels], vec![[0.0; 2]; levels]);
    for i in 0..data.n_rows() {
        let t = usize::from(data.is_treated(i));
        count[level(data, i)][t] += 1.0;
        sum[level(data, i)][t] += data.outcome[i];
    }
    let arm = |t: usize| (0..levels).map(|m| count[m][t]).sum::<f64>();
    let cell_mean = |m: usize, t: usize| sum[m][t] / count[m][t];
    if count.iter().any(|c| c[0] == 0.0 || c[1] == 0.0) {
        return None;
    }
    let p1 = arm(1) / n;
    let inner = |m: usize| (1.0 - p1) * cell_mean(m, 0) + p1 * cell_mean(m, 1);
    let over_m = |t: usize, f: &dyn Fn(usize) -> f64| (0..levels).map(|m| count[m][t] / arm(t) * f(m)).sum::<f64>();
    let ate = over_m(1, &inner) - over_m(0, &inner);
    let att = over_m(1, &|m| cell_mean(m, 1)) - over_m(0, &|m| cell_mean(m, 1));
    Some((ate, att))
}

#[test]
fn discrete_mediator_nonlinear_outcome_is_exact() {
    let data = discrete_front_door(4000, 17, true);
    let split = all_in_sample(data.n_rows());
    let est = run("frontdoor", bootstrap(0), &data, &split, 0);
    let (ate, att) = brute_force_front_door(&data, 3).unwrap();
    assert!((est.ate - ate).abs() < 1e-9, "plug-in {} vs formula {ate}", est.ate);
    assert!((est.att.unwrap() - att).abs() < 1e-9, "plug-in {:?} vs formula {att}", est.att);
    let errors = score(&[Metric::AteError, Metric::AttError], &est, &data, &split);
    let (ate_error, att_error) = (errors[0].1.unwrap(), errors[1].1.unwrap());
    // The same mediator as one numeric column: g linear in M sees only the
    // mediator's mean, which treatment does not move, so it finds no effect.
    let numeric = discrete_front_door(4000, 17, false);
    let wrong = run("frontdoor", bootstrap(0), &numeric, &split, 0);
    let wrong_error = score(&[Metric::AteError], &wrong, &numeric, &split)[0].1.unwrap();
    eprintln!("ate error: one-hot {ate_error}, numeric {wrong_error}; att error {att_error}");
    assert!(ate_error < 0.2, "one-hot ate error {ate_error}");
    assert!(att_error < 0.25, "one-hot att error {att_error}");
    assert!(wrong_error > 0.4, "numeric ate error {wrong_error}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// On any data with a discrete mediator coded as indicators, the plug-in
    /// equals the nonparametric front-door formula: the regression is saturated
    /// in (T, M), so g is the table of cell means.
    #[test]
    fn plug_in_matches_the_formula_on_discrete_mediators(
        rows in proptest::collection::vec((any::<bool>(), 0usize..3, -5.0f64..5.0), 12..60)
    ) {
        let indicator = |l: usize| rows.iter().map(|r| f64::from(r.1 == l)).collect::<Vec<f64>>();
        let data = CausalData {
            covariate_names: vec!["m1".into(), "m2".into()],
            covariates: vec![indicator(1), indicator(2)],
            treatment: rows.iter().map(|r| f64::from(r.0)).collect(),
            outcome: rows.iter().map(|r| r.2).collect(),
            truth: Truth::None,
        };
        let oracle = brute_force_front_door(&data, 3);
        prop_assume!(oracle.is_some());
        let (ate, att) = oracle.unwrap();
        let est = run("frontdoor", bootstrap(0), &data, &all_in_sample(data.n_rows()), 0);
        prop_assert!((est.ate - ate).abs() < 1e-9, "plug-in {} vs formula {}", est.ate, ate);
        prop_assert!((est.att.unwrap() - att).abs() < 1e-9, "plug-in {:?} vs formula {}", est.att, att);
    }
}

fn failure(user: Params, data: &CausalData) -> String {
    match try_run("frontdoor", user, data, &all_in_sample(data.n_rows()), 0) {
        Err(e) => e.to_string(),
        Ok(est) => panic!("expected a failure, got {est:?}"),
    }
}

#[test]
fn failures_a_user_can_cause() {
    let (data, _) = linear_front_door(60, 1);
    let mut typo = Params::new();
    typo.insert("bootstrp".into(), 100.into());
    let no_mediators = CausalData { covariate_names: vec![], covariates: vec![], ..data.clone() };
    // The mediator is constant among the treated, so treatment:m is a multiple of treatment.
    let mut constant_in_arm = data.clone();
    for i in 0..data.n_rows() {
        if data.is_treated(i) {
            constant_in_arm.covariates[0][i] = 2.0;
        }
    }
    let no_treated = CausalData { treatment: vec![0.0; data.n_rows()], ..data.clone() };
    let messages = [
        failure(typo, &data),
        failure(bootstrap(5), &data),
        failure(Params::new(), &no_mediators),
        failure(Params::new(), &constant_in_arm),
        failure(Params::new(), &no_treated),
    ];
    insta::assert_snapshot!("failures", messages.join("\n"));
}

/// The scenario of experiments/medical/smoking-frontdoor.yaml through the runner:
/// every backdoor estimator run is refused with the graph's reason (a correct
/// refusal, so the runner exits 0), and the front-door estimate is close to the
/// true 1.6.
#[test]
fn smoking_scenario_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let args = RunArgs {
        paths: vec![PathBuf::from("experiments/medical/smoking-frontdoor.yaml")],
        jobs: 2,
        pack: causeway::run::DEFAULT_PACK,
        pack_memory: None,
        results: dir.path().join("results"),
        cache: dir.path().join("cache"),
        root: PathBuf::from("."),
        fail_fast: false,
        progress: ProgressMode::Quiet,
    };
    assert_eq!(app::run_command(&args).unwrap(), app::Completion::Ok);
    let runs_csv = std::fs::read_to_string(dir.path().join("results/medical-smoking-frontdoor/runs.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(runs_csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (kind, status, reason, error) = (col("kind"), col("status"), col("reason"), col("ate_error"));
    let mut reasons = std::collections::BTreeSet::new();
    let mut frontdoor_errors = vec![];
    for record in reader.records() {
        let r = record.unwrap();
        match &r[kind] {
            "ols" | "aipw" => {
                assert_eq!(&r[status], "refused");
                reasons.insert(r[reason].to_string());
            }
            "frontdoor" => {
                assert_eq!(&r[status], "ok", "{}", &r[reason]);
                frontdoor_errors.push(r[error].parse::<f64>().unwrap());
            }
            _ => {}
        }
    }
    assert_eq!(frontdoor_errors.len(), 15);
    let mean_error = frontdoor_errors.iter().sum::<f64>() / 15.0;
    assert!(mean_error < 0.3, "mean front-door ate error {mean_error}");
    insta::assert_snapshot!("smoking_refusals", reasons.into_iter().collect::<Vec<_>>().join("\n"));
    let report = std::fs::read_to_string(dir.path().join("results/medical-smoking-frontdoor/report.md")).unwrap();
    assert!(report.contains("front-door set: {tar}"), "{report}");
}
