//! `robustness:` and `bootstrap:`: checked into typed values with located
//! errors, entering the keys of the runs they apply to and no others, and
//! computed by the pipeline the same way every time.

use causeway::run::{self, PlanContext, Status};
use causeway::spec::{self, SpecError};

use crate::spec_common;

fn check_text(text: &str) -> Result<spec::Experiment, SpecError> {
    spec_common::check_text("robust.yaml", text)
}

fn message(text: &str) -> String {
    spec_common::message("robust.yaml", text)
}

const BASE: &str = "name: demo
seed: 1
replications: 2
dataset:
  simulate:
    n: 300
    equations:
      x: normal(0, 1)
      t: bernoulli(sigmoid(x))
      y: 2 * t + x + normal(0, 1)
    treatment: t
    outcome: y
metrics: [ate, ate_error, coverage]
";

fn ctx() -> PlanContext {
    PlanContext {
        data_files: vec![],
        libtorch: "test".into(),
        numerics: causeway::numerics::NumericIdentity::portable(),
    }
}

fn keys(exp: &spec::Experiment) -> Vec<(String, String)> {
    run::plan(exp, &ctx()).unwrap().into_iter().map(|r| (r.label, r.key)).collect()
}

#[test]
fn sensitivity_without_ols_is_located() {
    let shown = message(&format!("{BASE}estimators: [naive]\nrobustness:\n  sensitivity: {{ kd: [1] }}\n"));
    assert!(shown.starts_with("robust.yaml:16:16"), "{shown}");
    assert!(shown.contains("no estimator is `ols`"), "{shown}");
}

#[test]
fn out_of_range_values_are_located() {
    let shown = message(&format!("{BASE}estimators: [ols]\nrobustness:\n  sensitivity:\n    alpha: 1.5\n"));
    assert!(
        shown.starts_with("robust.yaml:17:12") && shown.contains("alpha must lie strictly between 0 and 1"),
        "{shown}"
    );
    let shown =
        message(&format!("{BASE}estimators: [ols]\nrobustness:\n  sensitivity:\n    kd: [1, 2]\n    ky: [1]\n"));
    assert!(shown.contains("ky lists 1 multiples and kd 2"), "{shown}");
    let shown = message(&format!(
        "{BASE}estimators: [ols]\nrobustness:\n  sensitivity:\n    confounders: [{{ r2dz_x: 1.0, r2yz_dx: 0.1 }}]\n"
    ));
    assert!(shown.contains("a partial R² must lie in [0, 1), found 1"), "{shown}");
    let shown = message(&format!("{BASE}estimators:\n  - ols: ~\n    bootstrap: 1\n"));
    assert!(shown.starts_with("robust.yaml:16:16") && shown.contains("number of resamples"), "{shown}");
    let shown = message(&format!(
        "{BASE}estimators: [ols]\nrobustness:\n  refuters:\n    tests: [placebo_permute, dumy_outcome]\n"
    ));
    assert!(shown.starts_with("robust.yaml:17:") && shown.contains("unknown refuter `dumy_outcome`"), "{shown}");
    assert!(shown.contains("dummy_outcome"), "{shown}");
    let shown = message(&format!("{BASE}estimators: [ols]\nrobustness:\n  refuters: {{ simulations: 1 }}\n"));
    assert!(shown.contains("simulations must be a whole number from 2"), "{shown}");
    let shown = message(&format!("{BASE}estimators: [ols]\nrobustness:\n  ovb: {{ rho: 0.5 }}\n"));
    assert!(shown.starts_with("robust.yaml:16:") && shown.contains("no estimator has one"), "{shown}");
    assert!(shown.contains("aipw, tarnet, cfr, dragonnet"), "{shown}");
    let shown = message(&format!("{BASE}estimators: [ols, aipw]\nrobustness:\n  refit: [ols, aipv]\n"));
    assert!(
        shown.starts_with("robust.yaml:16:16") && shown.contains("no estimator entry is labelled `aipv`"),
        "{shown}"
    );
    assert!(shown.contains("aipw"), "{shown}");
    let shown = message(&format!("{BASE}estimators: [aipw]\nrobustness:\n  ovb: {{ benchmarks: [x, [x]] }}\n"));
    assert!(shown.contains("the group `x` is listed twice"), "{shown}");
    let shown = message(&format!("{BASE}estimators: [aipw]\nrobustness:\n  ovb: {{ rho: 2 }}\n"));
    assert!(shown.contains("rho is a correlation in [-1, 1], found 2"), "{shown}");
    let shown = message(&format!("{BASE}estimators: [ols]\nrobustness:\n  evalu: true\n"));
    assert!(shown.contains("evalu") && shown.contains("evalue"), "{shown}");
}

