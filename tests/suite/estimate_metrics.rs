//! The metrics of a fixed small estimate on fixed data, for each kind of ground
//! truth, pinned by snapshot and checked against values worked by hand.

use causeway::data::{CausalData, Split, Truth};
use causeway::estimate::{Estimate, Metric, score};

/// Six rows: in-sample 0..4 (train 0..3, validation 3), test 4 and 5.
/// True effects tau = mu1 - mu0 = (1, 2, 0, 2, 0, 3).
fn data(truth: Truth) -> CausalData {
    CausalData {
        covariate_names: vec!["x".into()],
        covariates: vec![vec![0.0; 6]],
        treatment: vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0],
        outcome: vec![0.0; 6],
        truth,
    }
}

fn potential() -> Truth {
    Truth::Potential { mu0: vec![0.0, 0.0, 1.0, 1.0, 2.0, 2.0], mu1: vec![1.0, 2.0, 1.0, 3.0, 2.0, 5.0] }
}

fn split() -> Split {
    Split { train: vec![0, 1, 2], validation: vec![3], test: vec![4, 5] }
}

fn full_estimate() -> Estimate {
    Estimate {
        ite: Some(vec![1.5, 2.0, 0.0, 1.0, 1.0, 1.0]),
        ate: 1.0,
        att: Some(0.75),
        interval: Some((0.5, 1.5)),
        diagnostics: vec![],
        ovb: None,
        potential: None,
    }
}

fn table(est: &Estimate, truth: Truth) -> String {
    score(&Metric::STATIC, est, &data(truth), &split())
        .iter()
        .map(|(m, v)| format!("{:<14}{}", m.name(), v.map_or("-".to_string(), |v| v.to_string())))
        .collect::<Vec<_>>()
        .join("\n")
}

