//! The panel metric on a hand-computed case, and the MSM against its own
//! unweighted regression on the tumour simulator under strong confounding.

use rand::SeedableRng;

use super::*;
use crate::data::tumour::{TestPolicy, TumourConfig, max_volume, simulate};

fn query(tau: usize) -> Query {
    Query { unit: 0, step: 0, plan: vec![vec![0.0, 0.0]; tau] }
}

#[test]
fn normalized_rmse_groups_by_plan_length() {
    let queries = [query(1), query(1), query(2)];
    let truth = [1.0, 2.0, 3.0];
    let predictions = [2.0, 4.0, 3.0];
    // τ = 1: sqrt((1 + 4) / 2) / 10 × 100; τ = 2: 0.
    let got = normalized_rmse(&queries, &truth, &predictions, 10.0);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, 1);
    assert!((got[0].1 - 10.0 * 2.5f64.sqrt()).abs() < 1e-12);
    assert_eq!(got[1], (2, 0.0));
}

fn errors(gamma: f64, weighted: bool, seed: u64) -> Vec<(usize, f64)> {
    let config = TumourConfig {
        gamma,
        train: 500,
        validation: 0,
        test: 50,
        steps: 60,
        window: 15,
        max_tau: 3,
        test_policy: TestPolicy::Own,
    };
    let (panel, truth) = simulate(&config, &mut RunRng::seed_from_u64(seed));
    let msm = Msm { weighted, truncation: 0.01, max_tau: 3 };
    let fit = msm.fit_predict(&panel, &truth.queries, &mut RunRng::seed_from_u64(0)).unwrap();
    assert_eq!(fit.predictions.len(), truth.queries.len());
    normalized_rmse(&truth.queries, &truth.values, &fit.predictions, max_volume())
}

/// γ = 4, the strongest confounding of the published sweep: the weights lower
/// the error at every horizon. (Seeds 1 to 5 all show it at τ = 1..3, seed 1 by
/// 0.001 only; far beyond the sweep, γ ≥ 8, positivity fails and the truncated
/// weights lose to the unweighted fit beyond one step.)
#[test]
fn msm_beats_the_unweighted_regression_under_confounding() {
    let (w, u) = (errors(4.0, true, 3), errors(4.0, false, 3));
    assert_eq!(w.iter().map(|e| e.0).collect::<Vec<_>>(), [1, 2, 3]);
    for (a, b) in w.iter().zip(&u) {
        assert!(a.1 < b.1, "msm {w:?} unweighted {u:?}");
    }
}

/// The trait's promise: a test unit's path past a query's step is never read.
/// Overwriting every test outcome and treatment after each query's step leaves
/// that query's prediction bit for bit unchanged.
#[test]
fn msm_reads_no_test_path_past_the_query_step() {
    let config = TumourConfig {
        gamma: 2.0,
        train: 60,
        validation: 0,
        test: 6,
        steps: 20,
        window: 15,
        max_tau: 2,
        test_policy: TestPolicy::Own,
    };
    let (panel, truth) = simulate(&config, &mut RunRng::seed_from_u64(9));
    let msm = Msm { weighted: true, truncation: 0.01, max_tau: 2 };
    let fit = msm.fit_predict(&panel, &truth.queries, &mut RunRng::seed_from_u64(0)).unwrap();
    for (q, &p) in truth.queries.iter().zip(&fit.predictions).step_by(7) {
        let mut scrambled = panel.clone();
        for t in q.step + 1..=panel.steps {
            scrambled.outcomes[q.unit * (panel.steps + 1) + t] = 1e6;
        }
        for t in q.step..panel.steps {
            scrambled.treatments[(q.unit * panel.steps + t) * 2..][..2].copy_from_slice(&[1.0, 1.0]);
        }
        let again = msm.fit_predict(&scrambled, std::slice::from_ref(q), &mut RunRng::seed_from_u64(0)).unwrap();
        assert_eq!(again.predictions[0].to_bits(), p.to_bits(), "{q:?}");
    }
}