#[test]
fn only_the_runs_an_analysis_applies_to_change_their_keys() {
    let plain = keys(&check_text(&format!("{BASE}estimators: [naive, ols, ipw]\n")).unwrap());
    let sens = keys(
        &check_text(&format!(
            "{BASE}estimators: [naive, ols, ipw]\nrobustness:\n  sensitivity: {{ benchmarks: [x] }}\n"
        ))
        .unwrap(),
    );
    for ((label, a), (_, b)) in plain.iter().zip(&sens) {
        assert_eq!(a == b, !label.ends_with("/ols"), "{label}");
    }
    let boot =
        keys(&check_text(&format!("{BASE}estimators:\n  - naive\n  - ols\n  - ipw: ~\n    bootstrap: 50\n")).unwrap());
    for ((label, a), (_, b)) in plain.iter().zip(&boot) {
        assert_eq!(a == b, !label.ends_with("/ipw"), "{label}");
    }
    let evalue =
        keys(&check_text(&format!("{BASE}estimators: [naive, ols, ipw]\nrobustness: {{ evalue: true }}\n")).unwrap());
    assert!(plain.iter().zip(&evalue).all(|((_, a), (_, b))| a != b));
    let refuters = keys(
        &check_text(&format!(
            "{BASE}estimators: [naive, ols, ipw]\nrobustness: {{ refuters: {{ simulations: 10 }} }}\n"
        ))
        .unwrap(),
    );
    assert!(plain.iter().zip(&refuters).all(|((_, a), (_, b))| a != b));
    assert!(evalue.iter().zip(&refuters).all(|((_, a), (_, b))| a != b));
    let ovb = keys(
        &check_text(&format!("{BASE}estimators: [naive, ols, ipw, aipw]\nrobustness: {{ ovb: {{}} }}\n")).unwrap(),
    );
    let plain_aipw = keys(&check_text(&format!("{BASE}estimators: [naive, ols, ipw, aipw]\n")).unwrap());
    for ((label, a), (_, b)) in plain_aipw.iter().zip(&ovb) {
        assert_eq!(a == b, !label.ends_with("/aipw"), "{label}");
    }
}

#[test]
fn bootstrap_gives_every_estimator_an_interval_and_the_same_bytes_twice() {
    let exp = check_text(&format!("{BASE}estimators:\n  - naive: ~\n    bootstrap: 100\n  - ols: ~\n    bootstrap: 100\nrobustness:\n  evalue: true\n  sensitivity: {{ benchmarks: [x], kd: [1, 2] }}\n")).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = run::DataSource::read(&exp, root).unwrap();
    let runs = run::plan(&exp, &ctx()).unwrap();
    let prepared = run::prepare(exp, runs, root, source).unwrap();
    for r in &prepared.runs {
        let a = run::compute_outcome(&prepared, r);
        assert_eq!(a.status, Status::Ok, "{}", r.label);
        assert_eq!(a, run::compute_outcome(&prepared, r), "{}", r.label);
        let (low, high) = (a.robustness_value("boot_low").unwrap(), a.robustness_value("boot_high").unwrap());
        let ate = a.metric("ate").unwrap();
        assert!(low < ate && ate < high, "{}: {ate} not in [{low}, {high}]", r.label);
        // `coverage` scores the bootstrap interval.
        let truth = a.metric("true_ate").unwrap();
        assert_eq!(a.metric("coverage"), Some(if low <= truth && truth <= high { 1.0 } else { 0.0 }));
        assert_eq!(a.robustness_value("boot_failed"), Some(0.0));
        assert!(a.robustness_value("evalue").unwrap() > 1.0);
        let sens = a.robustness_value("sens_x_2x_estimate");
        assert_eq!(sens.is_some(), r.kind == "ols", "{}", r.label);
    }
}