/// By hand: true in-sample ATE (1+2+0+2)/4 = 1.25, so ate_error 0.25; test ATE
/// 1.5 against mean(1, 1), so ate_error_out 0.5; pehe_in sqrt((0.25+0+0+1)/4) =
/// sqrt(0.3125); pehe_out sqrt((1+4)/2) = sqrt(2.5); true ATT over in-sample
/// treated rows 0 and 2 is 0.5, so att_error 0.25; 1.25 lies in (0.5, 1.5);
/// the policy treats both test rows, value mean(2, 5) = 3.5, risk 1 - 3.5.
#[test]
fn potential_outcomes_give_every_metric() {
    let values = score(&Metric::STATIC, &full_estimate(), &data(potential()), &split());
    let expected = [1.0, 0.25, 0.25, 0.5, 0.3125f64.sqrt(), 2.5f64.sqrt(), 0.75, 0.25, 1.0, -2.5];
    for ((m, v), e) in values.iter().zip(expected) {
        assert!((v.unwrap() - e).abs() < 1e-12, "{m}: {v:?} vs {e}");
    }
    insta::assert_snapshot!(table(&full_estimate(), potential()), @r#"
ate           1
ate_error     0.25
ate_error_in  0.25
ate_error_out 0.5
pehe_in       0.5590169943749475
pehe_out      1.5811388300841898
att           0.75
att_error     0.25
coverage      1
policy_risk   -2.5
true_ate      1.25
"#);
}

#[test]
fn an_estimate_without_effects_or_interval_scores_what_it_can() {
    let bare = Estimate { ate: 1.0, ..Estimate::default() };
    insta::assert_snapshot!(table(&bare, potential()), @r#"
ate           1
ate_error     0.25
ate_error_in  0.25
ate_error_out -
pehe_in       -
pehe_out      -
att           -
att_error     -
coverage      -
policy_risk   -
true_ate      1.25
"#);
}

#[test]
fn att_error_falls_back_to_the_mean_effect_on_the_treated() {
    // Rows 0 and 2 are the in-sample treated: mean(1.5, 0) = 0.75 against 0.5.
    let no_att = Estimate { att: None, ..full_estimate() };
    let values = score(&[Metric::AttError], &no_att, &data(potential()), &split());
    assert!((values[0].1.unwrap() - 0.25).abs() < 1e-12);
}

#[test]
fn a_benchmark_scores_only_the_averages() {
    let truth = Truth::Benchmark { ate: Some(1.1), att: Some(0.5) };
    insta::assert_snapshot!(table(&full_estimate(), truth), @r#"
ate           1
ate_error     0.10000000000000009
ate_error_in  0.10000000000000009
ate_error_out -
pehe_in       -
pehe_out      -
att           0.75
att_error     0.25
coverage      1
policy_risk   -
true_ate      1.1
"#);
}

#[test]
fn real_data_reports_only_the_estimate() {
    insta::assert_snapshot!(table(&full_estimate(), Truth::None), @r#"
ate           1
ate_error     -
ate_error_in  -
ate_error_out -
pehe_in       -
pehe_out      -
att           0.75
att_error     -
coverage      -
policy_risk   -
true_ate      -
"#);
}

#[test]
fn coverage_is_zero_when_the_interval_misses() {
    let narrow = Estimate { interval: Some((0.9, 1.1)), ..full_estimate() };
    let values = score(&[Metric::Coverage], &narrow, &data(potential()), &split());
    assert_eq!(values, vec![(Metric::Coverage, Some(0.0))]);
}

/// The individual effect alone (`truth: { ite: ... }`): every effect metric as
/// with potential outcomes, and no policy risk, which needs the outcome levels.
#[test]
fn an_individual_effect_scores_like_potential_outcomes_but_the_policy() {
    let ite = Truth::Ite { ite: vec![1.0, 2.0, 0.0, 2.0, 0.0, 3.0] };
    let with_mu = score(&Metric::STATIC, &full_estimate(), &data(potential()), &split());
    let with_ite = score(&Metric::STATIC, &full_estimate(), &data(ite), &split());
    for ((m, a), (_, b)) in with_mu.iter().zip(&with_ite) {
        match m {
            Metric::PolicyRisk => assert_eq!(*b, None),
            _ => assert_eq!(a, b, "{m}"),
        }
    }
}

/// Jobs (a randomized subset `e`), by hand after cfrnet's `evaluate_bin_att`
/// and `policy_val`. In-sample rows 0..4: treated 0 (y 5) and 2 (y 3), controls
/// in the subset 1 (y 2) and 3 (y 0, outside it: e = 0), so the experimental ATT
/// is mean(5, 3) - 2 = 2; `est.att` 0.75 gives att_error 1.25. Test rows 4..8,
/// all in the subset but row 7: the policy [ite > 0] treats 4 and 6 and not 5;
/// P(pi = 1) = 2/3; treated rows it treats: 4 (y 4); controls it does not
/// treat: 5 (y 1); value 2/3 * 4 + 1/3 * 1 = 3, risk -2.
#[test]
fn an_experimental_subset_gives_the_att_error_and_policy_risk_of_jobs() {
    let data = CausalData {
        covariate_names: vec!["x".into()],
        covariates: vec![vec![0.0; 8]],
        treatment: vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0],
        outcome: vec![5.0, 2.0, 3.0, 0.0, 4.0, 1.0, 7.0, 9.0],
        truth: Truth::Experimental { e: vec![1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0] },
    };
    let split = Split { train: vec![0, 1, 2], validation: vec![3], test: vec![4, 5, 6, 7] };
    let est = Estimate {
        ite: Some(vec![0.0, 0.0, 0.0, 0.0, 1.0, -1.0, 2.0, 5.0]),
        ate: 1.0,
        att: Some(0.75),
        interval: None,
        diagnostics: vec![],
        ovb: None,
        potential: None,
    };
    let values: std::collections::BTreeMap<Metric, Option<f64>> =
        score(&Metric::STATIC, &est, &data, &split).into_iter().collect();
    assert_eq!(values[&Metric::AttError], Some(1.25));
    assert!((values[&Metric::PolicyRisk].unwrap() - (-2.0)).abs() < 1e-12, "{:?}", values[&Metric::PolicyRisk]);
    // No true ATE or individual effects: those metrics are empty, not made up.
    for m in [Metric::AteError, Metric::PeheIn, Metric::PeheOut, Metric::TrueAte, Metric::Coverage] {
        assert_eq!(values[&m], None, "{m}");
    }
}
