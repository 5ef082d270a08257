//! Inputs an estimator cannot fit become `EstimateError::Failed` with a reason a
//! person can act on, never a panic: a singular design, an empty arm, a NaN left
//! by preprocessing, a fold with one arm missing, a caliper nothing fits in.

use causeway::data::{CausalData, Split, Truth};
use causeway::estimate::{EstimateError, Params, build, classical_kinds, resolve};
use causeway::run::RunRng;
use rand::SeedableRng;

fn data(covariates: Vec<Vec<f64>>, treatment: Vec<f64>) -> CausalData {
    let n = treatment.len();
    CausalData {
        covariate_names: (0..covariates.len()).map(|j| format!("x{j}")).collect(),
        covariates,
        outcome: (0..n).map(|i| (i % 5) as f64 + treatment[i]).collect(),
        treatment,
        truth: Truth::None,
    }
}

fn all_in_sample(n: usize) -> Split {
    Split { train: (0..n).collect(), validation: vec![], test: vec![] }
}

fn failure(kind: &str, user: Params, data: &CausalData) -> String {
    let params = resolve(kind, &user).unwrap();
    let result = build(kind, &params)
        .unwrap()
        .estimate(&data.observed(&all_in_sample(data.n_rows())), &mut RunRng::seed_from_u64(0));
    match result {
        Err(e @ EstimateError::Failed { .. }) => e.to_string(),
        other => panic!("{kind}: expected a failed run, got {other:?}"),
    }
}

fn alternating(n: usize) -> Vec<f64> {
    (0..n).map(|i| (i % 2) as f64).collect()
}

fn spread(n: usize, k: f64) -> Vec<f64> {
    (0..n).map(|i| ((i as f64) * k).sin()).collect()
}

#[test]
fn duplicated_covariate_is_a_singular_design() {
    let x = spread(40, 0.7);
    let d = data(vec![x.clone(), x.iter().map(|v| 2.0 * v).collect()], alternating(40));
    insta::assert_snapshot!(failure("ols", Params::new(), &d), @"ols: singular design: column `x1` is (nearly) a linear combination of the columns before it; drop it or choose another adjustment set");
    insta::assert_snapshot!(failure("aipw", Params::new(), &d), @"aipw: outcome model of the treated in fold 1: singular design: column `x1` is (nearly) a linear combination of the columns before it; drop it or choose another adjustment set");
}

#[test]
fn constant_covariate_in_one_arm_breaks_the_interacted_model() {
    // x1 varies only among the controls, so t * x1 is a multiple of t.
    let t = alternating(40);
    let x1: Vec<f64> = (0..40).map(|i| if i % 2 == 1 { 0.0 } else { (i as f64).sqrt() }).collect();
    let d = data(vec![spread(40, 0.7), x1], t);
    insta::assert_snapshot!(failure("ols_interact", Params::new(), &d), @"ols_interact: singular design: column `treatment:x1` is (nearly) a linear combination of the columns before it; drop it or choose another adjustment set");
}

#[test]
fn every_estimator_fails_cleanly_without_treated_rows() {
    let d = data(vec![spread(20, 0.3)], vec![0.0; 20]);
    for kind in classical_kinds() {
        assert_eq!(
            failure(kind, Params::new(), &d),
            format!("{kind}: no treated rows in the sample; the effect is not estimable")
        );
    }
}

#[test]
fn every_estimator_fails_cleanly_on_a_missing_covariate() {
    let mut x = spread(20, 0.3);
    x[7] = f64::NAN;
    let d = data(vec![x], alternating(20));
    for kind in classical_kinds() {
        let message = failure(kind, Params::new(), &d);
        assert!(
            message.ends_with("covariate `x0` is missing or non-finite in row 7; impute it in `preprocess`"),
            "{message}"
        );
    }
}

#[test]
fn every_estimator_survives_perfect_separation() {
    // t = [x > 0]: the propensity MLE does not exist; the ridge keeps it finite,
    // clipping bounds the weights, and no estimator panics.
    let x = spread(60, 0.37);
    let t: Vec<f64> = x.iter().map(|&v| if v > 0.0 { 1.0 } else { 0.0 }).collect();
    let d = data(vec![x], t);
    for kind in classical_kinds() {
        let params = resolve(kind, &Params::new()).unwrap();
        let result =
            build(kind, &params).unwrap().estimate(&d.observed(&all_in_sample(60)), &mut RunRng::seed_from_u64(0));
        let est = result.unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(est.ate.is_finite(), "{kind}: {est:?}");
    }
}

#[test]
fn too_many_folds_for_a_small_arm() {
    // Two treated rows and five folds: some fold's training part has one treated row
    // at most, too few for an intercept-and-slope outcome model.
    let t: Vec<f64> = (0..30).map(|i| if i == 3 || i == 17 { 1.0 } else { 0.0 }).collect();
    let d = data(vec![spread(30, 0.5)], t);
    insta::assert_snapshot!(failure("aipw", Params::new(), &d), @"aipw: outcome model of the treated in fold 3: too few rows to fit: 2 parameters need at least 2 rows, got 1");
}

#[test]
fn a_tiny_caliper_matches_nothing() {
    let d = data(vec![spread(30, 0.5)], alternating(30));
    let mut user = Params::new();
    user.insert("caliper".into(), 1e-9.into());
    insta::assert_snapshot!(failure("matching", user, &d), @"matching: no row has a match within the caliper; widen `caliper`");
}

#[test]
fn overflowing_outcomes_fail_instead_of_returning_nan() {
    // Finite inputs whose sums overflow. Where an estimator's arithmetic overflows,
    // the factory's guard reports a diverged run; no NaN reaches the caller.
    let mut d = data(vec![spread(40, 0.7)], alternating(40));
    d.outcome = (0..40).map(|i| if i % 3 == 0 { 1.7e308 } else { -1.7e308 }).collect();
    let mut diverged = vec![];
    for kind in classical_kinds() {
        let params = resolve(kind, &Params::new()).unwrap();
        match build(kind, &params).unwrap().estimate(&d.observed(&all_in_sample(40)), &mut RunRng::seed_from_u64(0)) {
            Ok(est) => assert!(est.ate.is_finite(), "{kind}: {est:?}"),
            Err(e) => {
                assert!(e.to_string().starts_with(&format!("{kind}: the estimate diverged: ")), "{e}");
                diverged.push(kind);
            }
        }
    }
    assert_eq!(diverged, ["naive", "ols", "ols_interact", "ipw", "aipw", "frontdoor"]);
}