#[test]
fn refuters_run_for_every_estimator_and_pass_on_correctly_specified_data() {
    let exp = check_text(&format!(
        "{BASE}estimators: [naive, ols]\nrobustness:\n  refuters: {{ simulations: 20, tests: [placebo_permute, dummy_outcome, data_subset] }}\n"
    ))
    .unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = run::DataSource::read(&exp, root).unwrap();
    let runs = run::plan(&exp, &ctx()).unwrap();
    let prepared = run::prepare(exp, runs, root, source).unwrap();
    for r in &prepared.runs {
        let o = run::compute_outcome(&prepared, r);
        let names: Vec<&str> = o.robustness.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "refute_placebo_permute_estimate",
                "refute_placebo_permute_p",
                "refute_placebo_permute_passes",
                "refute_data_subset_estimate",
                "refute_data_subset_p",
                "refute_data_subset_passes",
                "refute_dummy_outcome_estimate",
                "refute_dummy_outcome_p",
                "refute_dummy_outcome_passes",
            ]
        );
        let placebo = o.robustness_value("refute_placebo_permute_estimate").unwrap();
        assert!(placebo.abs() < 0.5, "{}: placebo effect {placebo}", r.label);
        if r.kind == "ols" {
            for name in ["placebo_permute", "data_subset", "dummy_outcome"] {
                assert_eq!(o.robustness_value(&format!("refute_{name}_passes")), Some(1.0), "{}: {name}", r.label);
            }
        }
    }
}

#[test]
fn ovb_bounds_of_aipw_collapse_to_the_estimate_without_a_confounder() {
    let exp = check_text(&format!(
        "{BASE}estimators: [ols, aipw]\nrobustness:\n  ovb: {{ confounders: [{{ cf_y: 0, cf_d: 0 }}, {{ cf_y: 0.1, cf_d: 0.1 }}] }}\n"
    ))
    .unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = run::DataSource::read(&exp, root).unwrap();
    let runs = run::plan(&exp, &ctx()).unwrap();
    let prepared = run::prepare(exp, runs, root, source).unwrap();
    for r in &prepared.runs {
        let o = run::compute_outcome(&prepared, r);
        if r.kind != "aipw" {
            assert!(o.robustness.is_empty(), "{}", r.label);
            continue;
        }
        let ate = o.metric("ate").unwrap();
        let v = |n: &str| o.robustness_value(n).unwrap();
        assert!((v("ovb[0,0]_lower") - ate).abs() < 1e-12 && (v("ovb[0,0]_upper") - ate).abs() < 1e-12);
        assert!(v("ovb[0.1,0.1]_lower") < ate && v("ovb[0.1,0.1]_ci_lower") < v("ovb[0.1,0.1]_lower"));
        // y = 2 t + x + N(0, 1), with the right models: σ² ≈ 1, and a strong effect.
        assert!((v("ovb_sigma2") - 1.0).abs() < 0.25, "{}", v("ovb_sigma2"));
        assert!(v("ovb_rv") > v("ovb_rva") && v("ovb_rva") > 0.1);
    }
}

/// BASE with metrics that score only the ATT.
fn att_base() -> String {
    BASE.replace("metrics: [ate, ate_error, coverage]", "metrics: [att, att_error]")
}

