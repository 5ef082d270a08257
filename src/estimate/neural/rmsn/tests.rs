//! RMSN on CRN's small confounded panel (an AR(1) outcome whose high values
//! get treated, treatment lowering the next one; every counterfactual's
//! expectation known in closed form), and its decoder's weighted sub-paths on
//! a hand-written one.

use rand::SeedableRng;
use rayon::prelude::*;
use serde_json::json;

use super::*;
use crate::data::panel::PanelFold;
use crate::estimate::neural::crn::tests::{panel, queries, rmse};

fn small(epochs: usize) -> RmsnParams {
    let net =
        |hidden, batch, lr| json!({"hidden": hidden, "dropout": 0.1, "batch": batch, "lr": lr, "max_grad_norm": 1.0});
    parse(
        NAME,
        &json!({
            "propensity_treatment": net(4, 64, 0.01),
            "propensity_history": net(8, 64, 0.01),
            "encoder": net(16, 32, 0.01),
            "decoder": net(16, 64, 0.01),
            "epochs": epochs,
            "projection_horizon": 2,
        })
        .as_object()
        .cloned()
        .unwrap(),
    )
    .unwrap()
}

/// One- and three-step counterfactuals beat carrying the last outcome forward
/// by a wide margin, and the weights were clipped where the data put them.
#[test]
fn one_step_and_projections_beat_carrying_the_last_outcome_forward() {
    let p = panel(200, 1);
    let rmsn = Rmsn { params: small(12) };
    let (one, truth1) = queries(&p, 1);
    let (three, truth3) = queries(&p, 3);
    let both: Vec<Query> = one.iter().chain(&three).cloned().collect();
    let est = rmsn.fit_predict(&p, &both, &mut RunRng::seed_from_u64(7)).unwrap();
    let (pred1, pred3) = est.predictions.split_at(one.len());
    let carried = |qs: &[Query]| qs.iter().map(|q| p.outcome(q.unit, q.step)).collect::<Vec<_>>();
    let (rmsn1, naive1) = (rmse(pred1, &truth1), rmse(&carried(&one), &truth1));
    let (rmsn3, naive3) = (rmse(pred3, &truth3), rmse(&carried(&three), &truth3));
    eprintln!("one step: RMSN {rmsn1:.3}, carried {naive1:.3}; three steps: RMSN {rmsn3:.3}, carried {naive3:.3}");
    assert!(rmsn1 < 0.5 * naive1, "one step: {rmsn1} against {naive1}");
    assert!(rmsn3 < 0.5 * naive3, "three steps: {rmsn3} against {naive3}");
    let names: Vec<&str> = est.diagnostics.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names[4..7], ["weight_p01", "weight_p99", "encoder_train_loss"]);
    // The history network sees the outcome that drives treatment, the
    // treatment network does not: the denominator predicts treatment better.
    assert_eq!((names[1], names[3]), ("propensity_treatment_validation_bce", "propensity_history_validation_bce"));
    let (numerator, denominator) = (est.diagnostics[1].1, est.diagnostics[3].1);
    // (0.616 and 0.534 here.)
    assert!(denominator < numerator - 0.04, "validation BCE: numerator {numerator}, denominator {denominator}");
    let (lo, hi) = (est.diagnostics[4].1, est.diagnostics[5].1);
    assert!(0.0 < lo && lo < 1.0 && 1.0 < hi && hi.is_finite(), "clipped to [{lo}, {hi}]");
    // One sub-path per origin s with s + projection_horizon + 1 < length (CT's range).
    assert_eq!(names[8], "decoder_rows");
    let origins: usize = p.units_in(PanelFold::Train).iter().map(|&u| p.length[u] - 3).sum();
    assert_eq!(est.diagnostics[8].1, origins as f64);
}

