//! The shipped datasets load through the manifest with the published row and
//! column counts, and carry the truths the literature reports.

use std::path::Path;

use causeway::data::{BuiltinOptions, CausalData, Truth, builtin_file_hashes, load_builtin};
use causeway::run::RunRng;
use rand::SeedableRng;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn load(name: &str, surface: Option<&str>, instance: Option<u32>, seed: u64) -> CausalData {
    let opts = BuiltinOptions { surface: surface.map(str::to_string), instance, confounding: None };
    load_builtin(name, &opts, root(), &mut RunRng::seed_from_u64(seed)).unwrap()
}

fn treated(d: &CausalData) -> usize {
    (0..d.n_rows()).filter(|&i| d.is_treated(i)).count()
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = xs.collect();
    v.iter().sum::<f64>() / v.len() as f64
}

fn potential(d: &CausalData) -> (&[f64], &[f64]) {
    match &d.truth {
        Truth::Potential { mu0, mu1 } => (mu0, mu1),
        other => panic!("expected potential outcomes, got {other:?}"),
    }
}

#[test]
fn nsw_experimental_difference_is_1794_34() {
    // Dehejia and Wahba (1999), Table 1 / Cunningham, The Mixtape, ch. 5: $1,794.34.
    let d = load("lalonde-nsw", None, None, 0);
    assert_eq!((d.n_rows(), treated(&d), d.n_covariates()), (445, 185, 8));
    let Truth::Benchmark { ate: Some(ate), att: Some(att) } = d.truth else { panic!("{:?}", d.truth) };
    assert_eq!((att * 100.0).round(), 179_434.0, "{att}");
    assert_eq!(ate, att);
    let by_hand = mean((0..445).filter(|&i| d.is_treated(i)).map(|i| d.outcome[i]))
        - mean((0..445).filter(|&i| !d.is_treated(i)).map(|i| d.outcome[i]));
    assert_eq!((by_hand * 100.0).round(), 179_434.0);
}

#[test]
fn cps_benchmark_has_nsw_treated_and_cps_controls() {
    let d = load("lalonde-cps", None, None, 0);
    assert_eq!((d.n_rows(), treated(&d), d.n_covariates()), (185 + 15_992, 185, 8));
    let Truth::Benchmark { ate: None, att: Some(att) } = d.truth else { panic!("{:?}", d.truth) };
    assert_eq!((att * 100.0).round(), 179_434.0);
    // The naive CPS contrast is badly negative (Dehejia and Wahba 1999, Table 3: -$8,498).
    let naive = mean((0..d.n_rows()).filter(|&i| d.is_treated(i)).map(|i| d.outcome[i]))
        - mean((0..d.n_rows()).filter(|&i| !d.is_treated(i)).map(|i| d.outcome[i]));
    assert_eq!(naive.round(), -8498.0, "{naive}");
}

#[test]
fn nhefs_complete_cases_and_the_books_crude_difference() {
    let d = load("nhefs", None, None, 0);
    assert_eq!((d.n_rows(), d.n_covariates()), (1566, 9));
    assert_eq!(treated(&d), 403);
    assert_eq!(d.truth, Truth::None);
    // What If, section 12.1: quitters gained 4.5 kg, non-quitters 2.0 kg on average.
    let quit = mean((0..d.n_rows()).filter(|&i| d.is_treated(i)).map(|i| d.outcome[i]));
    let kept = mean((0..d.n_rows()).filter(|&i| !d.is_treated(i)).map(|i| d.outcome[i]));
    assert_eq!(((quit * 10.0).round(), (kept * 10.0).round()), (45.0, 20.0), "{quit} {kept}");
}

