//! Reference test of the Cinelli-Hazlett sensitivity analysis against sensemakr's
//! Darfur example, through the committed experiment (experiments/papers/darfur.yaml),
//! the planner and the run pipeline. The published numbers are those of
//! sensemakr's own tests (PySensemakr `tests/test_darfur.py`, the same as the R
//! package's): estimate 0.09731582, se 0.02325654, t 4.18445, dof 783, partial R²
//! 0.02187309, RV_1 0.1387764, RV_{1,0.05} 0.07625797, and the bounds of a
//! confounder 1, 2 and 3 times as strong as `female` (r2dz_x, r2yz_dx, adjusted
//! estimate, se, t and interval, compared at sensemakr's 6 decimals).

use std::path::Path;

use causeway::run::{self, Outcome, PlanContext, Status};
use causeway::spec;

/// The outcome of replication 0 of each estimator of the Darfur experiment.
fn outcomes() -> Vec<(String, Outcome)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = spec::load(&root.join("experiments/papers/darfur.yaml")).unwrap();
    let exp = spec::validate(&loaded).unwrap();
    spec::cross_check(&loaded, &exp).unwrap();
    let source = run::DataSource::read(&exp, root).unwrap();
    let ctx = PlanContext {
        data_files: source.hashes(),
        libtorch: "test".into(),
        numerics: causeway::numerics::NumericIdentity::portable(),
    };
    let runs = run::plan(&exp, &ctx).unwrap();
    let prepared = run::prepare(exp, runs, root, source).unwrap();
    prepared
        .runs
        .iter()
        .map(|r| {
            let outcome = run::compute_outcome(&prepared, r);
            assert_eq!(outcome.status, Status::Ok, "{}", r.label);
            (r.kind.clone(), outcome)
        })
        .collect()
}

fn value(o: &Outcome, name: &str) -> f64 {
    o.robustness_value(name).unwrap_or_else(|| panic!("no value `{name}` in {:?}", o.robustness))
}

/// |got - want| within half a unit of the last published digit.
fn published(o: &Outcome, name: &str, want: f64, decimals: i32) {
    let got = value(o, name);
    assert!((got - want).abs() <= 0.5 * 10f64.powi(-decimals) + 1e-12, "{name}: {got} vs published {want}");
}

#[test]
fn ols_sensitivity_reproduces_sensemakr_on_darfur() {
    let all = outcomes();
    let ols = &all.iter().find(|(k, _)| k == "ols").unwrap().1;
    // The estimator's own ATE is the same coefficient.
    assert!((ols.metric("ate").unwrap() - 0.09731582).abs() < 5e-9);
    published(ols, "sens_estimate", 0.09731582, 8);
    published(ols, "sens_se", 0.02325654, 8);
    published(ols, "sens_t", 4.18445, 5);
    assert_eq!(value(ols, "sens_dof"), 783.0);
    published(ols, "sens_r2yd_x", 0.02187309, 8);
    published(ols, "sens_rv_q", 0.1387764, 7);
    published(ols, "sens_rv_qa", 0.07625797, 8);
    // sensemakr's bounds table for female, kd = ky = 1, 2, 3 (rounded to 6 decimals there).
    let rows = [
        (
            1,
            0.00916428667504862,
            0.12464092303637,
            0.0752202712144491,
            0.0218733277437572,
            3.43890386024675,
            0.032282966,
            0.11815758,
        ),
        (
            2,
            0.0183285733500972,
            0.249324064199975,
            0.0529151723844518,
            0.0203500620779637,
            2.60024623913809,
            0.012968035,
            0.09286231,
        ),
        (
            3,
            0.0274928600251459,
            0.374050471038094,
            0.0303960234641548,
            0.0186700648170924,
            1.62806202131271,
            -0.006253282,
            0.06704533,
        ),
    ];
    for (k, r2dz, r2yz, estimate, se, t, low, high) in rows {
        let name = format!("sens_female_{k}x");
        for (what, want) in [
            ("r2dz_x", r2dz),
            ("r2yz_dx", r2yz),
            ("estimate", estimate),
            ("se", se),
            ("t", t),
            ("low", low),
            ("high", high),
        ] {
            published(ols, &format!("{name}_{what}"), want, 6);
        }
    }
    // PySensemakr's bias_functions doctest: a confounder with r2dz_x = r2yz_dx = 0.05
    // leaves an adjusted estimate of 0.06393.
    published(ols, "sens_z[0.05,0.05]_estimate", 0.06393, 5);
}

#[test]
fn sensitivity_applies_to_ols_only_and_evalues_to_every_estimate() {
    let all = outcomes();
    let naive = &all.iter().find(|(k, _)| k == "naive").unwrap().1;
    assert!(naive.robustness.iter().all(|(n, _)| n.starts_with("evalue")));
    for (kind, o) in &all {
        let e = value(o, "evalue");
        assert!(e >= 1.0, "{kind}: E-value {e}");
    }
}