fn bytes(seed: u64) -> Vec<u8> {
    let p = panel(60, 2);
    let (one, _) = queries(&p, 1);
    let qs: Vec<Query> = one.iter().cloned().chain(queries(&p, 2).0).collect();
    let rmsn = Rmsn { params: small(2) };
    let est = rmsn.fit_predict(&p, &qs, &mut RunRng::seed_from_u64(seed)).unwrap();
    // The encoder trains before the decoder, so its one-step answers do not
    // depend on whether a decoder follows in the same run.
    let alone = rmsn.fit_predict(&p, &one, &mut RunRng::seed_from_u64(seed)).unwrap();
    assert_eq!(alone.predictions, est.predictions[..one.len()], "the encoder's answers moved with the decoder");
    assert_eq!(alone.diagnostics.len(), 8, "no decoder without a longer plan");
    // `projections: false` is the same three networks: the same answers and diagnostics.
    let one_step = Rmsn { params: RmsnParams { projections: false, ..small(2) } };
    assert_eq!((rmsn.longest_plan(), one_step.longest_plan()), (None, Some(1)));
    assert_eq!(one_step.fit_predict(&p, &one, &mut RunRng::seed_from_u64(seed)).unwrap(), alone);
    let mut out: Vec<u8> = est.predictions.iter().flat_map(|v| v.to_le_bytes()).collect();
    out.extend(est.diagnostics.iter().flat_map(|(_, v)| v.to_le_bytes()));
    out
}

/// Same seed, same bytes: twice in a row, and side by side on two threads
/// (libtorch's global generator set differently in between); another seed
/// moves them (dropout, minibatch order and initial weights all draw).
#[test]
fn the_same_bytes_twice_and_on_two_threads() {
    crate::estimate::init_thread();
    tch::manual_seed(1);
    let a = bytes(11);
    tch::manual_seed(2);
    assert_eq!(a, bytes(11));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let parallel: Vec<Vec<u8>> = pool.install(|| [11u64, 11].par_iter().map(|&s| bytes(s)).collect());
    assert!(parallel.iter().all(|b| *b == a), "a run on the pool differs");
    assert_ne!(a, bytes(12));
}

/// The decoder's sub-paths on a hand-written unit of 6 steps, horizon 2, with
/// the ratios 2, 3, 5, 7, 11, 13: origins 0, 1, 2; the sub-path from origin s
/// reads `A_{s+1+k}` and `Y_{s+1+k}`, learns `Y_{s+2+k}` and weighs step k by
/// the product of the ratios `s..=s+k+1` (clipped, then divided by each step's mean).
#[test]
fn decoder_sub_paths_carry_their_cumulative_weights() {
    let steps = 6;
    let panel = Panel {
        units: 1,
        steps,
        statics: vec![0.0],
        n_static: 1,
        covariates: vec![],
        n_covariates: 0,
        // Y_t = t, so that a standardised target names its step.
        outcomes: (0..=steps).map(|t| t as f64).collect(),
        treatments: (0..steps).map(|t| f64::from(u8::from(t % 2 == 1))).collect(),
        n_treatments: 1,
        length: vec![steps],
        fold: vec![PanelFold::Train],
    };
    let prep = Prepared::new(NAME, &panel).unwrap();
    let ratios = vec![vec![2.0, 3.0, 5.0, 7.0, 11.0, 13.0]];
    let mut w = weights::decoder_products(&ratios, 2);
    assert_eq!(w, [6.0, 30.0, 15.0, 105.0, 35.0, 385.0]);
    weights::clip_normalize(&mut w, 2);
    // The 1st and 99th percentiles of all six are 6.45 and 371: step 0's
    // 6, 15, 35 become 6.45, 15, 35; step 1's 30, 105, 385 become 30, 105, 371.
    let (lo, hi) = (6.0 + 0.05 * 9.0, 105.0 + 0.95 * 280.0);
    let (m0, m1) = ((lo + 15.0 + 35.0) / 3.0, (30.0 + 105.0 + hi) / 3.0);
    let want = [lo / m0, 30.0 / m1, 15.0 / m0, 105.0 / m1, 35.0 / m0, hi / m1];
    assert!(w.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12), "{w:?} {want:?}");
    let reps = vec![(0..steps * 2).map(|v| v as f32).collect::<Vec<_>>()];
    let s = data::decoder_paths(&prep, &[0], &reps, 2, 2, Some(&w));
    assert_eq!(s.rows(), 3);
    let y = |t: usize| prep.y(0, t);
    for origin in 0..3 {
        let (init, _) = s.init.as_ref().unwrap();
        assert_eq!(init[origin * 2..origin * 2 + 2], [2.0 * origin as f32, 2.0 * origin as f32 + 1.0]);
        for k in 0..2 {
            let (row, t) = (origin * 2 + k, origin + 1 + k);
            // Input: A_t, Y_t, the static (0 after standardising one unit).
            assert_eq!(s.x[row * 3..row * 3 + 3], [(t % 2) as f32, y(t), 0.0]);
            assert_eq!(s.y[row], y(t + 1));
            assert_eq!(s.weight[row], w[row] as f32);
        }
    }
}