#[test]
fn acic_instances_have_reference_coded_categories_and_potential_outcomes() {
    let d = load("acic2016", None, Some(3), 0);
    // 58 columns: 55 numeric plus x_2 (6 levels), x_21 (16) and x_24 (5) coded
    // with one indicator per level but the first.
    assert_eq!((d.n_rows(), d.n_covariates()), (4802, 55 + 5 + 15 + 4));
    assert!(d.covariate_names.contains(&"x_21_P".to_string()));
    assert!(!d.covariate_names.contains(&"x_21_A".to_string()));
    let (mu0, mu1) = potential(&d);
    assert_eq!((mu0.len(), mu1.len()), (4802, 4802));
    let opts = BuiltinOptions { instance: Some(11), ..BuiltinOptions::default() };
    let err = load_builtin("acic2016", &opts, root(), &mut RunRng::seed_from_u64(0)).unwrap_err();
    assert!(err.to_string().contains("instance 11 does not exist"), "{err}");
}

#[test]
fn ihdp_has_747_rows_139_treated_25_covariates() {
    let d = load("ihdp", Some("B"), Some(1), 0);
    assert_eq!((d.n_rows(), treated(&d), d.n_covariates()), (747, 139, 25));
    // NPCI standardizes the six columns with more than two values (bw ... momage).
    for j in 0..6 {
        let m = mean(d.covariates[j].iter().copied());
        assert!(m.abs() < 1e-12, "{} has mean {m}", d.covariate_names[j]);
    }
    assert!(d.covariates[13].iter().all(|v| *v == 1.0 || *v == 2.0), "first is coded 1/2");
}

#[test]
fn ihdp_surface_a_has_effect_exactly_4_everywhere() {
    for k in 1..=5 {
        let d = load("ihdp", Some("A"), Some(k), 0);
        let (mu0, mu1) = potential(&d);
        assert!(mu0.iter().zip(mu1).all(|(a, b)| (b - a - 4.0).abs() < 1e-12));
    }
}

#[test]
fn ihdp_surface_b_has_effect_4_on_the_treated_and_a_heterogeneous_ate() {
    let mut ates = Vec::new();
    for k in 1..=20 {
        let d = load("ihdp", Some("B"), Some(k), 0);
        let (mu0, mu1) = potential(&d);
        let catt = mean((0..d.n_rows()).filter(|&i| d.is_treated(i)).map(|i| mu1[i] - mu0[i]));
        assert!((catt - 4.0).abs() < 1e-9, "replication {k}: CATT {catt}");
        assert!(mu0.iter().all(|m| *m > 0.0), "exponential control surface is positive");
        let ite: Vec<f64> = mu0.iter().zip(mu1).map(|(a, b)| b - a).collect();
        assert!(ite.iter().any(|t| (t - ite[0]).abs() > 1e-6), "effects vary across rows");
        ates.push(mean(ite.into_iter()));
    }
    // The sample ATE scatters around the CATT of 4: over 1000 replications its median
    // is 4.10 and its quartiles 3.91 and 4.54 (the published NPCI files 1-10 have
    // 3.85 to 10.5, median 4.07). Replications 1-20 have median 3.98.
    ates.sort_by(f64::total_cmp);
    let median = (ates[9] + ates[10]) / 2.0;
    assert!((3.8..4.4).contains(&median), "{ates:?}");
    assert!(ates[19] > 5.0 && ates[0] < 3.0, "the ATE is heterogeneous across replications: {ates:?}");
}

#[test]
fn ihdp_replications_are_fixed_by_instance_and_drawn_from_the_run_rng_otherwise() {
    let a = load("ihdp", None, Some(7), 1);
    let b = load("ihdp", None, Some(7), 2);
    assert_eq!(a, b, "instance k is the same dataset whatever the run seed");
    let c = load("ihdp", None, None, 1);
    let d = load("ihdp", None, None, 1);
    let e = load("ihdp", None, None, 2);
    assert_eq!(c, d);
    assert_ne!(c, e);
}

