//! Preprocessing: statistics come from the training rows only, missing values are
//! dropped or imputed as declared, categorical columns become indicators, and the
//! log records all of it.

// Rows are indexed across parallel columns; a zip of four iterators reads worse.
#![allow(clippy::needless_range_loop)]

use std::path::Path;

use causeway::data::{
    BuiltinOptions, CausalData, Impute, PreprocessConfig, PreprocessLog, Split, Truth, fit_transform, load_builtin,
    select_and_drop,
};
use causeway::run::RunRng;
use proptest::prelude::*;
use rand::SeedableRng;

const NAN: f64 = f64::NAN;

fn data(columns: Vec<(&str, Vec<f64>)>) -> CausalData {
    let n = columns[0].1.len();
    CausalData {
        covariate_names: columns.iter().map(|(n, _)| n.to_string()).collect(),
        covariates: columns.into_iter().map(|(_, c)| c).collect(),
        treatment: (0..n).map(|i| (i % 2) as f64).collect(),
        outcome: (0..n).map(|i| i as f64).collect(),
        truth: Truth::Potential { mu0: vec![0.0; n], mu1: (0..n).map(|i| i as f64).collect() },
    }
}

fn split(train: &[usize], validation: &[usize], test: &[usize]) -> Split {
    Split { train: train.to_vec(), validation: validation.to_vec(), test: test.to_vec() }
}