#[test]
fn the_estimand_is_declared_or_decided_from_the_metrics() {
    use causeway::estimate::Estimand;
    let estimand = |text: String| check_text(&text).unwrap().robustness.estimand;
    assert_eq!(estimand(format!("{BASE}estimators: [ols]\nrobustness: {{ evalue: true }}\n")), Estimand::Ate);
    assert_eq!(estimand(format!("{}estimators: [ols]\nrobustness: {{ evalue: true }}\n", att_base())), Estimand::Att);
    // Without a `robustness:` section too (a bootstrap describes it).
    assert_eq!(estimand(format!("{}estimators: [ols]\n", att_base())), Estimand::Att);
    assert_eq!(
        estimand(format!("{BASE}estimators: [ols]\nrobustness: {{ estimand: att, evalue: true }}\n")),
        Estimand::Att
    );
    // Spelling the default out keeps every key; the ATT enters only the keys of
    // the runs an analysis applies to.
    let ate = keys(&check_text(&format!("{BASE}estimators: [naive, ols]\nrobustness: {{ evalue: true }}\n")).unwrap());
    let spelled = keys(
        &check_text(&format!("{BASE}estimators: [naive, ols]\nrobustness: {{ estimand: ate, evalue: true }}\n"))
            .unwrap(),
    );
    assert_eq!(ate, spelled);
    let att = keys(
        &check_text(&format!("{BASE}estimators: [naive, ols]\nrobustness: {{ estimand: att, evalue: true }}\n"))
            .unwrap(),
    );
    assert!(ate.iter().zip(&att).all(|((_, a), (_, b))| a != b));
    let plain = keys(&check_text(&format!("{}estimators: [naive, ols]\n", att_base())).unwrap());
    let declared = keys(
        &check_text(&format!("{}estimators: [naive, ols]\nrobustness: {{ estimand: att }}\n", att_base())).unwrap(),
    );
    assert_eq!(plain, declared);
}

#[test]
fn a_bad_estimand_is_located_with_a_suggestion() {
    let shown = message(&format!("{BASE}estimators: [ols]\nrobustness:\n  estimand: atu\n  evalue: true\n"));
    insta::assert_snapshot!("robustness_bad_estimand", shown);
    assert!(shown.starts_with("robust.yaml:16:13") && shown.contains("unknown estimand `atu`"), "{shown}");
}

/// On data whose effect differs between the treated and the rest (y = t (1 + 2 x) + x,
/// treatment likelier at large x), every analysis of an ATT experiment is of
/// `aipw`'s ATT: the bootstrap interval is around it, the OVB bounds collapse to
/// it without a confounder, and the E-value reads it.
#[test]
fn an_att_experiment_describes_the_att() {
    let text = att_base().replace("y: 2 * t + x + normal(0, 1)", "y: t * (1 + 2 * x) + x + normal(0, 1)");
    let exp = check_text(&format!(
        "{text}estimators:\n  - aipw: ~\n    bootstrap: 30\nrobustness:\n  evalue: true\n  ovb: {{ confounders: [{{ cf_y: 0, cf_d: 0 }}] }}\n"
    ))
    .unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = run::DataSource::read(&exp, root).unwrap();
    let runs = run::plan(&exp, &ctx()).unwrap();
    let prepared = run::prepare(exp, runs, root, source).unwrap();
    for r in &prepared.runs {
        let o = run::compute_outcome(&prepared, r);
        assert_eq!(o.status, Status::Ok, "{}", r.label);
        let att = o.metric("att").unwrap();
        let v = |n: &str| o.robustness_value(n).unwrap();
        // The ATT is about 1 + 2 E[x | t = 1] ≈ 1.8, the ATE about 1: far apart.
        assert!(att > 1.4, "{}: att {att}", r.label);
        assert!(v("boot_low") < att && att < v("boot_high") && v("boot_low") > 1.0, "{}", r.label);
        assert!((v("ovb[0,0]_lower") - att).abs() < 1e-12 && (v("ovb[0,0]_upper") - att).abs() < 1e-12);
        assert!(v("ovb_rv") > v("ovb_rva") && v("ovb_rva") > 0.0);
        assert!(v("evalue") > 1.0 && v("evalue_ci") >= 1.0);
    }
}