#[test]
fn file_hashes_match_the_manifest() {
    let hashes = builtin_file_hashes("lalonde-cps", root()).unwrap();
    let names: Vec<&str> = hashes.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(names, ["lalonde/nsw_mixtape.csv", "lalonde/cps_mixtape.csv"]);
    assert_eq!(hashes[0].1, "75be812b62c26579d84de2d7d46791cbab7fb6a2b9bfa82dffa037ae6e92ba37");
    assert_eq!(builtin_file_hashes("acic2016", root()).unwrap().len(), 11);
}

#[test]
fn every_builtin_loads_with_the_row_count_of_its_manifest_entry() {
    let manifest = causeway::data::Manifest::load(root()).unwrap();
    for name in causeway::data::BUILTIN_NAMES {
        let d = load(name, None, Some(1).filter(|_| matches!(name, "ihdp" | "acic2016")), 0);
        assert_eq!(d.n_rows(), manifest.dataset(name).unwrap().rows, "{name}");
        assert_eq!(d.covariates.len(), d.covariate_names.len(), "{name}");
        assert!(d.covariates.iter().all(|c| c.len() == d.n_rows()), "{name}");
    }
}

fn mnist(confounding: f64, seed: u64) -> CausalData {
    let opts = BuiltinOptions { confounding: Some(confounding), ..BuiltinOptions::default() };
    load_builtin("mnist", &opts, root(), &mut RunRng::seed_from_u64(seed)).unwrap()
}

#[test]
fn mnist_has_500_digits_per_class_and_exact_class_driven_truth() {
    let d = mnist(1.0, 0);
    // 196 pixels in [0, 1], then 14 row and 14 column means.
    assert_eq!((d.n_rows(), d.n_covariates()), (5000, 196 + 28));
    assert_eq!((d.covariate_names[0].as_str(), d.covariate_names[196].as_str()), ("px1", "row1"));
    assert!(d.covariates[..196].iter().flatten().all(|v| (0.0..=1.0).contains(v)));
    let (mu0, mu1) = potential(&d);
    // The effect 1 + c / 4.5 takes ten values, 500 rows each, and averages exactly 2.
    let mut effects: Vec<f64> = mu0.iter().zip(mu1).map(|(a, b)| b - a).collect();
    assert!((mean(effects.iter().copied()) - 2.0).abs() < 1e-12);
    effects.sort_by(f64::total_cmp);
    for (k, chunk) in effects.chunks(500).enumerate() {
        let want = 1.0 + k as f64 / 4.5;
        assert!(chunk.iter().all(|e| (e - want).abs() < 1e-12), "class {k}");
    }
    // Row k's first row mean is the mean of its first 14 pixels.
    let first: f64 = (0..14).map(|j| d.covariates[j][7]).sum::<f64>() / 14.0;
    assert!((d.covariates[196][7] - first).abs() < 1e-12);
}

#[test]
fn mnist_confounding_biases_the_difference_in_means_and_zero_randomizes() {
    let naive = |d: &CausalData| {
        let t = |arm: bool| mean((0..d.n_rows()).filter(|&i| d.is_treated(i) == arm).map(|i| d.outcome[i]));
        t(true) - t(false)
    };
    // Randomized: within about 4 standard errors (0.11) of the ATE 2.
    let trial = mnist(0.0, 1);
    assert!((naive(&trial) - 2.0).abs() < 0.25, "{}", naive(&trial));
    // Confounded: high digits are treated more and have higher outcomes.
    let confounded = mnist(1.0, 1);
    assert!(naive(&confounded) > 3.5, "{}", naive(&confounded));
    assert!(mnist(2.0, 1).treatment != confounded.treatment);
    let err = load_builtin(
        "ihdp",
        &BuiltinOptions { confounding: Some(1.0), ..BuiltinOptions::default() },
        root(),
        &mut RunRng::seed_from_u64(0),
    )
    .unwrap_err();
    assert!(err.to_string().contains("only mnist has a confounding strength"), "{err}");
}