fn names(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

#[test]
fn standardization_uses_training_rows_only() {
    // Train rows 0..4 hold 1, 2, 3, 4 (mean 2.5, sample sd 1.2910); the test row is huge.
    let d = data(vec![("x", vec![1.0, 2.0, 3.0, 4.0, 1000.0])]);
    let cfg = PreprocessConfig { standardize: true, ..Default::default() };
    let mut log = PreprocessLog::default();
    let out = fit_transform(&d, &split(&[0, 1, 2, 3], &[], &[4]), &cfg, &mut log).unwrap();
    let sd = (5.0f64 / 3.0).sqrt();
    let want = [1.0, 2.0, 3.0, 4.0, 1000.0].map(|v| (v - 2.5) / sd);
    for (got, want) in out.covariates[0].iter().zip(want) {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    assert_eq!((log.standardized[0].mean, out.outcome.clone()), (2.5, d.outcome.clone()));
}

#[test]
fn impute_indicators_and_one_hot_with_their_log() {
    let d = data(vec![
        ("age", vec![20.0, NAN, 40.0, 60.0, NAN, 30.0]),
        ("smoker", vec![0.0, 1.0, 1.0, 0.0, 1.0, 0.0]),
        ("education", vec![1.0, 2.0, NAN, 2.0, 3.0, 5.0]),
    ]);
    let cfg = PreprocessConfig {
        impute: Impute::Median,
        indicators: true,
        standardize: true,
        one_hot: names(&["education"]),
        squares: vec![],
        ..Default::default()
    };
    let mut log = PreprocessLog::default();
    let out = fit_transform(&d, &split(&[0, 1, 2, 3], &[4], &[5]), &cfg, &mut log).unwrap();
    assert_eq!(
        out.covariate_names,
        ["age", "age_missing", "smoker", "education_2", "education_missing"].map(String::from),
    );
    // Education level 5 is seen only in the test row, level 3 only in validation:
    // training levels are 1 and 2 (row 2 imputed with the most frequent, 2).
    assert_eq!(log.one_hot[0].created, ["education_2"]);
    insta::assert_snapshot!(log.to_string());
    insta::assert_snapshot!("columns", format!("{:?}\n{:?}", out.covariate_names, out.covariates));
}

#[test]
fn categorical_levels_come_from_training_rows() {
    let d = data(vec![("site", vec![1.0, 2.0, 2.0, 3.0, 4.0])]);
    let cfg = PreprocessConfig { one_hot: names(&["site"]), ..Default::default() };
    let mut log = PreprocessLog::default();
    let out = fit_transform(&d, &split(&[0, 1, 2, 3], &[], &[4]), &cfg, &mut log).unwrap();
    assert_eq!(out.covariate_names, ["site_2", "site_3"]);
    assert_eq!(out.covariates, vec![vec![0.0, 1.0, 1.0, 0.0, 0.0], vec![0.0, 0.0, 0.0, 1.0, 0.0]]);
    assert_eq!(log.columns_created(), ["site_2", "site_3"]);
}

#[test]
fn select_keeps_the_order_given_and_drop_removes_incomplete_rows_with_their_truth() {
    let d = data(vec![("a", vec![1.0, NAN, 3.0]), ("b", vec![4.0, 5.0, 6.0]), ("c", vec![NAN, 8.0, 9.0])]);
    let cfg = PreprocessConfig { impute: Impute::Drop, ..Default::default() };
    let mut log = PreprocessLog::default();
    let out = select_and_drop(&d, &names(&["b", "a"]), &cfg, &mut log).unwrap();
    assert_eq!(out.covariate_names, ["b", "a"]);
    assert_eq!(out.covariates, vec![vec![4.0, 6.0], vec![1.0, 3.0]]);
    assert_eq!((out.treatment.clone(), out.outcome.clone()), (vec![0.0, 0.0], vec![0.0, 2.0]));
    assert_eq!(out.truth, Truth::Potential { mu0: vec![0.0, 0.0], mu1: vec![0.0, 2.0] });
    assert_eq!((log.rows_dropped, log.covariates_kept, log.covariates_available), (1, 2, 3));
}

#[test]
fn errors_for_bad_selection_and_remaining_missing_values() {
    let d = data(vec![("age", vec![1.0, NAN]), ("weight", vec![3.0, 4.0])]);
    let cfg = PreprocessConfig::default();
    let mut log = PreprocessLog::default();
    let unknown = select_and_drop(&d, &names(&["wieght"]), &cfg, &mut log).unwrap_err();
    let twice = select_and_drop(&d, &names(&["age", "age"]), &cfg, &mut log).unwrap_err();
    let missing = fit_transform(&d, &split(&[0, 1], &[], &[]), &cfg, &mut log).unwrap_err();
    let impute = PreprocessConfig { impute: Impute::Mean, ..Default::default() };
    let unseen = fit_transform(&d, &split(&[0], &[], &[1]), &impute, &mut log);
    assert!(unseen.is_ok(), "train row 0 is observed, test row 1 is filled from it");
    let nothing = fit_transform(&d, &split(&[1], &[], &[0]), &impute, &mut log).unwrap_err();
    let out_of_range = fit_transform(&d, &split(&[0, 7], &[], &[]), &impute, &mut log).unwrap_err();
    insta::assert_snapshot!([unknown, twice, missing, nothing, out_of_range].map(|e| e.to_string()).join("\n"));
}

#[test]
fn squares_come_from_raw_values_and_are_standardized_on_training_rows() {
    // Train rows 0..4 hold x = 1, 2, 3, 5 (squares 1, 4, 9, 25: mean 9.75); test row 4 is 10.
    let d = data(vec![("x", vec![1.0, 2.0, 3.0, 5.0, 10.0]), ("z", vec![0.0, 1.0, 0.0, 1.0, 1.0])]);
    let cfg = PreprocessConfig { standardize: true, squares: names(&["x"]), ..Default::default() };
    let mut log = PreprocessLog::default();
    let out = fit_transform(&d, &split(&[0, 1, 2, 3], &[], &[4]), &cfg, &mut log).unwrap();
    assert_eq!(out.covariate_names, ["x", "x^2", "z"]);
    let sq = [1.0, 4.0, 9.0, 25.0];
    let m = sq.iter().sum::<f64>() / 4.0;
    let sd = (sq.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / 3.0).sqrt();
    for (got, raw) in out.covariates[1].iter().zip([1.0, 4.0, 9.0, 25.0, 100.0]) {
        assert!((got - (raw - m) / sd).abs() < 1e-12, "{got}");
    }
    assert_eq!((log.squared.clone(), log.columns_created()), (names(&["x^2"]), names(&["x^2"])));
    assert_eq!(log.standardized.iter().map(|s| s.column.as_str()).collect::<Vec<_>>(), ["x", "x^2"]);
    // Without standardization the square is the plain square, imputed cells included.
    let d = data(vec![("x", vec![1.0, NAN, 3.0, 4.0])]);
    let cfg = PreprocessConfig { impute: Impute::Mean, squares: names(&["x"]), ..Default::default() };
    let out = fit_transform(&d, &split(&[0, 1, 2, 3], &[], &[]), &cfg, &mut PreprocessLog::default()).unwrap();
    let mean = 8.0 / 3.0;
    assert_eq!(out.covariates[1], [1.0, mean * mean, 9.0, 16.0]);
}

#[test]
fn a_run_encodes_and_squares_only_the_columns_it_receives() {
    let cfg = PreprocessConfig { one_hot: names(&["c"]), squares: names(&["x", "y"]), ..Default::default() };
    let available = names(&["x", "y", "c"]);
    let naive = cfg.restricted_to(&available, &[]).unwrap();
    assert_eq!((naive.one_hot, naive.squares), (vec![], vec![]));
    let some = cfg.restricted_to(&available, &names(&["y", "c"])).unwrap();
    assert_eq!((some.one_hot, some.squares), (names(&["c"]), names(&["y"])));
    // A column missing from the data is an error even for a run that would not use it.
    let typo = PreprocessConfig { squares: names(&["wieght"]), ..Default::default() };
    let unknown = typo.restricted_to(&names(&["weight", "age"]), &[]).unwrap_err();
    let typo = PreprocessConfig { one_hot: names(&["zzzz"]), ..Default::default() };
    let far = typo.restricted_to(&names(&["weight", "age"]), &[]).unwrap_err();
    let d = data(vec![("x", vec![1.0, 2.0, 2.0, 1.0]), ("c", vec![1.0, 2.0, 3.0, 4.0])]);
    let both = PreprocessConfig { one_hot: names(&["c"]), squares: names(&["c"]), ..Default::default() };
    let categorical =
        fit_transform(&d, &split(&[0, 1, 2, 3], &[], &[]), &both, &mut PreprocessLog::default()).unwrap_err();
    let binary = PreprocessConfig { squares: names(&["x"]), ..Default::default() };
    let nothing =
        fit_transform(&d, &split(&[0, 1, 2, 3], &[], &[]), &binary, &mut PreprocessLog::default()).unwrap_err();
    let absent = PreprocessConfig { squares: names(&["y"]), ..Default::default() };
    let absent = fit_transform(&d, &split(&[0, 1], &[], &[]), &absent, &mut PreprocessLog::default()).unwrap_err();
    insta::assert_snapshot!([unknown, far, categorical, nothing, absent].map(|e| e.to_string()).join("\n"));
}

#[test]
fn nhefs_pipeline_end_to_end() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let d = load_builtin("nhefs", &BuiltinOptions::default(), root, &mut RunRng::seed_from_u64(0)).unwrap();
    let cfg = PreprocessConfig {
        impute: Impute::Drop,
        indicators: false,
        standardize: true,
        one_hot: names(&["education", "exercise", "active"]),
        squares: vec![],
        ..Default::default()
    };
    let mut log = PreprocessLog::default();
    let selected = select_and_drop(&d, &d.covariate_names.clone(), &cfg, &mut log).unwrap();
    let s = Split::draw(
        selected.n_rows(),
        causeway::data::SplitFractions { test: 0.2, validation: 0.2 },
        &mut RunRng::seed_from_u64(4),
    );
    let out = fit_transform(&selected, &s, &cfg, &mut log).unwrap();
    // 6 plain covariates + education (5 levels) + exercise (3) + active (3), reference-coded.
    assert_eq!(out.n_covariates(), 6 + 4 + 2 + 2);
    assert_eq!(out.n_rows(), 1566);
    insta::assert_snapshot!(log.to_string());
}

proptest! {
    // Leakage oracle: changing validation and test covariates (and their missingness)
    // must not change a single transformed training value nor the fitted statistics.
    #[test]
    fn training_output_ignores_held_out_rows(
        values in prop::collection::vec(prop::option::weighted(0.8, -50i32..50), 12),
        other in prop::collection::vec(-1000i32..1000, 12),
        impute in prop::sample::select(vec![Impute::Mean, Impute::Median, Impute::MostFrequent]),
    ) {
        let col: Vec<f64> = values.iter().map(|v| v.map_or(NAN, f64::from)).collect();
        prop_assume!(col[..8].iter().any(|v| !v.is_nan()));
        let cat: Vec<f64> = values.iter().map(|v| v.map_or(0.0, |x| f64::from(x.rem_euclid(3)))).collect();
        let mut changed = (col.clone(), cat.clone());
        for i in 8..12 {
            changed.0[i] = f64::from(other[i]);
            changed.1[i] = f64::from(other[i].rem_euclid(5));
        }
        let s = split(&[0, 1, 2, 3, 4, 5, 6, 7], &[8, 9], &[10, 11]);
        let squares = if col[..8].iter().filter(|v| !v.is_nan()).count() >= 3 { names(&["x"]) } else { vec![] };
        let cfg = PreprocessConfig { impute, indicators: true, standardize: true, one_hot: names(&["c"]), squares, ..Default::default() };
        let (mut log_a, mut log_b) = (PreprocessLog::default(), PreprocessLog::default());
        let a = fit_transform(&data(vec![("x", col), ("c", cat)]), &s, &cfg, &mut log_a);
        let b = fit_transform(&data(vec![("x", changed.0), ("c", changed.1)]), &s, &cfg, &mut log_b);
        // Too few distinct training values to square is decided by the training rows alone.
        let (a, b) = match (a, b) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => {
                prop_assert_eq!(a.err(), b.err());
                return Ok(());
            }
        };
        prop_assert_eq!(&a.covariate_names, &b.covariate_names);
        for (ca, cb) in a.covariates.iter().zip(&b.covariates) {
            prop_assert_eq!(&ca[..8], &cb[..8]);
        }
        prop_assert_eq!(&log_a.standardized, &log_b.standardized);
        prop_assert_eq!(&log_a.one_hot, &log_b.one_hot);
        prop_assert_eq!(&log_a.squared, &log_b.squared);
    }
}