#[test]
fn bad_queries_are_named() {
    let p = panel(30, 4);
    let rmsn = Rmsn { params: small(1) };
    let err = |q: Query| rmsn.fit_predict(&p, &[q], &mut RunRng::seed_from_u64(1)).unwrap_err().to_string();
    insta::assert_snapshot!(err(Query { unit: 4, step: 7, plan: vec![vec![0.0, 1.0]] }), @"rmsn: query 0 (unit 4, step 7): the unit's history ends at step 6");
    insta::assert_snapshot!(err(Query { unit: 1, step: 2, plan: vec![vec![0.5, 0.0]] }), @"rmsn: query 0 (unit 1, step 2): plan[0] is [0.5, 0.0]; expected 2 components, each 0 or 1");
    let mut short = p.clone();
    short.length.iter_mut().for_each(|l| *l = 3);
    let q = Query { unit: 1, step: 1, plan: vec![vec![0.0, 0.0]; 3] };
    let e = rmsn.fit_predict(&short, &[q], &mut RunRng::seed_from_u64(1)).unwrap_err();
    insta::assert_snapshot!(e.to_string(), @"rmsn: the decoder learns from sub-paths of projection_horizon + 2 = 4 steps, and no training unit is that long");
    let one_step = Rmsn { params: RmsnParams { projections: false, ..small(1) } };
    let q = Query { unit: 1, step: 1, plan: vec![vec![0.0, 0.0]; 2] };
    let e = one_step.fit_predict(&p, &[q], &mut RunRng::seed_from_u64(1)).unwrap_err();
    insta::assert_snapshot!(e.to_string(), @"rmsn: query 0 (unit 1, step 1): a plan of 2 steps, and `projections: false` answers one-step questions only");
    let mut bad = p.clone();
    bad.treatments[5] = 0.5;
    let q = Query { unit: 1, step: 1, plan: vec![vec![0.0, 0.0]] };
    insta::assert_snapshot!(rmsn.fit_predict(&bad, &[q], &mut RunRng::seed_from_u64(1)).unwrap_err().to_string(), @"rmsn: unit 0: treatment A_2 is [1.0, 0.5]; `rmsn` takes binary components (0 or 1)");
}

/// The trait's promise: a test unit's path past a query's step is never read.
/// Overwriting the unit's later outcomes, covariates and treatments (from the
/// query's step on: `A_step` is the plan's) leaves the query's answer bit for
/// bit unchanged, one-step and through the decoder alike.
#[test]
fn reads_no_test_path_past_the_query_step() {
    let p = panel(60, 5);
    let rmsn = Rmsn { params: small(1) };
    let picks: Vec<Query> = queries(&p, 1).0.into_iter().chain(queries(&p, 3).0).step_by(230).collect();
    assert!(picks.iter().any(|q| q.plan.len() == 1) && picks.iter().any(|q| q.plan.len() == 3), "{picks:?}");
    let fit = rmsn.fit_predict(&p, &picks, &mut RunRng::seed_from_u64(2)).unwrap();
    for (i, q) in picks.iter().enumerate() {
        let (u, steps) = (q.unit, p.steps);
        let mut s = p.clone();
        for t in q.step + 1..=steps {
            s.outcomes[u * (steps + 1) + t] = 1e6;
        }
        for t in q.step..steps {
            s.treatments[(u * steps + t) * 2..][..2].copy_from_slice(&[1.0, 1.0]);
            if t > q.step {
                s.covariates[u * steps + t] = 1e6;
            }
        }
        let again = rmsn.fit_predict(&s, &picks, &mut RunRng::seed_from_u64(2)).unwrap();
        assert_eq!(again.predictions[i].to_bits(), fit.predictions[i].to_bits(), "query {i}: {q:?}");
    }
}
